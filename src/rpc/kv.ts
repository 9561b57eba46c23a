// The KV service of the raft-kv demo and benchmarks (proto/kv.proto): a server-side adapter
// from promise-returning handlers, a client, and the "not the leader" convention:
//
//   status FAILED_PRECONDITION, details "not the leader", trailing metadata
//   shoal-leader-id (decimal, "0" = unknown) and shoal-leader-address (host:port, "" = unknown).
//
// Handlers throw NotLeaderError; KvClient rejects with NotLeaderError; parseNotLeader() reads the
// convention from any gRPC error.
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../raft/types.ts';
import { kvServiceDefinition } from './protos.ts';

export const LEADER_ID_METADATA = 'shoal-leader-id';
export const LEADER_ADDRESS_METADATA = 'shoal-leader-address';
const NOT_LEADER_DETAILS = 'not the leader';

export interface PutResult {
  /** True once the write is committed and applied. */
  ok: boolean;
  /** Id of the leader that committed the write. */
  leaderHint: NodeId;
}

export interface GetResult {
  found: boolean;
  value: Uint8Array;
}

export interface KvStatus {
  id: NodeId;
  /** 0 when unknown. */
  leader: NodeId;
  term: number;
  commit: number;
  applied: number;
  /** A src/raft/types.ts Role value. */
  role: string;
}

/** This node cannot serve the request; the leader, as far as it knows, is named. */
export class NotLeaderError extends Error {
  constructor(
    /** 0 when unknown. */
    readonly leaderId: NodeId,
    /** host:port of the leader's KV service, '' when unknown. */
    readonly leaderAddress: string,
  ) {
    super(
      leaderId === 0
        ? `${NOT_LEADER_DETAILS} (leader unknown)`
        : `${NOT_LEADER_DETAILS} (leader is ${leaderId}${leaderAddress ? ` at ${leaderAddress}` : ''})`,
    );
    this.name = 'NotLeaderError';
  }
}

/** The gRPC error a server answers with when it is not the leader. */
export function notLeaderStatus(
  leaderId: NodeId,
  leaderAddress: string,
): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(LEADER_ID_METADATA, String(leaderId));
  metadata.set(LEADER_ADDRESS_METADATA, leaderAddress);
  return { code: grpc.status.FAILED_PRECONDITION, details: NOT_LEADER_DETAILS, metadata };
}

/** The leader named by a "not the leader" gRPC error, or null for any other error. */
export function parseNotLeader(err: unknown): NotLeaderError | null {
  if (err instanceof NotLeaderError) return err;
  if (typeof err !== 'object' || err === null) return null;
  const { code, metadata } = err as Partial<grpc.ServiceError>;
  if (code !== grpc.status.FAILED_PRECONDITION || !(metadata instanceof grpc.Metadata)) {
    return null;
  }
  const id = metadata.get(LEADER_ID_METADATA)[0];
  if (id === undefined) return null;
  const address = metadata.get(LEADER_ADDRESS_METADATA)[0];
  const leaderId = Number(String(id));
  return new NotLeaderError(Number.isSafeInteger(leaderId) ? leaderId : 0, String(address ?? ''));
}

export interface KvHandlers {
  put(key: Uint8Array, value: Uint8Array): Promise<PutResult> | PutResult;
  get(key: Uint8Array, linearizable: boolean): Promise<GetResult> | GetResult;
  status(): Promise<KvStatus> | KvStatus;
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof NotLeaderError) return notLeaderStatus(err.leaderId, err.leaderAddress);
  const e = err as Partial<grpc.StatusObject> & { message?: string };
  if (typeof e?.code === 'number' && e.code > 0 && e.code <= 16) {
    return { code: e.code, details: e.details ?? e.message ?? '', metadata: e.metadata };
  }
  return { code: grpc.status.INTERNAL, details: e?.message ?? String(err) };
}

function unary<Req, Res>(run: (req: Req) => Promise<Res> | Res) {
  return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => run(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toStatus(err)),
      );
  };
}

/**
 * Serves `handlers` as the KV service on `server`. A handler throws NotLeaderError to redirect
 * the client, or an error with a gRPC `code` to answer with it; anything else is INTERNAL.
 */
export function addKvService(server: grpc.Server, handlers: KvHandlers): void {
  server.addService(kvServiceDefinition(), {
    Put: unary((req: { key: Uint8Array; value: Uint8Array }) => handlers.put(req.key, req.value)),
    Get: unary((req: { key: Uint8Array; linearizable: boolean }) =>
      handlers.get(req.key, req.linearizable),
    ),
    Status: unary(() => handlers.status()),
  });
}

export interface KvClientOptions {
  /** Default: insecure. */
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** Deadline of each call. Default 5000 ms. */
  timeoutMs?: number;
}

function toBytes(b: Uint8Array | string): Uint8Array {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

/** A client of one node's KV service. Calls reject with NotLeaderError or a grpc.ServiceError. */
export class KvClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(
    readonly address: string,
    opts: KvClientOptions = {},
  ) {
    this.client = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.enable_http_proxy': 0,
      ...opts.channelOptions,
    });
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  put(key: Uint8Array | string, value: Uint8Array | string): Promise<PutResult> {
    return this.call('Put', { key: toBytes(key), value: toBytes(value) });
  }

  get(key: Uint8Array | string, linearizable = true): Promise<GetResult> {
    return this.call('Get', { key: toBytes(key), linearizable });
  }

  status(): Promise<KvStatus> {
    return this.call('Status', {});
  }

  close(): void {
    this.client.close();
  }

  private call<Res>(name: 'Put' | 'Get' | 'Status', request: object): Promise<Res> {
    const method = kvServiceDefinition()[name] as grpc.MethodDefinition<object, Res>;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => {
          if (err) reject(parseNotLeader(err) ?? err);
          else resolve(res as Res);
        },
      );
    });
  }
}
