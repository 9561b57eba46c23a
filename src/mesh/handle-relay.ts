// Relaying two connected sockets on their libuv handles, below net.Socket.
//
// Why: through net.Socket every chunk becomes a new Buffer (a fresh ArrayBuffer: malloc, a
// backing store, V8's array-buffer sweeper) and runs the Writable machinery. `perf stat` on the
// mesh bench put that at 21k user-space instructions per request against HAProxy's 4.5k. Here
// each handle reads into one buffer shared by the process, and each chunk is written at once as
// a Latin-1 string: V8 allocates it by bumping a pointer, Node copies it onto its stack to
// write it, and keeps a heap copy only of what the kernel did not take at once. That is 9.7k
// instructions per request, and requests/s close to HAProxy's.
//
// Sharing the read buffer is safe: the event loop runs one read callback at a time, and the
// chunk is copied out (into the string) inside it. A write the kernel did not finish stops the
// reading side until it completes, so each direction holds at most one chunk. End of stream
// shuts the other side's write half; the relay closes once both halves are shut, on any error,
// or when either socket is destroyed. The sockets stay the connection's face: they emit
// 'close' when the relay has closed, so whoever counts connections by them still can.
//
// The handles are Node's own (`process.binding`'s stream_wrap), internals whose behaviour this
// file depends on (a write that completed at once leaves its request unbound; the shared stream
// state). They are used only on the Node major versions this was verified on; elsewhere, or
// where the bindings are missing, `handleRelayAvailable()` is false and the caller relays
// streams instead.
import type { Socket } from 'node:net';

/** Bytes one read takes at most. */
export const READ_BUFFER_BYTES = 64 * 1024;
/** How long a relay whose both sides ended waits for their shutdowns before it closes. */
export const LINGER_MS = 10_000;
/** Chunks up to this size are written as strings: Node's stack copy holds 16 KiB. */
const STRING_WRITE_MAX = 16 * 1024;

interface WriteRequest {
  handle: StreamHandle | null;
  oncomplete: (this: WriteRequest, status: number) => void;
  relay: HandleRelay | null;
  from: StreamHandle | null;
  buffer: Uint8Array | null;
}

interface ShutdownRequest {
  handle: StreamHandle;
  oncomplete: (this: ShutdownRequest, status: number) => void;
  relay: HandleRelay;
}

interface StreamHandle {
  onread: () => void;
  writeQueueSize: number;
  useUserBuffer(buffer: Uint8Array): void;
  readStart(): number;
  readStop(): number;
  writeBuffer(request: WriteRequest, data: Uint8Array): number;
  writeLatin1String(request: WriteRequest, data: string): number;
  shutdown(request: ShutdownRequest): number;
  close(callback: () => void): void;
}

interface Bindings {
  WriteWrap: new () => WriteRequest;
  ShutdownWrap: new () => ShutdownRequest;
  /** Node's shared stream state: the last read's length and whether the last write queued. */
  state: Int32Array;
  readBytes: number;
  writeQueued: number;
  eof: number;
}

/** Node major versions whose stream handles this relay was verified against. */
const VERIFIED_NODE_MAJORS = new Set([20]);

function loadBindings(): Bindings | null {
  const major = Number(process.versions.node.split('.')[0]);
  if (!VERIFIED_NODE_MAJORS.has(major)) return null;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> })
      .binding;
    const stream = binding('stream_wrap');
    const uv = binding('uv');
    const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync } =
      stream;
    if (
      typeof WriteWrap !== 'function' ||
      typeof ShutdownWrap !== 'function' ||
      !(streamBaseState instanceof Int32Array) ||
      typeof kReadBytesOrError !== 'number' ||
      typeof kLastWriteWasAsync !== 'number' ||
      typeof uv.UV_EOF !== 'number'
    ) {
      return null;
    }
    return {
      WriteWrap: WriteWrap as Bindings['WriteWrap'],
      ShutdownWrap: ShutdownWrap as Bindings['ShutdownWrap'],
      state: streamBaseState,
      readBytes: kReadBytesOrError,
      writeQueued: kLastWriteWasAsync,
      eof: uv.UV_EOF,
    };
  } catch {
    return null;
  }
}

const bindings = loadBindings();
const sharedReadBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
/** A write request the last write that completed at once left unused (it stays unbound). */
let spareRequest: WriteRequest | null = null;

export function handleRelayAvailable(): boolean {
  return bindings !== null;
}

const METHODS = ['useUserBuffer', 'readStart', 'readStop', 'writeBuffer', 'writeLatin1String'];

function handleOf(socket: Socket): StreamHandle | null {
  const handle = (socket as unknown as { _handle?: Record<string, unknown> | null })._handle;
  if (handle === null || handle === undefined || socket.destroyed || socket.connecting) {
    return null;
  }
  for (const method of [...METHODS, 'shutdown', 'close']) {
    if (typeof handle[method] !== 'function') return null;
  }
  return handle as unknown as StreamHandle;
}

/**
 * Relays `a` and `b` (connected, paused, nothing read yet) on their handles; `prefix` goes to
 * `b` before anything from `a`. Returns null, touching nothing, where handles are unavailable.
 */
export function relayHandles(
  a: Socket,
  b: Socket,
  prefix: Buffer | null,
  done: () => void,
): HandleRelay | null {
  if (bindings === null) return null;
  const handleA = handleOf(a);
  const handleB = handleOf(b);
  if (handleA === null || handleB === null) return null;
  handleA.readStop();
  handleB.readStop();
  for (const socket of [a, b]) (socket as unknown as { _handle: null })._handle = null;
  const relay = new HandleRelay(bindings, [a, handleA], [b, handleB], done);
  relay.start(prefix);
  return relay;
}

function onWritten(this: WriteRequest, status: number): void {
  const { relay, from } = this;
  this.relay = null;
  this.from = null;
  this.buffer = null;
  if (relay === null || from === null) return;
  if (status < 0) relay.close();
  else relay.resume(from);
}

function onShutdown(this: ShutdownRequest, status: number): void {
  this.relay.shutDown(status);
}

export class HandleRelay {
  private closed = false;
  private ended = 0;
  private shut = 0;
  private linger: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: Bindings,
    private readonly sideA: readonly [Socket, StreamHandle],
    private readonly sideB: readonly [Socket, StreamHandle],
    private readonly done: () => void,
  ) {
    for (const [socket] of [sideA, sideB]) socket.once('close', () => this.close());
  }

  /** Bytes written but not yet taken by the kernel, both ways (at most one chunk each). */
  queuedBytes(): number {
    return this.sideA[1].writeQueueSize + this.sideB[1].writeQueueSize;
  }

  start(prefix: Buffer | null): void {
    const a = this.sideA[1];
    const b = this.sideB[1];
    this.pump(a, b);
    this.pump(b, a);
    b.readStart();
    // A prefix the kernel did not take at once holds `a` back, as any queued chunk does.
    if (prefix === null || this.write(a, b, prefix, prefix.length)) a.readStart();
  }

  resume(from: StreamHandle): void {
    if (!this.closed) from.readStart();
  }

  shutDown(status: number): void {
    if (status < 0 || ++this.shut === 2) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.linger);
    let open = 2;
    const closed = () => {
      if (--open > 0) return;
      this.sideA[0].destroy();
      this.sideB[0].destroy();
      this.done();
    };
    this.sideA[1].close(closed);
    this.sideB[1].close(closed);
  }

  private pump(from: StreamHandle, to: StreamHandle): void {
    const { state, readBytes, eof } = this.node;
    from.useUserBuffer(sharedReadBuffer);
    from.onread = () => {
      const bytes = state[readBytes] as number;
      if (bytes > 0) {
        if (!this.write(from, to, sharedReadBuffer, bytes)) from.readStop();
        return;
      }
      if (bytes === 0) return;
      from.readStop();
      if (bytes === eof) this.end(to);
      else this.close();
    };
  }

  /** Writes `data`'s first `length` bytes (copied now) to `to`; false if `from` must wait. */
  private write(from: StreamHandle, to: StreamHandle, data: Buffer, length: number): boolean {
    if (this.closed) return false;
    const request = spareRequest ?? new this.node.WriteWrap();
    spareRequest = null;
    request.handle = to;
    request.oncomplete = onWritten;
    let status: number;
    if (length <= STRING_WRITE_MAX) {
      status = to.writeLatin1String(request, data.toString('latin1', 0, length));
    } else {
      request.buffer = Buffer.copyBytesFrom(data, 0, length);
      status = to.writeBuffer(request, request.buffer);
    }
    if (status < 0) {
      this.close();
      return false;
    }
    if (this.node.state[this.node.writeQueued] === 0) {
      request.buffer = null;
      request.handle = null;
      spareRequest = request;
      return true;
    }
    request.relay = this;
    request.from = from;
    return false;
  }

  /** One side ended its stream: end the other's too, and close once both are shut. */
  private end(to: StreamHandle): void {
    const request = new this.node.ShutdownWrap();
    request.handle = to;
    request.oncomplete = onShutdown;
    request.relay = this;
    if (to.shutdown(request) < 0) {
      this.close();
      return;
    }
    if (++this.ended === 2) this.linger = setTimeout(() => this.close(), LINGER_MS).unref();
  }
}
