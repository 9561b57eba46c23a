export { decodeConfChange, encodeConfChange } from './confchange.ts';
export { InvariantError, invariant } from './invariant.ts';
export { ProgressState } from './progress.ts';
export type { ProgressStatus, ProposeRefusal, ProposeResult, RaftStatus } from './raft.ts';
export { Raft } from './raft.ts';
export * from './types.ts';
