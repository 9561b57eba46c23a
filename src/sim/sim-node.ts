// One simulated Raft member: the same Replica a real member runs (Raft core, Ready loop,
// storage code), in blocking mode on an in-memory file system that forgets unsynced writes on
// a crash, with the key-value state machine.
import {
  DEFAULT_CONFIG,
  type Message,
  type NodeId,
  type Raft,
  type RaftConfig,
} from '../raft/index.ts';
import { KvStateMachine } from '../raftkv/state-machine.ts';
import { Replica } from '../replica/index.ts';
import { MemFileSystem, RaftStorage } from '../storage/index.ts';
import { DurableModel } from './durable-model.ts';
import type { Random } from './random.ts';
import type { SafetyChecker } from './safety.ts';

export type WriteOutcome = 'ok' | 'refused';
export type ReadOutcome = { value: string | null } | 'refused';

export interface SimNodeOptions {
  id: NodeId;
  founders: NodeId[] | null;
  config: Partial<RaftConfig>;
  snapshotEveryEntries: number;
  keepEntriesAfterSnapshot: number;
  kek: Uint8Array | null;
  send: (messages: Message[]) => void;
  /** Called when a storage failure stopped the node (the simulation restarts it later). */
  onStorageFailure: (node: SimNode) => void;
}

export class SimNode {
  readonly id: NodeId;
  readonly fs = new MemFileSystem();
  alive = false;
  private replica!: Replica;
  private kv = new KvStateMachine();
  private writes = new Map<string, (outcome: WriteOutcome) => void>();
  private reads = new Map<string, { key: string; done: (outcome: ReadOutcome) => void }>();
  private readonly durable = new DurableModel();

  constructor(
    private readonly options: SimNodeOptions,
    private readonly random: Random,
    private readonly safety: SafetyChecker,
  ) {
    this.id = options.id;
  }

  get raft(): Raft {
    return this.replica.raft;
  }

  start(): void {
    const storage = RaftStorage.open({ dir: '/data', fs: this.fs, kek: this.options.kek });
    const loaded = storage.load();
    this.durable.checkRecovered(this.id, loaded);
    const founders = this.options.founders;
    this.kv = new KvStateMachine();
    this.replica = new Replica({
      raftConfig: {
        ...DEFAULT_CONFIG,
        ...this.options.config,
        id: this.id,
        random: () => this.random.next(),
      },
      storage,
      loaded,
      bootstrap: founders ? { voters: founders, learners: [], removed: [] } : null,
      stateMachine: this.kv,
      send: this.options.send,
      persist: 'blocking',
      snapshotEveryEntries: this.options.snapshotEveryEntries,
      keepEntriesAfterSnapshot: this.options.keepEntriesAfterSnapshot,
      onApplied: (requestId) => this.settleWrite(requestId, 'ok'),
      onReadConfirmed: (requestId) => this.serveRead(requestId),
      onRefused: (requestId) => {
        this.settleWrite(requestId, 'refused');
        this.reads.get(requestId)?.done('refused');
        this.reads.delete(requestId);
      },
      onFatal: (_error, ready) => {
        // A failed write or fsync is fatal: the node stops as a crash would. What it wrote may
        // or may not have reached the disk; none of it was acknowledged to anyone.
        this.durable.saveFailed(ready);
        this.crash();
        this.options.onStorageFailure(this);
      },
      observer: {
        persisted: (raft, ready) => {
          this.durable.saved(ready);
          this.safety.observePersisted(raft, ready.entries);
        },
        applied: (entry) => this.safety.observeApplied(this.id, entry),
        advanced: (raft) => this.safety.observeRole(raft),
        snapshotSaved: (snapshot) => this.durable.snapshotSaved(snapshot),
      },
    });
    this.alive = true;
    this.replica.processNow();
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

  step(m: Message): void {
    this.replica.step(m);
    this.replica.processNow();
  }

  tick(): void {
    this.replica.tick();
    this.replica.processNow();
  }

  write(requestId: string, data: Uint8Array, done: (outcome: WriteOutcome) => void): void {
    this.writes.set(requestId, done);
    this.replica.propose(requestId, data);
    this.replica.processNow();
  }

  read(requestId: string, key: string, done: (outcome: ReadOutcome) => void): void {
    this.reads.set(requestId, { key, done });
    this.replica.read(requestId);
    this.replica.processNow();
  }

  forget(requestId: string): void {
    this.writes.delete(requestId);
    this.reads.delete(requestId);
  }

  transferLeadership(target: NodeId): void {
    this.replica.transferLeadership(target);
    this.replica.processNow();
  }

  proposeConfChange(change: Parameters<Replica['proposeConfChange']>[0]) {
    const result = this.replica.proposeConfChange(change);
    this.replica.processNow();
    return result;
  }

  private settleWrite(requestId: string, outcome: WriteOutcome): void {
    const done = this.writes.get(requestId);
    if (!done) return;
    this.writes.delete(requestId);
    done(outcome);
  }

  private serveRead(requestId: string): void {
    const read = this.reads.get(requestId);
    if (!read) return;
    this.reads.delete(requestId);
    const value = this.kv.get(read.key);
    read.done({ value: value ? Buffer.from(value).toString() : null });
  }

  fingerprint(): string {
    return this.kv.fingerprint();
  }
}
