// What runs on every node: the session with the managers, the node's description, and the
// worker that runs assigned tasks through the runtime drivers.

export type { ManagerAddress, SessionReply } from '../manager/dispatcher/protocol.ts';
export { type DescribeNodeOptions, describeNode, type HostFacts } from './description.ts';
export { NodeAgent, type NodeAgentOptions } from './node-agent.ts';
export {
  AgentSession,
  type AgentSessionError,
  type AgentSessionOptions,
  type AgentSessionState,
} from './session.ts';
export { runSpecOf, TASKS_FILE, taskName, Worker, type WorkerOptions } from './worker/index.ts';
