// The exec runtime's task logs: a pair of rotating files per task in the CRI log format that
// Kubernetes uses, one record per line:
//   2026-01-02T03:04:05.123000000Z stdout F the line without its newline
// F is a full line (it ended with "\n"), P a part: a line longer than LINE_BYTES_MAX is cut
// into parts, and output without a final newline is written as a part when its stream ends.
// `output.log` grows to at most `bytesMax`, then becomes `output.log.1` (replacing the older one), so a
// task never holds more than 2 * bytesMax of logs. The driver is the only writer; its writes
// and rotations are synchronous, and so are the reads here, so a reader in the same process
// never sees half a record or half a rotation.
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LogEntry, LogOptions } from './driver.ts';
import { rfc3339ToUnixSeconds } from './timestamps.ts';

export const LOG_FILE = 'output.log';
export const ROTATED_LOG_FILE = 'output.log.1';
/** Docker cuts log messages at 16 KiB too. */
export const LINE_BYTES_MAX = 16 * 1024;
/** A log file holds at least a few of the longest records. */
export const LOG_FILE_BYTES_MIN = 4 * LINE_BYTES_MAX;

export type Stream = LogEntry['stream'];

export interface LogRecord {
  time: string;
  stream: Stream;
  partial: boolean;
  content: Buffer;
}

export function encodeRecord(record: LogRecord): Buffer {
  const head = `${record.time} ${record.stream} ${record.partial ? 'P' : 'F'} `;
  return Buffer.concat([Buffer.from(head, 'latin1'), record.content, Buffer.from('\n')]);
}

/** One line of a log file (without its "\n") as a LogEntry; undefined when malformed. */
export function decodeRecord(line: Buffer): LogEntry | undefined {
  const first = line.indexOf(0x20);
  const second = first === -1 ? -1 : line.indexOf(0x20, first + 1);
  if (second === -1 || line.length < second + 3 || line[second + 2] !== 0x20) return undefined;
  const stream = line.toString('latin1', first + 1, second);
  const flag = line[second + 1];
  if ((stream !== 'stdout' && stream !== 'stderr') || (flag !== 0x46 && flag !== 0x50)) {
    return undefined;
  }
  const content = line.subarray(second + 3);
  return {
    stream,
    time: line.toString('latin1', 0, first),
    line: flag === 0x46 ? Buffer.concat([content, Buffer.from('\n')]) : Buffer.from(content),
  };
}

/** How many bytes of `bytes` are complete lines. */
function completeBytes(bytes: Buffer): number {
  return bytes.lastIndexOf(0x0a) + 1;
}

/** Decodes the complete lines of a file's bytes (a trailing fragment is ignored). */
export function decodeRecords(bytes: Buffer): LogEntry[] {
  const entries: LogEntry[] = [];
  let start = 0;
  for (;;) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline === -1) break;
    const entry = decodeRecord(bytes.subarray(start, newline));
    if (entry !== undefined) entries.push(entry);
    start = newline + 1;
  }
  return entries;
}

/** Cuts one output stream's bytes into lines, each at most LINE_BYTES_MAX. */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { content: Buffer; partial: boolean }[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: { content: Buffer; partial: boolean }[] = [];
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      const end = newline === -1 ? data.length : newline;
      if (end - start >= LINE_BYTES_MAX) {
        lines.push({ content: data.subarray(start, start + LINE_BYTES_MAX), partial: true });
        start += LINE_BYTES_MAX;
        continue;
      }
      if (newline === -1) break;
      lines.push({ content: data.subarray(start, newline), partial: false });
      start = newline + 1;
    }
    this.pending = Buffer.from(data.subarray(start));
    return lines;
  }

  /** The rest, without a newline, when the stream ends. */
  flush(): { content: Buffer; partial: boolean }[] {
    if (this.pending.length === 0) return [];
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return [{ content: rest, partial: true }];
  }
}

/** The writer of one task's log files. */
export class LogWriter {
  private fd: number;
  private size: number;

  constructor(
    private readonly dir: string,
    private readonly bytesMax: number,
  ) {
    if (!(bytesMax >= LOG_FILE_BYTES_MIN)) {
      throw new RangeError(
        `log files must hold at least ${LOG_FILE_BYTES_MIN} bytes, not ${bytesMax}`,
      );
    }
    this.fd = openSync(join(dir, LOG_FILE), 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends `records`, rotating first whenever the next one would not fit. */
  append(records: LogRecord[]): void {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const record of records) {
      const bytes = encodeRecord(record);
      if (this.size + batchBytes + bytes.length > this.bytesMax && this.size + batchBytes > 0) {
        this.write(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        this.rotate();
      }
      batch.push(bytes);
      batchBytes += bytes.length;
    }
    this.write(batch, batchBytes);
  }

  private write(parts: Buffer[], length: number): void {
    if (length === 0) return;
    const bytes = Buffer.concat(parts, length);
    let written = 0;
    while (written < length) written += writeSync(this.fd, bytes, written, length - written);
    this.size += length;
  }

  close(): void {
    if (this.fd === -1) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(join(this.dir, LOG_FILE), join(this.dir, ROTATED_LOG_FILE));
    this.fd = openSync(join(this.dir, LOG_FILE), 'a', 0o600);
    this.size = 0;
  }
}

function readFrom(path: string, offset: number): { bytes: Buffer; ino: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    const length = Math.max(0, stat.size - offset);
    const bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, bytes, read, length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    return { bytes: bytes.subarray(0, read), ino: stat.ino };
  } finally {
    closeSync(fd);
  }
}

/** Where a follower stopped reading: the current file's inode and the offset in it. */
export interface LogPosition {
  ino: number;
  offset: number;
}

/** Everything in both files, oldest first, and the position after it. */
export function readAll(dir: string): { entries: LogEntry[]; position: LogPosition } {
  const rotated = readFrom(join(dir, ROTATED_LOG_FILE), 0);
  const current = readFrom(join(dir, LOG_FILE), 0);
  const entries = [
    ...(rotated ? decodeRecords(rotated.bytes) : []),
    ...(current ? decodeRecords(current.bytes) : []),
  ];
  const offset = current === undefined ? 0 : completeBytes(current.bytes);
  return { entries, position: { ino: current?.ino ?? -1, offset } };
}

/** What was written since `position` (across one rotation), and the new position. */
export function readSince(
  dir: string,
  position: LogPosition,
): { entries: LogEntry[]; position: LogPosition } {
  const currentPath = join(dir, LOG_FILE);
  const ino = existsSync(currentPath) ? statSync(currentPath).ino : -1;
  if (ino === position.ino) {
    const next = readFrom(currentPath, position.offset);
    if (next === undefined) return { entries: [], position };
    return {
      entries: decodeRecords(next.bytes),
      position: { ino, offset: position.offset + completeBytes(next.bytes) },
    };
  }
  // Rotated: the rest of the old file (now output.log.1, if it was not rotated away too),
  // then the new one from its start.
  const entries: LogEntry[] = [];
  const old = readFrom(join(dir, ROTATED_LOG_FILE), position.offset);
  if (old !== undefined && old.ino === position.ino) entries.push(...decodeRecords(old.bytes));
  const current = readFrom(currentPath, 0);
  if (current !== undefined) entries.push(...decodeRecords(current.bytes));
  const offset = current === undefined ? 0 : completeBytes(current.bytes);
  return { entries, position: { ino: current?.ino ?? -1, offset } };
}

/** LogOptions.since and .tail applied to entries, oldest first. */
export function selectEntries(entries: LogEntry[], options: LogOptions): LogEntry[] {
  let selected = entries;
  if (options.since !== undefined) {
    const since = options.since;
    selected = selected.filter((e) => rfc3339ToUnixSeconds(e.time) >= since);
  }
  if (options.tail !== undefined) {
    const tail = Math.max(0, Math.floor(options.tail));
    selected = tail === 0 ? [] : selected.slice(-tail);
  }
  return selected;
}
