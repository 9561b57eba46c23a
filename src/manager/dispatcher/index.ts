// The leader's end of agent sessions: heartbeats, node-down detection, node registration.
export {
  DEFAULT_HEARTBEAT_PERIOD_MS,
  DEFAULT_MAX_SESSIONS,
  Dispatcher,
  type DispatcherOptions,
  type DispatcherStats,
  HEARTBEAT_FAILURE_MESSAGE,
} from './dispatcher.ts';
export {
  DEFAULT_GRACE_MULTIPLIER,
  DEFAULT_MAX_TRACKED_NODES,
  Heartbeats,
  type HeartbeatsOptions,
} from './heartbeats.ts';
export {
  hostOf,
  type ManagerAddress,
  managerFromWire,
  managerToWire,
  parseNodeDescription,
  replyFromWire,
  type SessionReply,
  type WireSessionMessage,
  type WireSessionReply,
} from './protocol.ts';
export { isNewsFor } from './task-flow.ts';
export {
  type AssignmentSet,
  decodeAssignments,
  encodeAssignments,
  encodeStatuses,
  MAX_STATUS_UPDATES,
  parseStatuses,
  type TaskStatusUpdate,
} from './task-protocol.ts';
