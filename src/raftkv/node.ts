// One member of the replicated key-value store as a real process: the Raft core with storage
// on disk (fsync'd), the gRPC transport between members, and the KV service for clients.
// All Raft input (ticks, messages, proposals, reads) is funnelled into one Ready loop that runs
// on the next turn of the event loop, so everything that arrived meanwhile shares one fsync.
import * as grpc from '@grpc/grpc-js';
import {
  DEFAULT_CONFIG,
  EntryType,
  type Message,
  mayPrecedePersistence,
  type NodeId,
  Raft,
  type RaftConfig,
  type Ready,
  Role,
} from '../raft/index.ts';
import {
  addKvService,
  type GetResult,
  type KvStatus,
  NotLeaderError,
  RaftTransport,
} from '../rpc/index.ts';
import { NodeFileSystem, RaftStorage } from '../storage/index.ts';
import { CommandKind, encodeCommand, KvStateMachine } from './state-machine.ts';

export interface MemberAddress {
  peer: string;
  client: string;
}

export interface RaftKvOptions {
  id: NodeId;
  dataDir: string;
  /** Every founding member, this one included. */
  members: Map<NodeId, MemberAddress>;
  tickMs?: number;
  electionTicks?: number;
  snapshotEveryEntries?: number;
  keepEntriesAfterSnapshot?: number;
  kek?: Uint8Array | null;
  /** A write or read not done within this time fails (the client may retry). */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
  /** Storage failed (e.g. fsync): the member cannot go on. Default: throw (crash the process). */
  onFatal?: (error: unknown) => void;
}

type Input =
  | { kind: 'message'; message: Message }
  | { kind: 'tick' }
  | { kind: 'propose'; requestId: string; command: Uint8Array }
  | { kind: 'read'; requestId: string };

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const MAX_PENDING_REQUESTS = 100_000;
/** Inputs waiting while a Ready is persisted; messages beyond it are dropped (Raft resends). */
const MAX_INBOX = 100_000;

export class RaftKvNode {
  readonly id: NodeId;
  private readonly options: Required<Omit<RaftKvOptions, 'log' | 'kek' | 'onFatal'>> & {
    kek: Uint8Array | null;
  };
  private readonly log: (line: string) => void;
  private storage!: RaftStorage;
  private raft!: Raft;
  private transport!: RaftTransport;
  private clientServer: grpc.Server | null = null;
  private readonly kv = new KvStateMachine();
  private ticker: NodeJS.Timeout | null = null;
  private scheduled = false;
  private running = false;
  private stopped = false;
  private inbox: Input[] = [];
  private readonly onFatal: (error: unknown) => void;
  private lastSnapshotIndex = 0;
  private nextRequest = 0;
  private readonly requestPrefix = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
  private readonly writes = new Map<string, Waiter<void>>();
  private readonly reads = new Map<string, Waiter<void> & { index: number | null }>();

  constructor(options: RaftKvOptions) {
    this.id = options.id;
    this.options = {
      tickMs: 100,
      electionTicks: 10,
      snapshotEveryEntries: 10_000,
      keepEntriesAfterSnapshot: 500,
      requestTimeoutMs: 5000,
      ...options,
      kek: options.kek ?? null,
    };
    this.log = options.log ?? (() => {});
    this.onFatal =
      options.onFatal ??
      ((error) => {
        throw error;
      });
  }

  async start(): Promise<void> {
    const { id, dataDir, members } = this.options;
    const self = members.get(id);
    if (!self) throw new Error(`member ${id} is not in the member list`);
    this.storage = RaftStorage.open({
      dir: dataDir,
      fs: new NodeFileSystem(),
      kek: this.options.kek,
      keepEntries: this.options.keepEntriesAfterSnapshot,
    });
    const loaded = this.storage.load();
    const fresh = loaded.snapshot === null && loaded.entries.length === 0;
    const config: RaftConfig = {
      ...DEFAULT_CONFIG,
      id,
      electionTicks: this.options.electionTicks,
      heartbeatTicks: 1,
      random: Math.random,
    };
    this.raft = new Raft(config, {
      ...loaded,
      bootstrap: fresh ? { voters: [...members.keys()], learners: [], removed: [] } : null,
    });
    if (loaded.snapshot) {
      this.kv.restore(loaded.snapshot.data);
      this.lastSnapshotIndex = loaded.snapshot.metadata.index;
    }
    this.transport = new RaftTransport({
      selfId: id,
      listen: self.peer,
      onMessage: (m) => this.onMessage(m),
    });
    await this.transport.start();
    for (const [peerId, address] of members) this.transport.addPeer(peerId, address.peer);
    await this.startClientServer(self.client);
    this.ticker = setInterval(() => {
      // While a Ready is on disk, ticks wait in the inbox; a few are enough to keep time.
      if (this.inbox.filter((i) => i.kind === 'tick').length < 3) this.enqueue({ kind: 'tick' });
    }, this.options.tickMs);
    this.schedule();
    this.log(`member ${id} started (peer ${self.peer}, client ${self.client})`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    const closed = new Error('the member is shutting down');
    for (const waiter of [...this.writes.values(), ...this.reads.values()]) {
      clearTimeout(waiter.timer);
      waiter.reject(closed);
    }
    this.writes.clear();
    this.reads.clear();
    // A Ready may be waiting on its fsync: let it finish before the files close.
    const deadline = Date.now() + 10_000;
    while (this.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    await this.transport?.close();
    const server = this.clientServer;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    this.storage?.close();
  }

  status(): KvStatus {
    const status = this.raft.status();
    return {
      id: this.id,
      leader: status.leader,
      term: status.term,
      commit: status.commit,
      applied: status.applied,
      role: status.role,
    };
  }

  /** Resolves once the write is committed and applied here. */
  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.assertAcceptingRequests();
    const requestId = `${this.requestPrefix}-${this.nextRequest++}`;
    const command = encodeCommand({
      kind: CommandKind.Put,
      requestId,
      key: Buffer.from(key).toString('utf8'),
      value,
    });
    const done = this.wait(this.writes, requestId);
    this.enqueue({ kind: 'propose', requestId, command });
    return done;
  }

  /** A linearizable read (ReadIndex) on any member, or a local possibly stale one. */
  async get(key: Uint8Array, linearizable: boolean): Promise<GetResult> {
    this.assertAcceptingRequests();
    if (linearizable) {
      const requestId = `${this.requestPrefix}-r${this.nextRequest++}`;
      const done = this.wait(this.reads, requestId, { index: null });
      this.enqueue({ kind: 'read', requestId });
      await done;
    }
    const value = this.kv.get(Buffer.from(key).toString('utf8'));
    return value ? { found: true, value } : { found: false, value: new Uint8Array(0) };
  }

  private assertAcceptingRequests(): void {
    if (this.stopped) throw new Error('the member is shutting down');
    if (this.writes.size + this.reads.size >= MAX_PENDING_REQUESTS) {
      throw Object.assign(new Error('too many requests in flight'), {
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
    }
  }

  private notLeader(leader: NodeId, detail: string): NotLeaderError {
    const address = this.options.members.get(leader)?.client ?? '';
    const error = new NotLeaderError(leader, address);
    error.message = `not the leader (${detail})`;
    return error;
  }

  private wait<T extends object>(
    table: Map<string, Waiter<void> & T>,
    requestId: string,
    extra?: T,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        table.delete(requestId);
        reject(
          Object.assign(new Error('timed out waiting for the cluster'), {
            code: grpc.status.DEADLINE_EXCEEDED,
          }),
        );
      }, this.options.requestTimeoutMs);
      table.set(requestId, { resolve, reject, timer, ...(extra as T) });
    });
  }

  private onMessage(m: Message): void {
    if (this.stopped) return;
    if (this.inbox.length >= MAX_INBOX) return; // Raft tolerates a lost message
    this.enqueue({ kind: 'message', message: m });
  }

  private enqueue(input: Input): void {
    this.inbox.push(input);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /**
   * The Ready loop. Inputs that arrive while a Ready is being persisted wait in the inbox and
   * are fed to the core together afterwards, so they share the next fsync.
   */
  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let round = 0; !this.stopped; round++) {
        this.drainInbox();
        if (!this.raft.hasReady()) break;
        await this.handleReady(this.raft.ready());
        if (round >= 100) {
          // Let timers and other I/O in before going on.
          this.schedule();
          break;
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.running = false;
    }
    if (this.inbox.length > 0) this.schedule();
  }

  private drainInbox(): void {
    const inputs = this.inbox;
    this.inbox = [];
    for (const input of inputs) {
      switch (input.kind) {
        case 'message':
          this.raft.step(input.message);
          break;
        case 'tick':
          this.raft.tick();
          break;
        case 'propose': {
          const result = this.raft.propose(input.command);
          if (!result.ok) {
            this.settle(
              this.writes,
              input.requestId,
              this.notLeader(result.leader, result.detail ?? result.reason),
            );
          }
          break;
        }
        case 'read':
          if (!this.raft.readIndex(Buffer.from(input.requestId))) {
            this.settle(
              this.reads,
              input.requestId,
              this.notLeader(this.raft.leader, 'no leader is known'),
            );
          }
          break;
      }
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    // A leader's replication traffic goes out while its own disk write is in progress.
    this.transport.send(ready.messages.filter(mayPrecedePersistence));
    const syncNow = ready.snapshot !== null;
    this.storage.save(ready.hardState, ready.entries, ready.snapshot, { sync: syncNow });
    if (ready.mustSync && !syncNow) await this.storage.syncAsync();
    if (this.stopped) return;
    this.transport.send(ready.messages.filter((m) => !mayPrecedePersistence(m)));
    if (ready.snapshot) {
      this.kv.restore(ready.snapshot.data);
      this.lastSnapshotIndex = ready.snapshot.metadata.index;
    }
    for (const entry of ready.committed) {
      if (entry.type !== EntryType.Normal || entry.data.length === 0) continue;
      const requestId = this.kv.apply(entry.data);
      this.settle(this.writes, requestId);
    }
    for (const state of ready.readStates) {
      const read = this.reads.get(Buffer.from(state.requestId).toString());
      if (read) read.index = state.index;
    }
    if (ready.softState) {
      const { role, leader } = ready.softState;
      this.log(`member ${this.id}: ${role}${role === Role.Leader ? '' : `, leader ${leader}`}`);
    }
    this.raft.advance(ready);
    this.serveReads();
    this.maybeSnapshot();
  }

  /** Storage failed: nothing more may be acknowledged, so the member stops for good. */
  private fail(error: unknown): void {
    this.log(`member ${this.id}: fatal: ${error instanceof Error ? error.message : String(error)}`);
    this.onFatal(error);
  }

  private settle(table: Map<string, Waiter<void>>, requestId: string, error?: Error): void {
    const waiter = table.get(requestId);
    if (!waiter) return;
    table.delete(requestId);
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  private serveReads(): void {
    const applied = this.raft.log.applied;
    for (const [requestId, read] of this.reads) {
      if (read.index !== null && read.index <= applied) this.settle(this.reads, requestId);
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
    this.storage.saveSnapshot(snapshot);
    this.lastSnapshotIndex = applied;
  }

  private async startClientServer(address: string): Promise<void> {
    const server = new grpc.Server();
    addKvService(server, {
      put: async (key, value) => {
        await this.put(key, value);
        return { ok: true, leaderHint: this.id };
      },
      get: (key, linearizable) => this.get(key, linearizable),
      status: () => this.status(),
    });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) =>
        error ? reject(error) : resolve(),
      );
    });
    this.clientServer = server;
  }
}
