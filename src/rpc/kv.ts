// The KV service of the raft-kv demo and benchmarks (proto/kv.proto): a server-side adapter
// from promise-returning handlers and a client. Puts and gets travel pipelined over one Stream
// (kv-stream.ts); the unary calls remain for simple tools. "Not the leader" follows the
// convention in kv-errors.ts: handlers throw NotLeaderError and KvClient rejects with it.
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../raft/types.ts';
import { NotLeaderError, notLeaderStatus, parseNotLeader } from './kv-errors.ts';
import { KvStream, serveKvStream } from './kv-stream.ts';
import { kvServiceDefinition } from './protos.ts';

export {
  LEADER_ADDRESS_METADATA,
  LEADER_ID_METADATA,
  NotLeaderError,
  notLeaderStatus,
  parseNotLeader,
} from './kv-errors.ts';

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
    Stream: (call: Parameters<typeof serveKvStream>[0]) => serveKvStream(call, handlers),
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
  private readonly stream: KvStream;

  constructor(
    readonly address: string,
    opts: KvClientOptions = {},
  ) {
    this.client = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.enable_http_proxy': 0,
      ...opts.channelOptions,
    });
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.stream = new KvStream(this.client, this.timeoutMs);
  }

  /** Resolves once the write is committed and applied (over the shared pipelined stream). */
  put(key: Uint8Array | string, value: Uint8Array | string): Promise<void> {
    return this.stream.put(toBytes(key), toBytes(value));
  }

  get(key: Uint8Array | string, linearizable = true): Promise<GetResult> {
    return this.stream.get(toBytes(key), linearizable);
  }

  /** The same put as a unary call (one HTTP/2 stream per call). */
  putUnary(key: Uint8Array | string, value: Uint8Array | string): Promise<PutResult> {
    return this.call('Put', { key: toBytes(key), value: toBytes(value) });
  }

  status(): Promise<KvStatus> {
    return this.call('Status', {});
  }

  close(): void {
    this.stream.close();
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
