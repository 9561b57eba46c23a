// `shoal daemon`: the process every node runs. Wiring only: the API on the unix socket, and
// the node's swarm membership (which starts the manager and agent parts as needed).
import * as os from 'node:os';
import { type ApiServer, createApiServer, type SwarmPingStatus } from '../api/index.ts';
import { buildRoutes } from '../api/routes/index.ts';
import { newObjectId } from './identifiers.ts';
import { SwarmNode } from './swarm-node.ts';

export interface DaemonOptions {
  dataDir: string;
  /** Path of the unix socket the API listens on. */
  socketPath: string;
  /** The name this node reports (several daemons on one machine need distinct names). */
  hostname?: string;
  /** The Docker Engine's socket; null: exec tasks only. Default /var/run/docker.sock. */
  dockerSocket?: string | null;
  version: string;
  log: (line: string) => void;
}

export class Daemon {
  readonly swarm: SwarmNode;
  private api: ApiServer | null = null;

  constructor(private readonly options: DaemonOptions) {
    this.swarm = new SwarmNode({
      dataDir: options.dataDir,
      ...(options.hostname ? { hostname: options.hostname } : {}),
      version: options.version,
      ...(options.dockerSocket !== undefined ? { dockerSocket: options.dockerSocket } : {}),
      log: options.log,
    });
  }

  async start(): Promise<void> {
    const { options, swarm } = this;
    this.api = createApiServer({
      routes: buildRoutes(swarm, {
        name: options.hostname ?? os.hostname(),
        version: options.version,
        dataDir: options.dataDir,
        newId: () => newObjectId(),
      }),
      info: { version: options.version },
      swarmStatus: () => pingStatus(swarm),
    });
    await this.api.listenUnix(options.socketPath);
    await swarm.resume();
    options.log(`API listening on unix://${options.socketPath}`);
  }

  async stop(): Promise<void> {
    await this.api?.close();
    await this.swarm.stop();
  }
}

function pingStatus(swarm: SwarmNode): SwarmPingStatus {
  const state = swarm.state;
  if (state !== 'active') return state;
  return swarm.identity?.role === 'manager' ? 'active/manager' : 'active/worker';
}
