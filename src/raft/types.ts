// The vocabulary of the Raft core: entries, messages, persistent state and the Ready batch.
// Everything here is plain data so it can be encoded for the wire (src/rpc) and for disk
// (src/storage) without the core knowing about either.

/** A member's id. Ids are positive integers and are never reused within a cluster. */
export type NodeId = number;

/** No node: used for "voted for nobody" and "leader unknown". */
export const NONE: NodeId = 0;

export enum EntryType {
  /** Application data (may be empty: a new leader appends an empty entry of its term). */
  Normal = 0,
  /** A membership change; its data is an encoded ConfChange (see encodeConfChange). */
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

export enum ConfChangeType {
  /** Add a learner: it receives the log but does not vote. */
  AddLearner = 0,
  /** Add a voter, or promote a learner to voter. */
  AddVoter = 1,
  /** Remove a voter or learner. Its id is retired for good. */
  RemoveNode = 2,
}

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft (e.g. the member's address); handed back to the application. */
  context: Uint8Array;
}

/** The membership at some point of the log. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** Ids that were members once and must never be used again. */
  removed: NodeId[];
}

/** What must be on disk before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export enum MessageType {
  PreVote = 0,
  PreVoteResponse = 1,
  Vote = 2,
  VoteResponse = 3,
  Append = 4,
  AppendResponse = 5,
  Heartbeat = 6,
  HeartbeatResponse = 7,
  /** One chunk of an InstallSnapshot transfer. */
  Snapshot = 8,
  SnapshotResponse = 9,
  /** Leadership transfer: the target campaigns at once. */
  TimeoutNow = 10,
  /** A follower asks the leader to confirm a read index. */
  ReadIndex = 11,
  ReadIndexResponse = 12,
}

/**
 * One Raft message. Fields not used by a type are zero/empty. Keeping a single flat shape makes
 * the wire codec trivial and keeps every message within `maxMessageBytes` + a small header.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** Append: index of the entry before `entries`. Responses: the index acknowledged/rejected. */
  index: number;
  /** Append: term of the entry at `index`. */
  logTerm: number;
  entries: Entry[];
  /** Append/Heartbeat: the leader's commit index. */
  commit: number;
  /** Vote/AppendResponse/SnapshotResponse/ReadIndexResponse: the request was refused. */
  reject: boolean;
  /** AppendResponse when rejecting: the follower's last index, a hint to find the match fast. */
  rejectHint: number;
  /** Heartbeat/ReadIndex: the ReadIndex request id being confirmed (empty when none). */
  context: Uint8Array;
  /** Snapshot chunk: the snapshot's metadata (every chunk carries it). */
  snapshot: SnapshotMetadata | null;
  /** Snapshot chunk: byte offset of `chunk` in the snapshot data, total size, and bytes. */
  snapshotOffset: number;
  snapshotSize: number;
  chunk: Uint8Array;
  /** Vote/PreVote: sent on a leadership transfer, so the lease check is bypassed. */
  transfer: boolean;
}

/** A linearizable read confirmed by a quorum: serve it once `index` has been applied. */
export interface ReadState {
  index: number;
  requestId: Uint8Array;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

/** Volatile state the application may watch (it is not persisted). */
export interface SoftState {
  leader: NodeId;
  role: Role;
}

/**
 * What the application must do, in this order: persist `snapshot` (if any), `entries` and
 * `hardState` (if any) durably; then send `messages` (those for which mayPrecedePersistence()
 * holds may be sent earlier, in parallel with the disk write); then apply `committed` (and `snapshot`
 * to the state machine); serve `readStates` whose index is applied; then call `advance(ready)`.
 */
/**
 * Messages that may leave before their Ready is persisted (Raft thesis §10.2.1): only a leader
 * sends these, its term is already durable, and it counts its own copy of new entries towards
 * the commit only after advance(). Everything else (votes, acknowledgements) must wait.
 */
export function mayPrecedePersistence(m: Message): boolean {
  return (
    m.type === MessageType.Append ||
    m.type === MessageType.Heartbeat ||
    m.type === MessageType.Snapshot ||
    m.type === MessageType.TimeoutNow
  );
}

export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  /**
   * Entries to append to the durable log. If the first entry's index is at or below the
   * durable log's last index, the durable log is truncated from that index first.
   */
  entries: Entry[];
  /** A snapshot received from the leader: persist it, then restore the state machine from it. */
  snapshot: Snapshot | null;
  messages: Message[];
  committed: Entry[];
  readStates: ReadState[];
  /**
   * Whether this Ready must be fsynced before its messages go out: new entries, a snapshot, or
   * a new term or vote. A change of the commit index alone may be written lazily; after a
   * crash it is learned again from the leader.
   */
  mustSync: boolean;
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized to [n, 2n)). */
  electionTicks: number;
  /** Ticks between leader heartbeats. Must be well below electionTicks. */
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Upper bound on the entry bytes carried by one Append (at least one entry is always sent). */
  maxMessageBytes: number;
  /** Upper bound on unacknowledged Append messages in flight to one follower. */
  maxInflightMessages: number;
  /** Upper bound on the bytes of entries proposed but not yet committed; beyond it, refuse. */
  maxUncommittedBytes: number;
  /** Bytes of snapshot data in one InstallSnapshot chunk. */
  snapshotChunkBytes: number;
  /** Upper bound on entries handed out as committed in one Ready. */
  maxCommittedPerReady: number;
  /** Uniform random number in [0, 1), injected so the simulator is deterministic. */
  random: () => number;
}

export const DEFAULT_CONFIG: Omit<RaftConfig, 'id' | 'random'> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxMessageBytes: 1024 * 1024,
  maxInflightMessages: 256,
  maxUncommittedBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 1024 * 1024,
  maxCommittedPerReady: 4096,
};

/** The durable state a node restarts from, as recovered by src/storage. */
export interface InitialState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Entries after the snapshot, contiguous. */
  entries: Entry[];
  /** The membership when the log is empty and there is no snapshot (a brand-new cluster). */
  bootstrap: ConfState | null;
}

export function emptyMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  return {
    type,
    from,
    to,
    term,
    index: 0,
    logTerm: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: EMPTY_BYTES,
    snapshot: null,
    snapshotOffset: 0,
    snapshotSize: 0,
    chunk: EMPTY_BYTES,
    transfer: false,
  };
}

export const EMPTY_BYTES = new Uint8Array(0);
