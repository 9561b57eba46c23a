// The Raft consensus algorithm as a pure state machine (Ongaro & Ousterhout, and the Raft
// thesis): inputs are tick(), step(message) and local requests; outputs come out of ready().
// No clocks, sockets or files here: time is ticks, randomness is injected, persistence and
// delivery are the caller's job (see Ready in types.ts for the contract).
import { decodeConfChange, encodeConfChange } from './confchange.ts';
import { invariant } from './invariant.ts';
import { RaftLog } from './log.ts';
import { Membership } from './membership.ts';
import { Progress, ProgressState } from './progress.ts';
import { ReadIndexQueue } from './read-index.ts';
import {
  type ConfChange,
  ConfChangeType,
  EMPTY_BYTES,
  EntryType,
  emptyMessage,
  type HardState,
  type InitialState,
  type Message,
  MessageType,
  NONE,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Ready,
  Role,
  type Snapshot,
  type SoftState,
} from './types.ts';

export type ProposeRefusal =
  | 'not-leader'
  | 'transferring'
  | 'overloaded'
  | 'conf-change-pending'
  | 'invalid-conf-change';

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: ProposeRefusal; leader: NodeId; detail?: string };

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  learner: boolean;
}

export interface RaftStatus {
  id: NodeId;
  term: number;
  vote: NodeId;
  role: Role;
  leader: NodeId;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  voters: NodeId[];
  learners: NodeId[];
  removed: NodeId[];
  leadTransferee: NodeId;
  progress: Map<NodeId, ProgressStatus>;
}

const MAX_PENDING_READS = 4096;

interface IncomingSnapshot {
  snapshot: Snapshot['metadata'];
  size: number;
  chunks: Uint8Array[];
  received: number;
}

export class Raft {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  term = 0;
  vote: NodeId = NONE;
  role = Role.Follower;
  leader: NodeId = NONE;
  readonly log: RaftLog;
  private membership: Membership;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private votes = new Map<NodeId, boolean>();
  private progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId = NONE;
  /** No new conf change may be proposed until this index is applied. */
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private reads = new ReadIndexQueue(MAX_PENDING_READS);
  /** Reads that arrived before this leader committed an entry of its term. */
  private readsAwaitingCommit: { requestId: Uint8Array; from: NodeId }[] = [];
  private readStates: ReadState[] = [];
  private messages: Message[] = [];
  /** The newest snapshot this node holds (sent to followers that fell behind compaction). */
  private snapshot: Snapshot | null;
  /** A snapshot received from the leader, to persist and apply in the next Ready. */
  private pendingSnapshot: Snapshot | null = null;
  private incoming: IncomingSnapshot | null = null;
  private broadcastPending = false;
  private commitBroadcastPending = false;
  private previousHardState: HardState;
  private previousSoftState: SoftState;
  private outstanding: Ready | null = null;

  constructor(config: RaftConfig, initial: InitialState) {
    invariant(config.id > 0, 'node id must be positive');
    invariant(config.heartbeatTicks < config.electionTicks, 'heartbeat must be below election');
    this.id = config.id;
    this.config = config;
    const { snapshot, entries } = initial;
    const hardState = { ...initial.hardState };
    this.snapshot = snapshot;
    if (snapshot) {
      this.log = new RaftLog(snapshot.metadata.index, snapshot.metadata.term, entries);
      this.membership = Membership.from(snapshot.metadata.conf);
    } else if (entries.length === 0 && initial.bootstrap) {
      // A new cluster: every founding member writes the same conf changes at term 1, so their
      // logs agree and a member that joins later learns the founders from the log itself.
      const founders = [...initial.bootstrap.voters].sort((a, b) => a - b);
      const bootstrapEntries = founders.map((nodeId, i) => ({
        term: 1,
        index: i + 1,
        type: EntryType.ConfChange,
        data: encodeConfChange({ type: ConfChangeType.AddVoter, nodeId, context: EMPTY_BYTES }),
      }));
      this.log = new RaftLog(0, 0, bootstrapEntries);
      this.log.stable = 0;
      this.membership = Membership.from(initial.bootstrap);
      hardState.term = Math.max(hardState.term, 1);
      hardState.commit = Math.max(hardState.commit, founders.length);
    } else {
      this.log = new RaftLog(0, 0, entries);
      this.membership = new Membership();
    }
    invariant(hardState.commit <= this.log.lastIndex(), 'commit index beyond the log');
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.log.commitTo(hardState.commit);
    this.previousHardState = { term: 0, vote: NONE, commit: 0 };
    if (entries.length > 0 || snapshot) this.previousHardState = { ...hardState };
    this.previousSoftState = { leader: NONE, role: Role.Follower };
    this.resetRandomizedElectionTimeout();
  }

  // ---- inputs ------------------------------------------------------------------------------

  tick(): void {
    this.assertNoOutstandingReady();
    if (this.role === Role.Leader) this.tickLeader();
    else this.tickElection();
  }

  step(m: Message): void {
    this.assertNoOutstandingReady();
    if (m.from === this.id) return;
    if (m.term > this.term) {
      if (this.ignoresHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.answerStaleTerm(m);
      return;
    }
    switch (m.type) {
      case MessageType.PreVote:
      case MessageType.Vote:
        this.handleVoteRequest(m);
        return;
    }
    if (this.role === Role.Leader) this.stepLeader(m);
    else if (this.role === Role.Follower) this.stepFollower(m);
    else this.stepCandidate(m);
  }

  propose(data: Uint8Array): ProposeResult {
    this.assertNoOutstandingReady();
    const refused = this.proposalRefusal(data.length);
    if (refused) return refused;
    return { ok: true, index: this.appendOwn(EntryType.Normal, data), term: this.term };
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    this.assertNoOutstandingReady();
    const refused = this.proposalRefusal(change.context.length);
    if (refused) return refused;
    if (this.pendingConfIndex > this.log.applied || !this.committedInCurrentTerm()) {
      return this.refuse('conf-change-pending', 'a membership change is still in progress');
    }
    let detail = this.membership.refusal(change);
    if (!detail && change.type === ConfChangeType.AddVoter) {
      const learner = this.progress.get(change.nodeId);
      if (!learner || learner.match < this.log.committed) {
        detail = `learner ${change.nodeId} has not caught up with the log yet`;
      }
    }
    if (!detail && change.nodeId === this.id && change.type !== ConfChangeType.AddVoter) {
      detail = 'the leader cannot remove or demote itself; transfer leadership first';
    }
    if (detail) return this.refuse('invalid-conf-change', detail);
    const index = this.appendOwn(EntryType.ConfChange, encodeConfChange(change));
    this.pendingConfIndex = index;
    return { ok: true, index, term: this.term };
  }

  /**
   * Asks for a linearizable read point. The answer comes as a ReadState in a later Ready;
   * returns false when it cannot be asked now (no known leader, or too many pending).
   */
  readIndex(requestId: Uint8Array): boolean {
    this.assertNoOutstandingReady();
    invariant(requestId.length > 0, 'a read request needs a non-empty id');
    if (this.role === Role.Leader) return this.leaderRead(requestId, this.id);
    if (this.leader === NONE) return false;
    const m = this.message(MessageType.ReadIndex, this.leader);
    m.context = requestId;
    this.send(m);
    return true;
  }

  transferLeadership(target: NodeId): boolean {
    this.assertNoOutstandingReady();
    if (this.role !== Role.Leader || !this.membership.voters.has(target)) return false;
    if (target === this.id) return true;
    this.leadTransferee = target;
    this.electionElapsed = 0;
    const progress = this.progress.get(target)!;
    if (progress.match === this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.sendAppend(target, true);
    return true;
  }

  /**
   * Takes a snapshot of the state machine at the applied index and compacts the in-memory
   * log, keeping `keepEntries` entries for followers that lag a little. Returns the snapshot
   * for the caller to persist.
   */
  createSnapshot(index: number, data: Uint8Array, keepEntries: number): Snapshot {
    this.assertNoOutstandingReady();
    invariant(index === this.log.applied, 'snapshots are taken at the applied index');
    const term = this.log.term(index);
    invariant(term !== undefined, `no term for snapshot index ${index}`);
    const snapshot = { metadata: { index, term, conf: this.membership.toState() }, data };
    this.snapshot = snapshot;
    this.log.compact(Math.max(0, index - keepEntries));
    return snapshot;
  }

  // ---- outputs -----------------------------------------------------------------------------

  hasReady(): boolean {
    if (this.outstanding) return false;
    return (
      this.messages.length > 0 ||
      this.readStates.length > 0 ||
      this.pendingSnapshot !== null ||
      this.broadcastPending ||
      this.commitBroadcastPending ||
      this.reads.unconfirmed !== null ||
      this.log.stable < this.log.lastIndex() ||
      this.log.applied < this.log.committed ||
      this.hardStateChanged() ||
      this.softStateChanged()
    );
  }

  ready(): Ready {
    this.assertNoOutstandingReady();
    if (this.role === Role.Leader) this.flushLeaderSends();
    const hardState = this.hardStateChanged() ? this.currentHardState() : null;
    const softState = this.softStateChanged() ? { leader: this.leader, role: this.role } : null;
    const entries = this.log.unstableEntries();
    const previous = this.previousHardState;
    const ready: Ready = {
      softState,
      hardState,
      entries,
      snapshot: this.pendingSnapshot,
      mustSync:
        entries.length > 0 ||
        this.pendingSnapshot !== null ||
        previous.term !== this.term ||
        previous.vote !== this.vote,
      messages: this.messages,
      committed: this.log.nextCommitted(this.config.maxCommittedPerReady),
      readStates: this.readStates,
    };
    this.messages = [];
    this.readStates = [];
    this.outstanding = ready;
    return ready;
  }

  /** The caller has persisted, sent and applied everything in `ready`. */
  advance(ready: Ready): void {
    invariant(this.outstanding === ready, 'advance() with a Ready that is not outstanding');
    this.outstanding = null;
    if (ready.hardState) this.previousHardState = ready.hardState;
    if (ready.softState) this.previousSoftState = ready.softState;
    if (ready.snapshot) {
      this.pendingSnapshot = null;
      this.log.applied = Math.max(this.log.applied, ready.snapshot.metadata.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry) {
      invariant(this.log.term(lastEntry.index) === lastEntry.term, 'persisted entry changed');
      this.log.stable = Math.max(this.log.stable, lastEntry.index);
    }
    for (const entry of ready.committed) {
      invariant(entry.index === this.log.applied + 1, 'committed entries applied out of order');
      this.log.applied = entry.index;
      if (entry.type === EntryType.ConfChange) this.applyConfChange(decodeConfChange(entry.data));
    }
    if (this.role === Role.Leader) {
      this.progress.get(this.id)?.maybeUpdate(this.log.stable);
      if (this.maybeCommit()) this.commitBroadcastPending = true;
    }
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, ProgressStatus>();
    for (const [id, p] of this.progress) {
      progress.set(id, {
        match: p.match,
        next: p.next,
        state: p.state,
        recentActive: p.recentActive,
        learner: p.learner,
      });
    }
    const conf = this.membership.toState();
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      voters: conf.voters,
      learners: conf.learners,
      removed: conf.removed,
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  // ---- time --------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.config.preVote ? 'pre-vote' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumActive()) {
        // Raft thesis §6.2: a leader cut off from a majority steps down instead of lingering.
        this.becomeFollower(this.term, NONE);
        return;
      }
      for (const [id, progress] of this.progress) progress.recentActive = id === this.id;
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    for (const [id, progress] of this.progress) {
      if (progress.state !== ProgressState.Snapshot || !progress.recentActive) continue;
      // A lost chunk would stall the transfer: resend once it has been quiet for a while.
      if (++progress.snapshotIdleTicks >= 3 * this.config.heartbeatTicks) this.sendSnapshot(id);
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(EMPTY_BYTES);
    }
  }

  // ---- elections ---------------------------------------------------------------------------

  private isPromotable(): boolean {
    return (
      this.membership.voters.has(this.id) &&
      this.pendingSnapshot === null &&
      !this.hasUnappliedConfChanges()
    );
  }

  /** A node must not campaign while it knows of committed membership changes not yet applied. */
  private hasUnappliedConfChanges(): boolean {
    for (let index = this.log.applied + 1; index <= this.log.committed; index++) {
      if (this.log.entry(index)?.type === EntryType.ConfChange) return true;
    }
    return false;
  }

  private campaign(kind: 'pre-vote' | 'election' | 'transfer'): void {
    let voteTerm: number;
    let type: MessageType;
    if (kind === 'pre-vote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
      type = MessageType.PreVote;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
      type = MessageType.Vote;
    }
    if (this.poll(this.id, true) === 'won') {
      this.afterWinning();
      return;
    }
    for (const id of this.membership.voters) {
      if (id === this.id) continue;
      const m = this.message(type, id);
      m.term = voteTerm;
      m.index = this.log.lastIndex();
      m.logTerm = this.log.lastTerm();
      m.transfer = kind === 'transfer';
      this.send(m);
    }
  }

  private afterWinning(): void {
    if (this.role === Role.PreCandidate) this.campaign('election');
    else this.becomeLeader();
  }

  private poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const id of this.membership.voters) {
      const vote = this.votes.get(id);
      if (vote === true) yes++;
      else if (vote === false) no++;
    }
    const quorum = this.membership.quorum();
    if (yes >= quorum) return 'won';
    if (no > this.membership.voters.size - quorum) return 'lost';
    return 'pending';
  }

  /**
   * Messages of a higher term normally make us a follower of that term, with two exceptions:
   * a vote request while we are in a leader's lease (check-quorum: a partitioned node must not
   * depose a healthy leader), and pre-vote traffic, which never changes terms.
   */
  private ignoresHigherTerm(m: Message): boolean {
    const isVoteRequest = m.type === MessageType.Vote || m.type === MessageType.PreVote;
    if (isVoteRequest) {
      const inLease =
        this.config.checkQuorum &&
        this.leader !== NONE &&
        this.electionElapsed < this.config.electionTicks;
      if (inLease && !m.transfer) return true;
    }
    if (m.type === MessageType.PreVote) return false;
    if (m.type === MessageType.PreVoteResponse && !m.reject) return false;
    const fromLeader =
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snapshot;
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return false;
  }

  private answerStaleTerm(m: Message): void {
    if (m.type === MessageType.Append || m.type === MessageType.Heartbeat) {
      // Figure 2: the answer carries our term, so an old leader learns it and steps down.
      this.send(this.message(MessageType.AppendResponse, m.from));
    } else if (m.type === MessageType.PreVote) {
      const reply = this.message(MessageType.PreVoteResponse, m.from);
      reply.reject = true;
      this.send(reply);
    }
  }

  private handleVoteRequest(m: Message): void {
    const isPreVote = m.type === MessageType.PreVote;
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.leader === NONE) ||
      (isPreVote && m.term > this.term);
    const responseType = isPreVote ? MessageType.PreVoteResponse : MessageType.VoteResponse;
    const reply = this.message(responseType, m.from);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // A granted pre-vote answers in the future term the candidate asked about.
      reply.term = m.term;
      if (!isPreVote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      reply.reject = true;
    }
    this.send(reply);
  }

  private becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.role = Role.Follower;
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    this.votes.clear();
    this.leader = NONE;
    this.role = Role.PreCandidate;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    invariant(this.role === Role.Candidate, 'only a candidate becomes leader');
    this.reset(this.term);
    this.role = Role.Leader;
    this.leader = this.id;
    const next = this.log.lastIndex() + 1;
    for (const id of this.membership.voters) this.progress.set(id, new Progress(next, false));
    for (const id of this.membership.learners) this.progress.set(id, new Progress(next, true));
    const own = this.progress.get(this.id)!;
    own.maybeUpdate(this.log.stable);
    own.becomeReplicate();
    own.recentActive = true;
    // Entries of earlier terms are committed only through an entry of this term (§5.4.2);
    // the empty entry provides one at once. Conf changes wait until it is applied.
    this.pendingConfIndex = this.log.lastIndex();
    this.appendOwn(EntryType.Normal, EMPTY_BYTES);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes.clear();
    this.progress.clear();
    this.leadTransferee = NONE;
    this.uncommittedBytes = 0;
    this.reads.clear();
    this.readsAwaitingCommit = [];
    this.broadcastPending = false;
    this.commitBroadcastPending = false;
  }

  private resetRandomizedElectionTimeout(): void {
    const { electionTicks } = this.config;
    this.randomizedElectionTimeout =
      electionTicks + Math.floor(this.config.random() * electionTicks);
  }

  // ---- follower and candidate --------------------------------------------------------------

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Append:
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snapshot:
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshotChunk(m);
        return;
      case MessageType.TimeoutNow:
        if (this.isPromotable()) this.campaign('transfer');
        return;
      case MessageType.ReadIndexResponse:
        if (!m.reject) this.readStates.push({ index: m.index, requestId: m.context });
        return;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        // Someone won this term: follow it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case MessageType.PreVoteResponse:
      case MessageType.VoteResponse: {
        const expected =
          this.role === Role.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        if (m.type !== expected) return;
        const outcome = this.poll(m.from, !m.reject);
        if (outcome === 'won') this.afterWinning();
        else if (outcome === 'lost') this.becomeFollower(this.term, NONE);
        return;
      }
    }
  }

  private handleAppend(m: Message): void {
    const reply = this.message(MessageType.AppendResponse, m.from);
    if (m.index < this.log.committed) {
      reply.index = this.log.committed;
      this.send(reply);
      return;
    }
    const lastNew = this.log.tryAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== null) {
      reply.index = lastNew;
    } else {
      reply.reject = true;
      reply.index = m.index;
      reply.rejectHint = this.conflictHint(m.index, m.logTerm);
    }
    this.send(reply);
  }

  /** The highest index at or below the probe whose term is ≤ the leader's: skips a term at once. */
  private conflictHint(index: number, term: number): number {
    let hint = Math.min(index, this.log.lastIndex());
    while (hint > this.log.committed) {
      const ourTerm = this.log.term(hint);
      if (ourTerm === undefined || ourTerm <= term) break;
      hint--;
    }
    return hint;
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    const reply = this.message(MessageType.HeartbeatResponse, m.from);
    reply.context = m.context;
    this.send(reply);
  }

  private handleSnapshotChunk(m: Message): void {
    const metadata = m.snapshot;
    invariant(metadata !== null, 'snapshot chunk without metadata');
    if (metadata.index <= this.log.committed) {
      this.incoming = null;
      const reply = this.message(MessageType.AppendResponse, m.from);
      reply.index = this.log.committed;
      this.send(reply);
      return;
    }
    const incoming = this.incoming;
    const same =
      incoming !== null &&
      incoming.snapshot.index === metadata.index &&
      incoming.snapshot.term === metadata.term;
    if (!same) {
      if (m.snapshotOffset !== 0) {
        this.replySnapshot(m.from, metadata.index, 0);
        return;
      }
      this.incoming = { snapshot: metadata, size: m.snapshotSize, chunks: [], received: 0 };
    }
    const transfer = this.incoming!;
    if (m.snapshotOffset !== transfer.received) {
      this.replySnapshot(m.from, metadata.index, transfer.received);
      return;
    }
    invariant(transfer.received + m.chunk.length <= transfer.size, 'snapshot chunk overflows');
    transfer.chunks.push(m.chunk);
    transfer.received += m.chunk.length;
    this.replySnapshot(m.from, metadata.index, transfer.received);
    if (transfer.received < transfer.size) return;
    this.incoming = null;
    this.restore({ metadata: transfer.snapshot, data: Buffer.concat(transfer.chunks) });
    // Restored or fast-forwarded, the log now matches the leader's up to the commit index.
    const reply = this.message(MessageType.AppendResponse, m.from);
    reply.index = this.log.committed;
    this.send(reply);
  }

  private replySnapshot(to: NodeId, index: number, offset: number): void {
    const reply = this.message(MessageType.SnapshotResponse, to);
    reply.index = index;
    reply.snapshotOffset = offset;
    this.send(reply);
  }

  private restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    if (index <= this.log.committed) return;
    if (this.log.matchTerm(index, term)) {
      // We already hold the entry: the snapshot only tells us it is committed.
      this.log.commitTo(index);
      return;
    }
    this.log.restore(snapshot);
    this.membership = Membership.from(snapshot.metadata.conf);
    this.snapshot = snapshot;
    this.pendingSnapshot = snapshot;
  }

  // ---- leader ------------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    const progress = this.progress.get(m.from);
    if (m.type === MessageType.ReadIndex) {
      if (!this.leaderRead(m.context, m.from)) {
        const reply = this.message(MessageType.ReadIndexResponse, m.from);
        reply.reject = true;
        reply.context = m.context;
        this.send(reply);
      }
      return;
    }
    if (!progress) return;
    progress.recentActive = true;
    switch (m.type) {
      case MessageType.AppendResponse:
        this.handleAppendResponse(m, progress);
        return;
      case MessageType.HeartbeatResponse:
        this.handleHeartbeatResponse(m, progress);
        return;
      case MessageType.SnapshotResponse:
        this.handleSnapshotResponse(m, progress);
        return;
    }
  }

  private handleAppendResponse(m: Message, progress: Progress): void {
    if (m.reject) {
      if (progress.maybeDecrease(m.index, m.rejectHint)) {
        if (progress.state === ProgressState.Replicate) progress.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = progress.isPaused(this.config.maxInflightMessages);
    if (progress.maybeUpdate(m.index)) {
      if (progress.state === ProgressState.Probe) {
        progress.becomeReplicate();
      } else if (
        progress.state === ProgressState.Snapshot &&
        progress.match >= progress.snapshotIndex
      ) {
        progress.becomeReplicate();
      } else {
        progress.acknowledge(m.index);
      }
      if (this.maybeCommit()) this.commitBroadcastPending = true;
      else if (wasPaused) this.sendAppend(m.from, true);
      while (this.sendAppend(m.from, false)) {}
      if (m.from === this.leadTransferee && progress.match === this.log.lastIndex()) {
        this.sendTimeoutNow(m.from);
      }
    } else if (progress.state === ProgressState.Replicate) {
      progress.acknowledge(m.index);
    }
  }

  private handleHeartbeatResponse(m: Message, progress: Progress): void {
    progress.probeSent = false;
    if (progress.state === ProgressState.Replicate) progress.freeOneSlot();
    if (progress.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (m.context.length === 0) return;
    const released = this.reads.acknowledge(m.context, m.from, (acks) => this.hasQuorum(acks));
    for (const read of released) this.releaseRead(read.requestId, read.index, read.from);
  }

  private handleSnapshotResponse(m: Message, progress: Progress): void {
    if (progress.state !== ProgressState.Snapshot || m.index !== progress.snapshotIndex) return;
    progress.snapshotOffset = m.snapshotOffset;
    progress.snapshotIdleTicks = 0;
    const size = this.snapshot?.data.length ?? 0;
    if (m.snapshotOffset < size) this.sendSnapshot(m.from);
    // Once the follower holds it all, it restores and answers with an AppendResponse.
  }

  private proposalRefusal(bytes: number): ProposeResult | null {
    if (this.role !== Role.Leader) return this.refuse('not-leader', 'this node is not the leader');
    if (this.leadTransferee !== NONE) {
      return this.refuse('transferring', 'leadership is being transferred');
    }
    const max = this.config.maxUncommittedBytes;
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > max) {
      return this.refuse('overloaded', `more than ${max} bytes are waiting to commit`);
    }
    return null;
  }

  private refuse(reason: ProposeRefusal, detail: string): ProposeResult {
    return { ok: false, reason, leader: this.leader, detail };
  }

  private appendOwn(type: EntryType, data: Uint8Array): number {
    const index = this.log.lastIndex() + 1;
    this.log.append([{ term: this.term, index, type, data }]);
    this.uncommittedBytes += data.length;
    this.broadcastPending = true;
    return index;
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** Commits the highest index a quorum of voters holds, if it is of the current term. */
  private maybeCommit(): boolean {
    const matches: number[] = [];
    for (const id of this.membership.voters) matches.push(this.progress.get(id)?.match ?? 0);
    matches.sort((a, b) => b - a);
    const index = matches[this.membership.quorum() - 1] ?? 0;
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    const before = this.log.committed;
    const hadCommittedInTerm = this.committedInCurrentTerm();
    this.log.commitTo(index);
    for (let i = before + 1; i <= index; i++) {
      const entry = this.log.entry(i);
      if (entry && entry.term === this.term) this.uncommittedBytes -= entry.data.length;
    }
    invariant(this.uncommittedBytes >= 0, 'uncommitted byte count went negative');
    if (!hadCommittedInTerm) this.flushReadsAwaitingCommit();
    return true;
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.membership.voters) {
      if (id === this.id || this.progress.get(id)?.recentActive) active++;
    }
    return active >= this.membership.quorum();
  }

  private hasQuorum(acks: Set<NodeId>): boolean {
    let count = 0;
    for (const id of acks) if (this.membership.voters.has(id)) count++;
    return count >= this.membership.quorum();
  }

  private leaderRead(requestId: Uint8Array, from: NodeId): boolean {
    if (!this.committedInCurrentTerm()) {
      if (this.readsAwaitingCommit.length >= MAX_PENDING_READS) return false;
      this.readsAwaitingCommit.push({ requestId, from });
      return true;
    }
    if (this.membership.voters.size === 1 && this.membership.voters.has(this.id)) {
      this.releaseRead(requestId, this.log.committed, from);
      return true;
    }
    if (this.reads.isFull()) return false;
    this.reads.add(requestId, this.log.committed, from, this.id);
    return true;
  }

  private flushReadsAwaitingCommit(): void {
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const read of waiting) this.leaderRead(read.requestId, read.from);
  }

  private releaseRead(requestId: Uint8Array, index: number, from: NodeId): void {
    if (from === this.id) {
      this.readStates.push({ index, requestId });
      return;
    }
    const reply = this.message(MessageType.ReadIndexResponse, from);
    reply.index = index;
    reply.context = requestId;
    this.send(reply);
  }

  /** Sends batched work: new entries, a commit advance, a heartbeat confirming reads. */
  private flushLeaderSends(): void {
    if (this.broadcastPending || this.commitBroadcastPending) {
      for (const id of this.progress.keys()) {
        if (id === this.id) continue;
        let sent = this.sendAppend(id, this.commitBroadcastPending);
        while (sent) sent = this.sendAppend(id, false);
      }
      this.broadcastPending = false;
      this.commitBroadcastPending = false;
    }
    if (this.reads.unconfirmed) {
      this.broadcastHeartbeat(this.reads.unconfirmed.requestId);
      this.reads.unconfirmed = null;
    }
  }

  /**
   * Sends the follower what it misses, if its window allows. With `evenIfEmpty` an Append
   * without entries still goes out (a probe, or news of the commit index). Returns whether
   * entries were sent.
   */
  private sendAppend(to: NodeId, evenIfEmpty: boolean): boolean {
    const progress = this.progress.get(to);
    if (!progress || progress.isPaused(this.config.maxInflightMessages)) return false;
    const previousIndex = progress.next - 1;
    const previousTerm = this.log.term(previousIndex);
    if (previousTerm === undefined) {
      // The follower needs entries we compacted: send the snapshot instead.
      const snapshot = this.snapshot;
      invariant(snapshot !== null, 'log compacted without a snapshot');
      progress.becomeSnapshot(snapshot.metadata.index);
      this.sendSnapshot(to);
      return false;
    }
    const lastIndex = this.log.lastIndex();
    const entries =
      progress.next <= lastIndex
        ? this.log.slice(progress.next, lastIndex, this.config.maxMessageBytes)
        : [];
    if (entries.length === 0 && !evenIfEmpty) return false;
    const m = this.message(MessageType.Append, to);
    m.index = previousIndex;
    m.logTerm = previousTerm;
    m.entries = entries;
    m.commit = this.log.committed;
    this.send(m);
    const last = entries.length > 0 ? entries[entries.length - 1]!.index : previousIndex;
    progress.sentEntries(last, entries.length, this.config.maxInflightMessages);
    return entries.length > 0;
  }

  private sendSnapshot(to: NodeId): void {
    const progress = this.progress.get(to)!;
    const snapshot = this.snapshot!;
    if (progress.snapshotIndex !== snapshot.metadata.index) {
      progress.becomeSnapshot(snapshot.metadata.index);
    }
    const offset = progress.snapshotOffset;
    const m = this.message(MessageType.Snapshot, to);
    m.snapshot = snapshot.metadata;
    m.snapshotOffset = offset;
    m.snapshotSize = snapshot.data.length;
    m.chunk = snapshot.data.subarray(offset, offset + this.config.snapshotChunkBytes);
    this.send(m);
    progress.snapshotIdleTicks = 0;
  }

  private broadcastHeartbeat(context: Uint8Array): void {
    for (const [id, progress] of this.progress) {
      if (id === this.id) continue;
      const m = this.message(MessageType.Heartbeat, id);
      // Never tell a follower to commit past what it is known to hold.
      m.commit = Math.min(progress.match, this.log.committed);
      m.context = context;
      this.send(m);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(this.message(MessageType.TimeoutNow, to));
  }

  // ---- membership --------------------------------------------------------------------------

  private applyConfChange(change: ConfChange): void {
    if (!this.membership.apply(change)) return;
    if (change.nodeId === this.leadTransferee && !this.membership.voters.has(change.nodeId)) {
      this.leadTransferee = NONE;
    }
    if (this.role !== Role.Leader) return;
    if (!this.membership.voters.has(this.id)) {
      // Removed or demoted: stop leading; the remaining voters elect a new leader.
      this.becomeFollower(this.term, NONE);
      return;
    }
    const next = this.log.lastIndex() + 1;
    for (const id of this.progress.keys()) {
      if (!this.membership.isMember(id)) this.progress.delete(id);
    }
    for (const id of [...this.membership.voters, ...this.membership.learners]) {
      const learner = this.membership.learners.has(id);
      const existing = this.progress.get(id);
      if (existing) existing.learner = learner;
      else this.progress.set(id, new Progress(next, learner));
    }
    // A smaller quorum may commit at once; new members need their first probe.
    if (this.maybeCommit()) this.commitBroadcastPending = true;
    this.broadcastPending = true;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private message(type: MessageType, to: NodeId): Message {
    return emptyMessage(type, this.id, to, this.term);
  }

  private send(m: Message): void {
    this.messages.push(m);
  }

  private currentHardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private hardStateChanged(): boolean {
    const previous = this.previousHardState;
    return (
      previous.term !== this.term ||
      previous.vote !== this.vote ||
      previous.commit !== this.log.committed
    );
  }

  private softStateChanged(): boolean {
    const previous = this.previousSoftState;
    return previous.leader !== this.leader || previous.role !== this.role;
  }

  private assertNoOutstandingReady(): void {
    invariant(this.outstanding === null, 'advance() the outstanding Ready before new input');
  }
}
