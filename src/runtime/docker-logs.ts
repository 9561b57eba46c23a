// Parsers for the Docker Engine's log stream (GET /containers/{id}/logs?timestamps=1), pure and
// unit-tested. Without a TTY the stream is multiplexed: frames of an 8-byte header (stream
// 1 = stdout, 2 = stderr; three zero bytes; the payload length, big-endian) and the payload;
// the engine writes one log message per frame, prefixed with its RFC 3339 nano timestamp and
// a space. With a TTY there are no frames: the raw bytes, a timestamp before each line.
// HTTP chunks do not respect frame or line boundaries, so both parsers buffer, within bounds.
import type { LogEntry } from './driver.ts';

const HEADER_BYTES = 8;
/** The engine splits messages at 16 KiB; anything far larger is a corrupt stream. */
export const FRAME_BYTES_MAX = 1024 * 1024;
/** A TTY line longer than this is cut into entries of this size. */
export const TTY_LINE_BYTES_MAX = 16 * 1024;

/** Splits "TIMESTAMP rest" into the timestamp and the rest; no timestamp: time ''. */
export function splitTimestamp(payload: Buffer): { time: string; line: Buffer } {
  const space = payload.indexOf(0x20);
  // RFC 3339 nano timestamps are 20 to 35 characters long.
  if (space < 20 || space > 40 || payload[4] !== 0x2d /* '-' */) {
    return { time: '', line: payload };
  }
  return { time: payload.toString('latin1', 0, space), line: payload.subarray(space + 1) };
}

/** Demultiplexes the framed log stream of a container without a TTY. */
export class FrameParser {
  private buffered: Buffer = Buffer.alloc(0);

  /** The entries completed by `chunk`. Throws on a frame no engine writes. */
  push(chunk: Buffer): LogEntry[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const entries: LogEntry[] = [];
    let offset = 0;
    while (this.buffered.length - offset >= HEADER_BYTES) {
      const kind = this.buffered[offset];
      const size = this.buffered.readUInt32BE(offset + 4);
      if ((kind !== 0 && kind !== 1 && kind !== 2) || size > FRAME_BYTES_MAX) {
        throw new Error(`corrupt log stream: frame of stream ${kind} and ${size} bytes`);
      }
      if (this.buffered.length - offset - HEADER_BYTES < size) break;
      const payload = this.buffered.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + size);
      offset += HEADER_BYTES + size;
      const { time, line } = splitTimestamp(payload);
      // Stream 0 (stdin) never carries output; the engine does not send it for logs.
      entries.push({ stream: kind === 2 ? 'stderr' : 'stdout', time, line: Buffer.from(line) });
    }
    this.buffered = this.buffered.subarray(offset);
    return entries;
  }

  /** Bytes of an incomplete frame at the end of the stream (0 when it ended cleanly). */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/** Splits the raw log stream of a container with a TTY into timestamped lines (all stdout). */
export class TtyLineParser {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LogEntry[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const entries: LogEntry[] = [];
    let start = 0;
    for (;;) {
      const newline = this.buffered.indexOf(0x0a, start);
      if (newline === -1) {
        if (this.buffered.length - start < TTY_LINE_BYTES_MAX) break;
        entries.push(this.entry(this.buffered.subarray(start, start + TTY_LINE_BYTES_MAX)));
        start += TTY_LINE_BYTES_MAX;
        continue;
      }
      entries.push(this.entry(this.buffered.subarray(start, newline + 1)));
      start = newline + 1;
    }
    this.buffered = this.buffered.subarray(start);
    return entries;
  }

  /** What is left without a newline when the stream ends. */
  flush(): LogEntry[] {
    if (this.buffered.length === 0) return [];
    const rest = this.entry(this.buffered);
    this.buffered = Buffer.alloc(0);
    return [rest];
  }

  private entry(bytes: Buffer): LogEntry {
    const { time, line } = splitTimestamp(bytes);
    return { stream: 'stdout', time, line: Buffer.from(line) };
  }
}
