// The task runtimes behind one interface (driver.ts): `docker` (containers of the local Docker
// Engine) and `exec` (supervised host processes). The conformance suite both pass lives in
// conformance.ts and is imported by path from tests (it defines node:test tests). The docker
// driver (and with it dockerode) loads on demand, once an engine has answered the probe.

import type { DockerDriver } from './docker-driver.ts';

export type { DockerDriver, DockerDriverOptions } from './docker-driver.ts';
export { bridgeNameOf, dockerNetworkName } from './docker-networks.ts';
export { DEFAULT_DOCKER_SOCKET, probeDocker } from './docker-probe.ts';
export {
  EXEC_IMAGE_PREFIX,
  type Health,
  type LogEntry,
  type LogOptions,
  type RunSpec,
  type RuntimeDriver,
  RuntimeError,
  type RuntimePhase,
  type RuntimeStatus,
  runtimeOf,
} from './driver.ts';
export { EXIT_UNKNOWN_ERROR, ExecDriver, type ExecDriverOptions } from './exec-driver.ts';
export type { RuntimeLogger } from './logger.ts';

/** The docker runtime's driver class, loaded on first use (it brings dockerode along). */
export async function loadDockerDriver(): Promise<typeof DockerDriver> {
  return (await import('./docker-driver.ts')).DockerDriver;
}
