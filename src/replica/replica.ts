// A Raft member bound to its storage, a transport and a replicated state machine: the Ready
// loop every user of Raft needs (the raft-kv store, the simulator, the managers' store).
//
// Inputs (messages, ticks, proposals, reads) go into an inbox and are fed to the core
// between Readies, so everything that arrived while a Ready was on disk shares the next fsync.
// Each Ready: send what may precede persistence (a leader's replication traffic), write, make
// it durable, send the rest, apply, advance. Two ways to make it durable:
//   'blocking'     fsync in place; the caller drives processNow() (the simulator: deterministic)
//   'thread-pool'  fsync on libuv's thread pool while the event loop keeps receiving; the loop
//                  runs by itself on setImmediate (real members)
import {
  type ConfChange,
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  mayPrecedePersistence,
  type NodeId,
  type ProposeResult,
  Raft,
  type RaftConfig,
  type Ready,
  type Snapshot,
  type SoftState,
} from '../raft/index.ts';
import type { LoadedState, RaftStorage } from '../storage/index.ts';

export interface ReplicatedStateMachine {
  /** Applies one committed entry with data; returns the request id it carried, if any. */
  apply(entry: Entry): string | null;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

/** Hooks for the simulator's safety checks; a real member leaves them out. */
export interface ReplicaObserver {
  persisted?(raft: Raft, ready: Ready): void;
  applied?(entry: Entry): void;
  advanced?(raft: Raft): void;
  snapshotSaved?(snapshot: Snapshot): void;
}

export type PersistMode = 'blocking' | 'thread-pool';

export interface ReplicaOptions {
  raftConfig: RaftConfig;
  storage: RaftStorage;
  /** What storage.load() returned (the caller may inspect it first). */
  loaded: LoadedState;
  /** The founding membership, used only when the storage is empty. */
  bootstrap: ConfState | null;
  stateMachine: ReplicatedStateMachine;
  send: (messages: Message[]) => void;
  persist: PersistMode;
  snapshotEveryEntries: number;
  keepEntriesAfterSnapshot: number;
  /** A proposal with this request id was applied here. */
  onApplied: (requestId: string) => void;
  /** A read asked with this id may now be served from the state machine. */
  onReadConfirmed: (requestId: string) => void;
  /** A proposal or read could not be taken now (not the leader, overloaded...). */
  onRefused: (requestId: string, leader: NodeId, reason: string) => void;
  onSoftState?: (state: SoftState) => void;
  /** Storage failed: nothing more may be acknowledged; the replica has stopped. */
  onFatal: (error: unknown, ready: Ready | null) => void;
  observer?: ReplicaObserver;
  /** Inputs waiting while a Ready is persisted; messages beyond it are dropped. */
  maxInbox?: number;
}

type Input =
  | { kind: 'message'; message: Message }
  | { kind: 'tick' }
  | { kind: 'propose'; requestId: string; data: Uint8Array }
  | { kind: 'read'; requestId: string };

const DEFAULT_MAX_INBOX = 100_000;
const MAX_READIES_PER_TURN = 100;

export class Replica {
  readonly raft: Raft;
  private readonly options: ReplicaOptions;
  private inbox: Input[] = [];
  private ticksQueued = 0;
  private readonly readIndexes = new Map<string, number>();
  private lastSnapshotIndex: number;
  private scheduled = false;
  private running = false;
  private stopped = false;

  constructor(options: ReplicaOptions) {
    this.options = options;
    const { loaded } = options;
    const fresh = loaded.snapshot === null && loaded.entries.length === 0;
    this.raft = new Raft(options.raftConfig, {
      ...loaded,
      bootstrap: fresh ? options.bootstrap : null,
    });
    if (loaded.snapshot) options.stateMachine.restore(loaded.snapshot.data);
    this.lastSnapshotIndex = loaded.snapshot?.metadata.index ?? 0;
  }

  get isRunning(): boolean {
    return this.running;
  }

  step(message: Message): void {
    if (this.inbox.length >= (this.options.maxInbox ?? DEFAULT_MAX_INBOX)) return;
    this.enqueue({ kind: 'message', message });
  }

  tick(): void {
    // While a Ready is on disk, a few queued ticks are enough to keep time.
    if (this.ticksQueued >= 3) return;
    this.ticksQueued++;
    this.enqueue({ kind: 'tick' });
  }

  propose(requestId: string, data: Uint8Array): void {
    this.enqueue({ kind: 'propose', requestId, data });
  }

  read(requestId: string): void {
    this.enqueue({ kind: 'read', requestId });
  }

  /** Membership changes and transfers act at once; call between Readies (e.g. from a timer). */
  proposeConfChange(change: ConfChange): ProposeResult | null {
    if (this.running) return null;
    const result = this.raft.proposeConfChange(change);
    this.kick();
    return result;
  }

  transferLeadership(target: NodeId): boolean {
    if (this.running) return false;
    const accepted = this.raft.transferLeadership(target);
    this.kick();
    return accepted;
  }

  /** Stops taking input; resolves once a Ready in progress has finished with the disk. */
  async stop(): Promise<void> {
    this.stopped = true;
    const deadline = Date.now() + 10_000;
    while (this.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }

  /** Blocking mode: feeds the inbox and handles every Ready now, synchronously. */
  processNow(): void {
    for (let round = 0; round < 10 * MAX_READIES_PER_TURN && !this.stopped; round++) {
      this.drainInbox();
      if (!this.raft.hasReady()) return;
      const ready = this.raft.ready();
      if (!this.write(ready)) return;
      this.finish(ready);
    }
  }

  private enqueue(input: Input): void {
    if (this.stopped) return;
    this.inbox.push(input);
    this.kick();
  }

  private kick(): void {
    if (this.options.persist !== 'thread-pool' || this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (let round = 0; round < MAX_READIES_PER_TURN && !this.stopped; round++) {
        this.drainInbox();
        if (!this.raft.hasReady()) break;
        const ready = this.raft.ready();
        if (!this.write(ready)) return;
        if (ready.mustSync && ready.snapshot === null) {
          try {
            await this.options.storage.syncAsync();
          } catch (error) {
            this.fail(error, ready);
            return;
          }
        }
        if (this.stopped) return;
        this.finish(ready);
      }
    } finally {
      this.running = false;
    }
    if (this.inbox.length > 0 || this.raft.hasReady()) this.kick();
  }

  /** Sends what may go first, then writes the Ready (fsync included in blocking mode). */
  private write(ready: Ready): boolean {
    this.options.send(ready.messages.filter(mayPrecedePersistence));
    const blocking = this.options.persist === 'blocking' || ready.snapshot !== null;
    try {
      this.options.storage.save(ready.hardState, ready.entries, ready.snapshot, {
        sync: blocking && ready.mustSync,
      });
    } catch (error) {
      this.fail(error, ready);
      return false;
    }
    return true;
  }

  /** The Ready is durable: send the rest, apply, advance, snapshot if due. */
  private finish(ready: Ready): void {
    const { options, raft } = this;
    options.observer?.persisted?.(raft, ready);
    options.send(ready.messages.filter((m) => !mayPrecedePersistence(m)));
    if (ready.snapshot) {
      options.stateMachine.restore(ready.snapshot.data);
      this.lastSnapshotIndex = ready.snapshot.metadata.index;
    }
    for (const entry of ready.committed) {
      options.observer?.applied?.(entry);
      if (entry.type !== EntryType.Normal || entry.data.length === 0) continue;
      const requestId = options.stateMachine.apply(entry);
      if (requestId !== null) options.onApplied(requestId);
    }
    for (const state of ready.readStates) {
      this.readIndexes.set(Buffer.from(state.requestId).toString(), state.index);
    }
    if (ready.softState) options.onSoftState?.(ready.softState);
    raft.advance(ready);
    options.observer?.advanced?.(raft);
    this.confirmReads();
    this.maybeSnapshot();
  }

  private drainInbox(): void {
    const inputs = this.inbox;
    this.inbox = [];
    this.ticksQueued = 0;
    for (const input of inputs) {
      switch (input.kind) {
        case 'message':
          this.raft.step(input.message);
          break;
        case 'tick':
          this.raft.tick();
          break;
        case 'propose': {
          const result = this.raft.propose(input.data);
          if (!result.ok) {
            this.options.onRefused(input.requestId, result.leader, result.detail ?? result.reason);
          }
          break;
        }
        case 'read':
          if (!this.raft.readIndex(Buffer.from(input.requestId))) {
            this.options.onRefused(input.requestId, this.raft.leader, 'no leader is known');
          }
          break;
      }
    }
  }

  private confirmReads(): void {
    const applied = this.raft.log.applied;
    for (const [requestId, index] of this.readIndexes) {
      if (index > applied) continue;
      this.readIndexes.delete(requestId);
      this.options.onReadConfirmed(requestId);
    }
  }

  private maybeSnapshot(): void {
    const applied = this.raft.log.applied;
    if (applied - this.lastSnapshotIndex < this.options.snapshotEveryEntries) return;
    const snapshot = this.raft.createSnapshot(
      applied,
      this.options.stateMachine.snapshot(),
      this.options.keepEntriesAfterSnapshot,
    );
    try {
      this.options.storage.saveSnapshot(snapshot);
    } catch (error) {
      this.fail(error, null);
      return;
    }
    this.lastSnapshotIndex = applied;
    this.options.observer?.snapshotSaved?.(snapshot);
  }

  private fail(error: unknown, ready: Ready | null): void {
    this.stopped = true;
    this.options.onFatal(error, ready);
  }
}
