// Helpers for integration tests, the demo and benchmarks: never used by the daemon itself.

export {
  BUILT_CLI,
  type CliResult,
  type DaemonProcess,
  DaemonProcesses,
  daemonsForTest,
} from './daemons.ts';
export { namespacesAvailable, type TestHost, TestNetwork } from './netns.ts';
export {
  describeError,
  freePorts,
  hasExited,
  installCleanupHandlers,
  killHard,
  makeTempDir,
  removeTempDirs,
  spawnLogged,
  tail,
  waitFor,
} from './processes.ts';
