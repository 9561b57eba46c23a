// The task runtimes of this node: exec always (supervised host processes), docker when the
// Docker Engine answers on its socket. Which ones a node has is reported in its description
// (Engine.Plugins), and the scheduler only sends a task where its runtime is.
import { join } from 'node:path';
import type { RuntimeDriver } from '../runtime/driver.ts';
import { ExecDriver, loadDockerDriver, probeDocker } from '../runtime/index.ts';
import type { RuntimeName } from '../store/index.ts';

export { DEFAULT_DOCKER_SOCKET } from '../runtime/index.ts';

export interface Runtimes {
  drivers: Partial<Record<RuntimeName, RuntimeDriver>>;
  /** The Docker Engine's version when docker is available (shown as ENGINE VERSION). */
  engineVersion: string | null;
}

/** `dockerSocket` null: no docker runtime, even if an engine runs. */
export async function openRuntimes(options: {
  dataDir: string;
  dockerSocket: string | null;
  nodeId: string;
  log: (line: string) => void;
}): Promise<Runtimes> {
  const logger = { warn: (line: string) => options.log(`runtime: ${line}`) };
  const drivers: Partial<Record<RuntimeName, RuntimeDriver>> = {
    exec: new ExecDriver({ stateDir: join(options.dataDir, 'exec'), logger }),
  };
  let engineVersion: string | null = null;
  if (options.dockerSocket !== null) {
    const engine = await probeDocker(options.dockerSocket);
    if (engine !== null) {
      // Loaded only now: a node without an engine never holds the Docker client.
      const DockerDriver = await loadDockerDriver();
      drivers.docker = new DockerDriver({
        socketPath: options.dockerSocket,
        nodeId: options.nodeId,
        logger,
      });
      engineVersion = engine.version;
      options.log(`runtime: Docker Engine ${engine.version} on ${options.dockerSocket}`);
    } else {
      options.log(`runtime: no Docker Engine on ${options.dockerSocket}; exec tasks only`);
    }
  }
  return { drivers, engineVersion };
}
