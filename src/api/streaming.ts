// Streaming responses: JSON lines (the /events stream) and Docker's multiplexed log stream
// (`[stream u8, 0, 0, 0, length u32 big-endian][payload]`, moby's pkg/stdcopy). Writers wait for
// 'drain' when the socket's buffer is full, so a slow client slows the producer instead of
// growing memory, and fail with StreamClosedError once the client is gone.
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { versionAtLeast } from './version.ts';

/** The client went away (or the server closed) while a stream was being written. */
export class StreamClosedError extends Error {
  override name = 'StreamClosedError';
  constructor() {
    super('the stream was closed by the peer');
  }
}

/** Writes a chunk; resolves at once if the buffer has room, else when it drains. */
export async function writeWithBackpressure(
  stream: Writable,
  chunk: Uint8Array | string,
): Promise<void> {
  if (stream.destroyed || stream.writableEnded) throw new StreamClosedError();
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(new StreamClosedError());
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onClose);
  });
}

/** Ends a stream; resolves when it has finished or closed. */
export function endStream(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('finish', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('finish', done);
    stream.on('close', done);
    if (!stream.writableEnded) stream.end();
  });
}

export interface StreamResponseOptions {
  status?: number;
  headers?: Readonly<Record<string, string>>;
}

/** Sends the status and headers now (chunked body), so the client sees the stream open. */
function openStream(response: ServerResponse, contentType: string, options: StreamResponseOptions) {
  response.writeHead(options.status ?? 200, { 'Content-Type': contentType, ...options.headers });
  response.flushHeaders();
}

/** One JSON document per line, as dockerd streams /events. */
export class JsonLinesWriter {
  constructor(private readonly out: Writable) {}

  write(value: unknown): Promise<void> {
    return writeWithBackpressure(this.out, `${JSON.stringify(value)}\n`);
  }

  end(): Promise<void> {
    return endStream(this.out);
  }

  get closed(): boolean {
    return this.out.destroyed || this.out.writableEnded;
  }
}

/** Opens a JSON lines response (`Content-Type: application/json`, as dockerd's /events). */
export function startJsonLines(
  response: ServerResponse,
  options: StreamResponseOptions = {},
): JsonLinesWriter {
  openStream(response, 'application/json', options);
  return new JsonLinesWriter(response);
}

/** Stream ids in a frame header (stdin is only used in attach streams). */
export const StreamId = { stdin: 0, stdout: 1, stderr: 2, systemError: 3 } as const;
export type StreamId = (typeof StreamId)[keyof typeof StreamId];

export const FRAME_HEADER_BYTES = 8;
/** Largest payload one frame may carry (the header's u32). */
export const FRAME_PAYLOAD_BYTES_LIMIT = 0xffff_ffff;
/** Payloads above this are split into several frames, bounding each write. */
export const DEFAULT_FRAME_PAYLOAD_BYTES_MAX = 1024 * 1024;

export function encodeFrameHeader(stream: StreamId, payloadBytes: number): Buffer {
  if (
    !Number.isInteger(payloadBytes) ||
    payloadBytes < 0 ||
    payloadBytes > FRAME_PAYLOAD_BYTES_LIMIT
  ) {
    throw new RangeError(`frame payload length out of range: ${payloadBytes}`);
  }
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payloadBytes, 4);
  return header;
}

/** One frame: the 8-byte header followed by the payload. */
export function encodeFrame(stream: StreamId, payload: Uint8Array | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([encodeFrameHeader(stream, bytes.length), bytes]);
}

/** Writes Docker's multiplexed stream: one frame per write (split above frameBytesMax). */
export class MultiplexedStreamWriter {
  private readonly framePayloadBytesMax: number;

  constructor(
    private readonly out: Writable,
    options: { framePayloadBytesMax?: number } = {},
  ) {
    this.framePayloadBytesMax = options.framePayloadBytesMax ?? DEFAULT_FRAME_PAYLOAD_BYTES_MAX;
    if (this.framePayloadBytesMax < 1 || this.framePayloadBytesMax > FRAME_PAYLOAD_BYTES_LIMIT) {
      throw new RangeError(`framePayloadBytesMax out of range: ${this.framePayloadBytesMax}`);
    }
  }

  async write(stream: StreamId, payload: Uint8Array | string): Promise<void> {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    if (bytes.length === 0) return;
    for (let start = 0; start < bytes.length; start += this.framePayloadBytesMax) {
      const part = bytes.subarray(start, start + this.framePayloadBytesMax);
      await writeWithBackpressure(this.out, encodeFrame(stream, part));
    }
  }

  end(): Promise<void> {
    return endStream(this.out);
  }

  get closed(): boolean {
    return this.out.destroyed || this.out.writableEnded;
  }
}

/**
 * The Content-Type dockerd gives logs: `application/vnd.docker.raw-stream` up to API 1.41;
 * from 1.42 a multiplexed (non-TTY) stream says `application/vnd.docker.multiplexed-stream`.
 */
export function logsContentType(version: string, tty: boolean): string {
  return !tty && versionAtLeast(version, '1.42')
    ? 'application/vnd.docker.multiplexed-stream'
    : 'application/vnd.docker.raw-stream';
}

/** Opens a multiplexed log response for a request served at `version`. */
export function startMultiplexedStream(
  response: ServerResponse,
  version: string,
  options: StreamResponseOptions & { framePayloadBytesMax?: number } = {},
): MultiplexedStreamWriter {
  openStream(response, logsContentType(version, false), options);
  return new MultiplexedStreamWriter(response, options);
}

export interface Frame {
  stream: number;
  payload: Buffer;
}

/** Splits a multiplexed stream back into frames, across chunk boundaries (for clients, tests). */
export class MultiplexedStreamParser {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly framePayloadBytesMax = 64 * 1024 * 1024) {}

  push(chunk: Uint8Array): Frame[] {
    this.pending =
      this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const length = this.pending.readUInt32BE(4);
      if (length > this.framePayloadBytesMax) {
        throw new RangeError(`frame of ${length} bytes exceeds ${this.framePayloadBytesMax}`);
      }
      if (this.pending.length < FRAME_HEADER_BYTES + length) break;
      frames.push({
        stream: this.pending.readUInt8(0),
        payload: this.pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length),
      });
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for more input. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}
