// One member of the replicated key-value store as a real process: a Replica (Raft core, Ready
// loop, storage on disk with fsync on the thread pool) over the gRPC transport, and the KV
// service for clients.
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_CONFIG, type NodeId, Role } from '../raft/index.ts';
import { Replica, Waiters } from '../replica/index.ts';
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

const MAX_PENDING_REQUESTS = 100_000;

export class RaftKvNode {
  readonly id: NodeId;
  private readonly options: RaftKvOptions;
  private readonly log: (line: string) => void;
  private storage!: RaftStorage;
  private replica!: Replica;
  private transport!: RaftTransport;
  private clientServer: grpc.Server | null = null;
  private readonly kv = new KvStateMachine();
  private ticker: NodeJS.Timeout | null = null;
  private stopped = false;
  private nextRequest = 0;
  private readonly requestPrefix = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
  private readonly waiters = new Waiters(MAX_PENDING_REQUESTS, () =>
    Object.assign(new Error('timed out waiting for the cluster'), {
      code: grpc.status.DEADLINE_EXCEEDED,
    }),
  );

  constructor(options: RaftKvOptions) {
    this.id = options.id;
    this.options = options;
    this.log = options.log ?? (() => {});
  }

  async start(): Promise<void> {
    const { id, dataDir, members } = this.options;
    const self = members.get(id);
    if (!self) throw new Error(`member ${id} is not in the member list`);
    const keepEntries = this.options.keepEntriesAfterSnapshot ?? 500;
    this.storage = RaftStorage.open({
      dir: dataDir,
      fs: new NodeFileSystem(),
      kek: this.options.kek ?? null,
      keepEntries,
    });
    this.transport = new RaftTransport({
      selfId: id,
      listen: self.peer,
      onMessage: (m) => this.replica.step(m),
    });
    this.replica = new Replica({
      raftConfig: {
        ...DEFAULT_CONFIG,
        id,
        electionTicks: this.options.electionTicks ?? 10,
        heartbeatTicks: 1,
        random: Math.random,
      },
      storage: this.storage,
      loaded: this.storage.load(),
      bootstrap: { voters: [...members.keys()], learners: [], removed: [] },
      stateMachine: this.kv,
      send: (messages) => this.transport.send(messages),
      persist: 'thread-pool',
      snapshotEveryEntries: this.options.snapshotEveryEntries ?? 10_000,
      keepEntriesAfterSnapshot: keepEntries,
      onApplied: (requestId) => this.settle(requestId),
      onReadConfirmed: (requestId) => this.settle(requestId),
      onRefused: (requestId, leader, reason) =>
        this.settle(requestId, this.notLeader(leader, reason)),
      onSoftState: ({ role, leader }) =>
        this.log(`member ${id}: ${role}${role === Role.Leader ? '' : `, leader ${leader}`}`),
      onFatal: (error) => {
        this.log(`member ${id}: fatal: ${error instanceof Error ? error.message : error}`);
        (this.options.onFatal ?? rethrow)(error);
      },
    });
    await this.transport.start();
    for (const [peerId, address] of members) this.transport.addPeer(peerId, address.peer);
    await this.startClientServer(self.client);
    this.ticker = setInterval(() => this.replica.tick(), this.options.tickMs ?? 100);
    this.log(`member ${id} started (peer ${self.peer}, client ${self.client})`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    const closed = new Error('the member is shutting down');
    this.waiters.failAll(closed);
    await this.replica?.stop();
    await this.transport?.close();
    const server = this.clientServer;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    this.storage?.close();
  }

  status(): KvStatus {
    const status = this.replica.raft.status();
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
    const requestId = this.newRequest();
    const command = encodeCommand({
      kind: CommandKind.Put,
      requestId,
      key: Buffer.from(key).toString('utf8'),
      value,
    });
    const done = this.wait(requestId);
    this.replica.propose(requestId, command);
    return done;
  }

  /** A linearizable read (ReadIndex) on any member, or a local possibly stale one. */
  async get(key: Uint8Array, linearizable: boolean): Promise<GetResult> {
    if (linearizable) {
      const requestId = this.newRequest();
      const done = this.wait(requestId);
      this.replica.read(requestId);
      await done;
    }
    const value = this.kv.get(Buffer.from(key).toString('utf8'));
    return value ? { found: true, value } : { found: false, value: new Uint8Array(0) };
  }

  private newRequest(): string {
    if (this.stopped) throw new Error('the member is shutting down');
    if (this.waiters.isFull()) {
      throw Object.assign(new Error('too many requests in flight'), {
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
    }
    return `${this.requestPrefix}-${this.nextRequest++}`;
  }

  private wait(requestId: string): Promise<void> {
    return this.waiters.wait(requestId, this.options.requestTimeoutMs ?? 5000);
  }

  private settle(requestId: string, error?: Error): void {
    this.waiters.settle(requestId, error);
  }

  private notLeader(leader: NodeId, detail: string): NotLeaderError {
    const address = this.options.members.get(leader)?.client ?? '';
    const error = new NotLeaderError(leader, address);
    error.message = `not the leader (${detail})`;
    return error;
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

function rethrow(error: unknown): never {
  throw error;
}
