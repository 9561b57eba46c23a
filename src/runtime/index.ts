// The task runtimes behind one interface (driver.ts): `docker` (containers of the local Docker
// Engine) and `exec` (supervised host processes). The conformance suite both pass lives in
// conformance.ts and is imported by path from tests (it defines node:test tests).

export {
  DEFAULT_DOCKER_SOCKET,
  DockerDriver,
  type DockerDriverOptions,
  probeDocker,
} from './docker-driver.ts';
export { bridgeNameOf, dockerNetworkName } from './docker-networks.ts';
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
