// Swarm events: Docker event messages made from a manager's store changes, a bounded history
// for `since`, live subscriptions, the filters of /events, and the merge with the engine's.
export { EVENT_FILTERS, EventFilter } from './filter.ts';
export {
  DEFAULT_EVENT_HISTORY_MAX,
  DEFAULT_SUBSCRIBER_QUEUE_MAX,
  EventLog,
  type EventSubscription,
} from './log.ts';
export {
  collectLines,
  type EventLine,
  formatEventTime,
  lineTimeNano,
  mergeByTime,
  mergeUntilPrimaryEnds,
} from './merge.ts';
export {
  type DockerEvent,
  type EventAction,
  type EventType,
  encodeEvent,
  nowNanos,
  rfc3339ToNanos,
  toDockerEvent,
} from './message.ts';
export { EventRecorder, type RecordedStore } from './recorder.ts';
