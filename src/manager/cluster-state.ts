// The cluster state a manager holds: the store, replicated through Raft by a Replica. Writes
// are store batches proposed on the leader (a follower forwards them); reads are local.
// Membership of the Raft group (managers joining as learners, promotion, removal) goes
// through here too, one change at a time.
import {
  type ConfChange,
  type ConfChangeType,
  type ConfState,
  DEFAULT_CONFIG,
  decodeConfChange,
  EntryType,
  type Message,
  type NodeId,
  type Raft,
  Role,
  type SoftState,
} from '../raft/index.ts';
import { type PersistMode, Replica, Waiters } from '../replica/index.ts';
import type { LoadedState, RaftStorage } from '../storage/index.ts';
import {
  type Batch,
  type Change,
  encodeBatch,
  type Store,
  type StoreError,
} from '../store/index.ts';
import { StoreStateMachine } from './state-machine.ts';

/** Docker's words when no leader can be reached: clients and users recognise them. */
export const NO_LEADER_MESSAGE =
  "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.";

export class QuorumLostError extends Error {
  override name = 'QuorumLostError';
  readonly code = 'unavailable';
  constructor() {
    super(NO_LEADER_MESSAGE);
  }
}

export interface ClusterStateOptions {
  raftId: NodeId;
  storage: RaftStorage;
  loaded: LoadedState;
  bootstrap: ConfState | null;
  send: (messages: Message[]) => void;
  /** Sends a batch to the leader (this member is a follower) and resolves with its outcome. */
  forward: (leader: NodeId, batch: Batch) => Promise<void>;
  persist: PersistMode;
  tickMs: number;
  electionTicks: number;
  /** Ticks between the leader's heartbeats (default 1). */
  heartbeatTicks?: number;
  /** How long a proposal may wait for its commit before it fails (quorum likely lost). */
  proposalTimeoutMs?: number;
  snapshotEveryEntries?: number;
  keepEntriesAfterSnapshot?: number;
  onSoftState?: (state: SoftState) => void;
  /** A membership change was applied (to add or drop a transport peer). */
  onConfChange?: (change: ConfChange) => void;
  onFatal: (error: unknown) => void;
}

const MAX_PENDING_PROPOSALS = 10_000;

export class ClusterState {
  readonly raftId: NodeId;
  private readonly machine = new StoreStateMachine();
  private readonly replica: Replica;
  private readonly waiters = new Waiters(MAX_PENDING_PROPOSALS, () => new QuorumLostError());
  private ticker: NodeJS.Timeout | null = null;
  private nextRequest = 0;
  private readonly requestPrefix: string;
  private stopped = false;

  constructor(private readonly options: ClusterStateOptions) {
    this.raftId = options.raftId;
    this.requestPrefix = `${options.raftId}-${Date.now().toString(36)}`;
    this.replica = new Replica({
      raftConfig: {
        ...DEFAULT_CONFIG,
        id: options.raftId,
        electionTicks: options.electionTicks,
        heartbeatTicks: options.heartbeatTicks ?? 1,
        random: Math.random,
      },
      storage: options.storage,
      loaded: options.loaded,
      bootstrap: options.bootstrap,
      stateMachine: this.machine,
      send: options.send,
      persist: options.persist,
      snapshotEveryEntries: options.snapshotEveryEntries ?? 10_000,
      keepEntriesAfterSnapshot: options.keepEntriesAfterSnapshot ?? 500,
      onApplied: (requestId) => this.settleApplied(requestId),
      onReadConfirmed: (requestId) => this.waiters.settle(requestId),
      onRefused: (requestId) => this.waiters.settle(requestId, new QuorumLostError()),
      onSoftState: options.onSoftState,
      onFatal: (error) => {
        this.failAll(error instanceof Error ? error : new Error(String(error)));
        options.onFatal(error);
      },
      observer: {
        applied: (entry) => {
          if (entry.type === EntryType.ConfChange) {
            options.onConfChange?.(decodeConfChange(entry.data));
          }
        },
      },
    });
  }

  /** The store: read it freely; write only through propose(). */
  get store(): Store {
    return this.machine.store;
  }

  get raft(): Raft {
    return this.replica.raft;
  }

  isLeader(): boolean {
    return this.raft.role === Role.Leader;
  }

  leader(): NodeId {
    return this.raft.leader;
  }

  start(): void {
    this.ticker = setInterval(() => this.replica.tick(), this.options.tickMs);
  }

  step(message: Message): void {
    this.replica.step(message);
  }

  /**
   * Applies `changes` as one batch through Raft; resolves once applied here, rejects with the
   * store's error (conflict, not found...) or QuorumLostError. On a follower the batch is
   * forwarded to the leader.
   */
  async propose(changes: Change[], timestamp = new Date().toISOString()): Promise<void> {
    const batch: Batch = { timestamp, changes, requestId: this.newRequestId() };
    if (!this.isLeader() && this.leader() === 0) await this.awaitLeader();
    if (this.isLeader()) return this.proposeHere(batch);
    const leader = this.leader();
    if (leader === 0) throw new QuorumLostError();
    return this.options.forward(leader, batch);
  }

  /**
   * Waits (two election timeouts at most) for a leader to be known: a write that arrives just
   * after a restart or a leader's loss waits for the election instead of failing.
   */
  private async awaitLeader(): Promise<void> {
    const deadline = Date.now() + 2 * this.options.electionTicks * this.options.tickMs;
    while (this.leader() === 0 && !this.stopped && Date.now() < deadline) await sleep(20);
  }

  /** Proposes a batch (ours, or one a follower forwarded) on this member, which must lead. */
  proposeHere(batch: Batch): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('the manager is shutting down'));
    if (!this.isLeader()) return Promise.reject(new QuorumLostError());
    const requestId = batch.requestId ?? this.newRequestId();
    const data = encodeBatch({ ...batch, requestId });
    const done = this.wait(requestId);
    this.replica.propose(requestId, data);
    return done;
  }

  /** A linearizable read point: resolves once this member has applied everything committed. */
  async barrier(): Promise<void> {
    const requestId = this.newRequestId();
    const done = this.wait(requestId);
    this.replica.read(requestId);
    return done;
  }

  /** Proposes one membership change on the leader; resolves when it is committed and applied. */
  async changeMembership(type: ConfChangeType, nodeId: NodeId, context: Uint8Array): Promise<void> {
    const deadline = Date.now() + (this.options.proposalTimeoutMs ?? 10_000);
    for (;;) {
      if (!this.isLeader()) throw new QuorumLostError();
      const result = this.replica.proposeConfChange({ type, nodeId, context });
      if (result?.ok) {
        const index = result.index;
        while (this.raft.log.applied < index) {
          if (Date.now() > deadline) throw new QuorumLostError();
          await sleep(10);
        }
        if (this.raft.log.term(index) !== result.term) continue; // lost in a leader change
        return;
      }
      if (result && result.reason === 'invalid-conf-change') {
        throw new Error(result.detail ?? 'invalid membership change');
      }
      if (Date.now() > deadline) throw new QuorumLostError();
      await sleep(20);
    }
  }

  /** Asks the leader (this member) to hand leadership to `target`; false if it cannot. */
  transferLeadership(target: NodeId): boolean {
    return this.replica.transferLeadership(target);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.failAll(new Error('the manager is shutting down'));
    await this.replica.stop();
  }

  private newRequestId(): string {
    if (this.waiters.isFull()) {
      throw Object.assign(new Error('too many proposals in flight'), { code: 'unavailable' });
    }
    return `${this.requestPrefix}-${this.nextRequest++}`;
  }

  private wait(requestId: string): Promise<void> {
    return this.waiters.wait(requestId, this.options.proposalTimeoutMs ?? 10_000);
  }

  private settleApplied(requestId: string): void {
    const outcome = this.machine.takeOutcome(requestId);
    this.waiters.settle(
      requestId,
      outcome && !outcome.ok ? (outcome.error as StoreError) : undefined,
    );
  }

  private failAll(error: Error): void {
    this.waiters.failAll(error);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
