// One simulated Raft member: the real Raft core and the real storage code on an in-memory
// file system that forgets unsynced writes on a crash, plus the key-value state machine.
import {
  DEFAULT_CONFIG,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  mayPrecedePersistence,
  type NodeId,
  Raft,
  type RaftConfig,
  type Snapshot,
} from '../raft/index.ts';
import { KvStateMachine } from '../raftkv/state-machine.ts';
import { MemFileSystem, RaftStorage } from '../storage/index.ts';
import type { Random } from './random.ts';
import { type SafetyChecker, SafetyViolation } from './safety.ts';

export type WriteOutcome = 'ok' | 'refused';
export type ReadOutcome = { value: string | null } | 'refused';

interface PendingRead {
  key: string;
  index: number | null;
  done: (outcome: ReadOutcome) => void;
}

/** What the node saved, as a model: after a crash, storage must give back exactly this. */
interface DurableModel {
  hardState: HardState;
  /** The commit index of the last synced save: an unsynced commit-only update may be lost. */
  syncedCommit: number;
  snapshot: Snapshot['metadata'] | null;
  entries: Entry[];
}

export interface SimNodeOptions {
  id: NodeId;
  founders: NodeId[] | null;
  config: Partial<RaftConfig>;
  snapshotEveryEntries: number;
  keepEntriesAfterSnapshot: number;
  kek: Uint8Array | null;
  /** Called when a storage failure stopped the node (the simulation restarts it later). */
  onStorageFailure: (node: SimNode) => void;
}

export class SimNode {
  readonly id: NodeId;
  readonly fs = new MemFileSystem();
  raft!: Raft;
  alive = false;
  private storage!: RaftStorage;
  private kv = new KvStateMachine();
  private writes = new Map<string, (outcome: WriteOutcome) => void>();
  private reads = new Map<string, PendingRead>();
  private lastSnapshotIndex = 0;
  /** After a failed save, its hard state and entries from this index on may be on disk or not. */
  private unacknowledgedFrom: number | null = null;
  private durable: DurableModel = {
    hardState: { term: 0, vote: 0, commit: 0 },
    syncedCommit: 0,
    snapshot: null,
    entries: [],
  };

  constructor(
    private readonly options: SimNodeOptions,
    private readonly random: Random,
    private readonly safety: SafetyChecker,
  ) {
    this.id = options.id;
  }

  start(): void {
    this.storage = RaftStorage.open({ dir: '/data', fs: this.fs, kek: this.options.kek });
    const loaded = this.storage.load();
    this.checkRecovered(loaded);
    const config: RaftConfig = {
      ...DEFAULT_CONFIG,
      ...this.options.config,
      id: this.id,
      random: () => this.random.next(),
    };
    const fresh = loaded.snapshot === null && loaded.entries.length === 0;
    const founders = this.options.founders;
    this.raft = new Raft(config, {
      ...loaded,
      bootstrap: fresh && founders ? { voters: founders, learners: [], removed: [] } : null,
    });
    this.kv = new KvStateMachine();
    if (loaded.snapshot) this.kv.restore(loaded.snapshot.data);
    this.lastSnapshotIndex = loaded.snapshot?.metadata.index ?? 0;
    this.alive = true;
  }

  /** Power loss: memory is gone, the disk keeps what was synced plus a torn tail. */
  crash(): void {
    this.alive = false;
    this.fs.crash(() => this.random.next());
    this.failPending();
  }

  /** The node is gone for good (removed from the cluster). */
  stop(): void {
    this.alive = false;
    this.failPending();
  }

  private failPending(): void {
    // Clients of this node learn nothing more: their operations stay of unknown outcome.
    this.writes.clear();
    this.reads.clear();
  }

  write(requestId: string, data: Uint8Array, done: (outcome: WriteOutcome) => void): void {
    const result = this.raft.propose(data);
    if (!result.ok) {
      done('refused');
      return;
    }
    this.writes.set(requestId, done);
  }

  read(requestId: string, key: string, done: (outcome: ReadOutcome) => void): void {
    if (!this.raft.readIndex(Buffer.from(requestId))) {
      done('refused');
      return;
    }
    this.reads.set(requestId, { key, index: null, done });
  }

  forget(requestId: string): void {
    this.writes.delete(requestId);
    this.reads.delete(requestId);
  }

  /** Runs the Ready loop until the core has nothing more to hand out. */
  processReadies(send: (messages: Message[]) => void): void {
    for (let round = 0; round < 1000 && this.alive && this.raft.hasReady(); round++) {
      this.processReady(send);
    }
  }

  private processReady(send: (messages: Message[]) => void): void {
    const raft = this.raft;
    const ready = raft.ready();
    // As the real member does: a leader's replication traffic leaves before its own fsync.
    send(ready.messages.filter(mayPrecedePersistence));
    try {
      this.storage.save(ready.hardState, ready.entries, ready.snapshot, {
        sync: ready.mustSync,
      });
    } catch {
      // A failed write or fsync is fatal: the node stops as a crash would. What it wrote may
      // or may not have reached the disk; none of it was acknowledged to anyone.
      const first = ready.snapshot ? 0 : (ready.entries[0]?.index ?? Number.POSITIVE_INFINITY);
      this.unacknowledgedFrom = Math.min(this.unacknowledgedFrom ?? first, first);
      this.crash();
      this.options.onStorageFailure(this);
      return;
    }
    this.recordSaved(ready.hardState, ready.entries, ready.snapshot, ready.mustSync);
    this.safety.observePersisted(raft, ready.entries);
    send(ready.messages.filter((m) => !mayPrecedePersistence(m)));
    if (ready.snapshot) {
      this.kv.restore(ready.snapshot.data);
      this.lastSnapshotIndex = ready.snapshot.metadata.index;
    }
    for (const entry of ready.committed) this.apply(entry);
    for (const state of ready.readStates) {
      const read = this.reads.get(Buffer.from(state.requestId).toString());
      if (read) read.index = state.index;
    }
    raft.advance(ready);
    this.safety.observeRole(raft);
    this.serveReads();
    this.maybeSnapshot();
  }

  private apply(entry: Entry): void {
    this.safety.observeApplied(this.id, entry);
    if (entry.type !== EntryType.Normal || entry.data.length === 0) return;
    const requestId = this.kv.apply(entry.data);
    const done = this.writes.get(requestId);
    if (done) {
      this.writes.delete(requestId);
      done('ok');
    }
  }

  private serveReads(): void {
    const applied = this.raft.log.applied;
    for (const [requestId, read] of this.reads) {
      if (read.index === null || read.index > applied) continue;
      this.reads.delete(requestId);
      const value = this.kv.get(read.key);
      read.done({ value: value ? Buffer.from(value).toString() : null });
    }
  }

  private maybeSnapshot(): void {
    const applied = this.raft.log.applied;
    if (applied - this.lastSnapshotIndex < this.options.snapshotEveryEntries) return;
    const snapshot = this.raft.createSnapshot(
      applied,
      this.kv.snapshot(),
      this.options.keepEntriesAfterSnapshot,
    );
    try {
      this.storage.saveSnapshot(snapshot);
    } catch {
      this.crash();
      this.options.onStorageFailure(this);
      return;
    }
    this.lastSnapshotIndex = applied;
    if (!this.durable.snapshot || this.durable.snapshot.index < applied) {
      this.durable.snapshot = snapshot.metadata;
    }
  }

  private recordSaved(
    hardState: HardState | null,
    entries: Entry[],
    snapshot: Snapshot | null,
    synced: boolean,
  ): void {
    const model = this.durable;
    if (synced && hardState) model.syncedCommit = hardState.commit;
    if (snapshot) {
      // The log restarts after a snapshot from the leader: everything before is dropped.
      model.snapshot = snapshot.metadata;
      model.entries = [];
    }
    if (entries.length > 0) {
      const first = entries[0]!.index;
      model.entries = model.entries.filter((e) => e.index < first).concat(entries);
    }
    if (hardState) model.hardState = { ...hardState };
  }

  /**
   * Durability: after a restart, storage returns every entry and state it acknowledged. After
   * a failed save, what that save wrote may or may not be there, so only the part before it
   * is compared.
   */
  private checkRecovered(loaded: ReturnType<RaftStorage['load']>): void {
    const model = this.durable;
    const where = `node ${this.id} after restart`;
    const exact = this.unacknowledgedFrom === null;
    const uncertainFrom = this.unacknowledgedFrom ?? Number.POSITIVE_INFINITY;
    this.unacknowledgedFrom = null;
    const hs = loaded.hardState;
    const sameHardState =
      hs.term === model.hardState.term &&
      hs.vote === model.hardState.vote &&
      hs.commit >= Math.min(model.syncedCommit, model.hardState.commit) &&
      hs.commit <= model.hardState.commit;
    if ((exact && !sameHardState) || hs.term < model.hardState.term) {
      throw new SafetyViolation(
        `${where}: hard state ${JSON.stringify(hs)} != saved ${JSON.stringify(model.hardState)}`,
      );
    }
    const snapshotIndex = loaded.snapshot?.metadata.index ?? 0;
    if (exact && snapshotIndex !== (model.snapshot?.index ?? 0)) {
      throw new SafetyViolation(
        `${where}: snapshot ${snapshotIndex} != saved ${model.snapshot?.index}`,
      );
    }
    const expected = model.entries.filter(
      (e) => e.index > snapshotIndex && e.index < uncertainFrom,
    );
    const recovered = loaded.entries.filter((e) => e.index < uncertainFrom);
    if (expected.length !== recovered.length) {
      throw new SafetyViolation(
        `${where}: ${recovered.length} entries recovered, ${expected.length} saved`,
      );
    }
    for (let i = 0; i < expected.length; i++) {
      const a = expected[i]!;
      const b = recovered[i]!;
      if (a.index !== b.index || a.term !== b.term || !Buffer.from(a.data).equals(b.data)) {
        throw new SafetyViolation(`${where}: entry ${a.index} differs from what was saved`);
      }
    }
    this.durable = {
      hardState: { ...hs },
      syncedCommit: hs.commit,
      snapshot: loaded.snapshot?.metadata ?? null,
      entries: loaded.entries,
    };
  }

  fingerprint(): string {
    return this.kv.fingerprint();
  }
}
