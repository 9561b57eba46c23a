// The daemon every node runs: wiring of the API, the manager and the agent.
export { Daemon, type DaemonOptions } from './daemon.ts';
export { SwarmError } from './swarm-error.ts';
export { type LocalNodeState, SwarmNode } from './swarm-node.ts';
