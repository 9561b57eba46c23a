// What runs on every node. So far: the session with the managers and the node's description.

export type { ManagerAddress, SessionReply } from '../manager/dispatcher/protocol.ts';
export { type DescribeNodeOptions, describeNode, type HostFacts } from './description.ts';
export {
  AgentSession,
  type AgentSessionError,
  type AgentSessionOptions,
  type AgentSessionState,
} from './session.ts';
