// The pipelined side of the KV service: many puts and gets in flight over one bidirectional
// HTTP/2 stream, answered by request id. A unary gRPC call costs a new HTTP/2 stream with
// headers and trailers; for small writes that cost dominates both client and server CPU.
import * as grpc from '@grpc/grpc-js';
import type { GetResult } from './kv.ts';
import { NotLeaderError } from './kv-errors.ts';
import { kvServiceDefinition } from './protos.ts';

export enum StreamKind {
  Put = 1,
  Get = 2,
}

export interface StreamRequest {
  id: number;
  kind: StreamKind;
  key: Uint8Array;
  value: Uint8Array;
  linearizable: boolean;
}

export interface StreamResponse {
  id: number;
  code: number;
  message: string;
  leaderId: number;
  leaderAddress: string;
  found: boolean;
  value: Uint8Array;
}

export interface StreamHandlers {
  put(key: Uint8Array, value: Uint8Array): Promise<unknown> | unknown;
  get(key: Uint8Array, linearizable: boolean): Promise<GetResult> | GetResult;
}

/** Requests one stream may have in flight on the server; beyond it they are refused. */
const MAX_IN_FLIGHT_PER_STREAM = 4096;
const EMPTY = new Uint8Array(0);

function response(id: number): StreamResponse {
  return { id, code: 0, message: '', leaderId: 0, leaderAddress: '', found: false, value: EMPTY };
}

function failure(id: number, error: unknown): StreamResponse {
  const out = response(id);
  if (error instanceof NotLeaderError) {
    out.code = grpc.status.FAILED_PRECONDITION;
    out.message = error.message;
    out.leaderId = error.leaderId;
    out.leaderAddress = error.leaderAddress;
    return out;
  }
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'number' && e.code > 0 && e.code <= 16 ? e.code : 13;
  out.code = code;
  out.message = typeof e?.message === 'string' ? e.message : String(error);
  return out;
}

async function run(request: StreamRequest, handlers: StreamHandlers): Promise<StreamResponse> {
  const out = response(request.id);
  if (request.kind === StreamKind.Put) {
    await handlers.put(request.key, request.value);
  } else if (request.kind === StreamKind.Get) {
    const got = await handlers.get(request.key, request.linearizable);
    out.found = got.found;
    out.value = got.value;
  } else {
    throw { code: grpc.status.INVALID_ARGUMENT, message: `unknown request kind ${request.kind}` };
  }
  return out;
}

/** Serves one client's Stream: each request runs at once; answers go out as they settle. */
export function serveKvStream(
  call: grpc.ServerDuplexStream<StreamRequest, StreamResponse>,
  handlers: StreamHandlers,
): void {
  let inFlight = 0;
  let ended = false;
  const answer = (out: StreamResponse) => {
    inFlight--;
    if (!ended) call.write(out);
  };
  call.on('data', (request: StreamRequest) => {
    if (inFlight >= MAX_IN_FLIGHT_PER_STREAM) {
      call.write(
        failure(request.id, {
          code: grpc.status.RESOURCE_EXHAUSTED,
          message: 'too many requests in flight on this stream',
        }),
      );
      return;
    }
    inFlight++;
    run(request, handlers).then(answer, (error: unknown) => answer(failure(request.id, error)));
  });
  const finish = () => {
    if (ended) return;
    ended = true;
    call.end();
  };
  call.on('end', finish);
  call.on('error', () => {
    ended = true;
  });
}

interface Pending {
  resolve: (response: StreamResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The client side: one lazily opened stream shared by every call of a KvClient. */
export class KvStream {
  private call: grpc.ClientDuplexStream<StreamRequest, StreamResponse> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly client: grpc.Client,
    private readonly timeoutMs: number,
  ) {}

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.request(StreamKind.Put, key, value, false);
  }

  async get(key: Uint8Array, linearizable: boolean): Promise<GetResult> {
    const out = await this.request(StreamKind.Get, key, EMPTY, linearizable);
    return { found: out.found, value: out.value };
  }

  close(): void {
    this.fail(new Error('the KV client was closed'));
    this.call?.end();
    this.call = null;
  }

  private request(
    kind: StreamKind,
    key: Uint8Array,
    value: Uint8Array,
    linearizable: boolean,
  ): Promise<StreamResponse> {
    const id = this.nextId++;
    const call = this.open();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), {
            code: grpc.status.DEADLINE_EXCEEDED,
          }),
        );
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      call.write({ id, kind, key, value, linearizable });
    });
  }

  private open(): grpc.ClientDuplexStream<StreamRequest, StreamResponse> {
    if (this.call) return this.call;
    const method = kvServiceDefinition().Stream as grpc.MethodDefinition<
      StreamRequest,
      StreamResponse
    >;
    const call = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
    );
    call.on('data', (out: StreamResponse) => this.settle(out));
    const broken = (error: Error) => {
      if (this.call === call) this.call = null;
      this.fail(error);
    };
    call.on('error', broken);
    call.on('end', () => broken(Object.assign(new Error('the KV stream ended'), { code: 14 })));
    this.call = call;
    return call;
  }

  private settle(out: StreamResponse): void {
    const pending = this.pending.get(out.id);
    if (!pending) return;
    this.pending.delete(out.id);
    clearTimeout(pending.timer);
    if (out.code === 0) {
      pending.resolve(out);
    } else if (out.code === grpc.status.FAILED_PRECONDITION) {
      pending.reject(new NotLeaderError(out.leaderId, out.leaderAddress));
    } else {
      pending.reject(Object.assign(new Error(out.message), { code: out.code }));
    }
  }

  /** Every call waiting on a broken stream fails now: its outcome is unknown to the caller. */
  private fail(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
