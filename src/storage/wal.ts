// The write-ahead log: a sequence of segment files wal-<sequence>-<first index>.log (both 16
// hex digits; the first index is the log's next index when the segment was started, a hint for
// humans). Records and batches are described in wal-codec.ts, replay rules in wal-replay.ts.
//
// Durability: a save() is one write of one buffer and one fsync (group commit). Starting a new
// segment adds an fsync of the directory. Each segment begins with a header batch restating the
// hard state and the snapshot point, so older segments can be deleted without losing them.
//
// Recovery: segments are read in order and every record is checked. Only the end of the last
// segment may be bad, and only as a torn write (nothing sound after the damage): the incomplete
// batch is cut off and the cut made durable. Damage anywhere else is a StorageCorruptionError
// naming the file and offset: a record that was fsynced is never dropped silently. (The one
// case no format can tell apart: media damage confined to the very last batch, with nothing
// after it, looks exactly like a torn write and is cut off like one.)
import { posix } from 'node:path';
import type { Entry, HardState } from '../raft/types.ts';
import type { DataCipher } from './encryption.ts';
import { StorageCorruptionError, StorageFailedError } from './errors.ts';
import type { FileHandle, FileSystem } from './fs.ts';
import {
  decodeRecord,
  encodeBatch,
  MarkerKind,
  type RawRecord,
  RecordFormatError,
  RecordType,
  readRecord,
  soundRecordFollows,
  type WalRecord,
} from './wal-codec.ts';
import {
  LogReplay,
  type RecordPosition,
  type ReplayedLog,
  type SnapshotPoint,
} from './wal-replay.ts';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const SEGMENT_NAME = /^wal-([0-9a-f]{16})-([0-9a-f]{16})\.log$/;

export interface WalOptions {
  fs: FileSystem;
  directory: string;
  cipher: DataCipher | null;
  /** A segment that reached this size is closed before the next save (which may overshoot it). */
  segmentBytes: number;
}

export interface WalBatch {
  /** A snapshot saved before this batch: Reset (from the leader) or Compacted (local). */
  snapshot: (SnapshotPoint & { kind: MarkerKind.Reset | MarkerKind.Compacted }) | null;
  entries: readonly Entry[];
  hardState: HardState | null;
}

interface Segment {
  sequence: number;
  firstIndex: number;
  name: string;
  /** Highest entry index in the segment still in use (0 if none), to know when it can go. */
  maxIndex: number;
}

export function segmentName(sequence: number, firstIndex: number): string {
  return `wal-${hex16(sequence)}-${hex16(firstIndex)}.log`;
}

export function isSegmentName(name: string): boolean {
  return SEGMENT_NAME.test(name);
}

/**
 * Whether the WAL segments in `directory` are only a first segment holding at most its header:
 * the leftover of a new store's creation cut short before its key file was written.
 */
export function isUnusedFirstSegment(fs: FileSystem, directory: string): boolean {
  const names = fs.readdir(directory).filter(isSegmentName);
  if (names.length !== 1 || names[0] !== segmentName(0, 1)) return false;
  return fs.size(posix.join(directory, names[0])) <= firstSegmentBytes();
}

function firstSegmentHeader(encrypted: boolean): WalRecord {
  return { type: RecordType.SegmentHeader, sequence: 0, firstIndex: 1, encrypted };
}

function firstSegmentBytes(): number {
  return encodeBatch([firstSegmentHeader(false)], null).length;
}

export class WriteAheadLog {
  private readonly fs: FileSystem;
  private readonly directory: string;
  private readonly cipher: DataCipher | null;
  private readonly segmentBytes: number;
  private readonly segments: Segment[];
  private activeHandle: FileHandle | null = null;
  private activeBytes = 0;
  private hardState: HardState;
  private snapshot: SnapshotPoint;
  private lastIndex: number;
  private failure: unknown = null;

  private constructor(options: WalOptions, segments: Segment[], replayed: ReplayedLog) {
    this.fs = options.fs;
    this.directory = options.directory;
    this.cipher = options.cipher;
    this.segmentBytes = options.segmentBytes;
    this.segments = segments;
    this.hardState = replayed.hardState;
    this.snapshot = replayed.snapshot;
    this.lastIndex = replayed.entries.at(-1)?.index ?? replayed.snapshot.index;
  }

  /** Starts the log of a new store: segment 0 holding only its header. */
  static create(options: WalOptions): void {
    const header = firstSegmentHeader(options.cipher !== null);
    const handle = options.fs.create(posix.join(options.directory, segmentName(0, 1)));
    try {
      options.fs.write(handle, encodeBatch([header], options.cipher));
      options.fs.fsync(handle);
    } finally {
      options.fs.close(handle);
    }
    options.fs.fsyncDir(options.directory);
  }

  /** Replays the log (repairing a torn tail) and opens the last segment for appending. */
  static open(options: WalOptions): { wal: WriteAheadLog; log: ReplayedLog } {
    const segments = listSegments(options.fs, options.directory);
    if (segments.length === 0) {
      throw new StorageCorruptionError(options.directory, 0, 'no WAL segments');
    }
    const replay = new LogReplay();
    for (let i = 0; i < segments.length; ) {
      const kept = replaySegment(options, segments, i, replay);
      if (kept) i++;
    }
    if (segments.length === 0) {
      // Only a new store's first segment can be torn away entirely; start it again.
      WriteAheadLog.create(options);
      return WriteAheadLog.open(options);
    }
    const log = replay.finish();
    const wal = new WriteAheadLog(options, segments, log);
    const active = segments.at(-1)!;
    const path = wal.path(active.name);
    wal.activeHandle = options.fs.openAppend(path);
    wal.activeBytes = options.fs.size(path);
    return { wal, log };
  }

  /** Appends the batch durably: one write and one fsync (plus a directory fsync on rollover). */
  save(batch: WalBatch, sync = true): void {
    this.checkUsable();
    const records: WalRecord[] = [];
    if (batch.snapshot !== null) {
      const { kind, index, term } = batch.snapshot;
      records.push({ type: RecordType.Snapshot, kind, index, term });
    }
    for (const entry of batch.entries) records.push({ type: RecordType.Entry, entry });
    if (batch.hardState !== null) {
      records.push({ type: RecordType.HardState, hardState: batch.hardState });
    }
    if (records.length === 0) return;
    try {
      if (this.activeBytes >= this.segmentBytes) this.startSegment(records);
      else this.append(encodeBatch(records, this.cipher), sync);
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.noteSaved(batch);
  }

  /**
   * Deletes the oldest segments whose entries are all at or below keepAfterIndex, clamped to
   * the snapshot point (so only entries a durable snapshot covers go). Never the active one.
   */
  compact(keepAfterIndex: number): void {
    this.checkUsable();
    const limit = Math.min(keepAfterIndex, this.snapshot.index);
    try {
      while (this.segments.length > 1 && this.segments[0]!.maxIndex <= limit) {
        // One at a time, each made durable: a crash must never leave a gap in the sequence.
        this.fs.unlink(this.path(this.segments[0]!.name));
        this.fs.fsyncDir(this.directory);
        this.segments.shift();
      }
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /**
   * Makes every batch written so far durable without blocking: for callers that `save` with
   * sync false and must not acknowledge anything until this resolves. A failure is fatal.
   */
  async syncAsync(): Promise<void> {
    this.checkUsable();
    const handle = this.activeHandle!;
    try {
      await this.fs.fsyncAsync(handle);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  close(): void {
    if (this.activeHandle !== null && this.failure === null) {
      // Unsynced batches (commit-index updates) become durable on a clean close.
      this.fs.fsync(this.activeHandle);
    }
    if (this.activeHandle !== null) this.fs.close(this.activeHandle);
    this.activeHandle = null;
    this.failure ??= new StorageFailedError('the WAL is closed');
  }

  /** Names of the live segment files, oldest first. */
  segmentNames(): string[] {
    return this.segments.map((segment) => segment.name);
  }

  private append(bytes: Uint8Array, sync: boolean): void {
    this.fs.write(this.activeHandle!, bytes);
    if (sync) this.fs.fsync(this.activeHandle!);
    this.activeBytes += bytes.length;
  }

  /** Writes the header batch and `records` as one batch of a new segment. */
  private startSegment(records: WalRecord[]): void {
    const previous = this.segments.at(-1)!;
    const segment: Segment = {
      sequence: previous.sequence + 1,
      firstIndex: this.lastIndex + 1,
      name: segmentName(previous.sequence + 1, this.lastIndex + 1),
      maxIndex: 0,
    };
    const header: WalRecord[] = [
      {
        type: RecordType.SegmentHeader,
        sequence: segment.sequence,
        firstIndex: segment.firstIndex,
        encrypted: this.cipher !== null,
      },
      { type: RecordType.HardState, hardState: this.hardState },
      { type: RecordType.Snapshot, kind: MarkerKind.Carried, ...this.snapshot },
    ];
    const bytes = encodeBatch([...header, ...records], this.cipher);
    const handle = this.fs.create(this.path(segment.name));
    this.fs.write(handle, bytes);
    this.fs.fsync(handle);
    this.fs.fsyncDir(this.directory);
    this.fs.close(this.activeHandle!);
    this.activeHandle = handle;
    this.activeBytes = bytes.length;
    this.segments.push(segment);
  }

  private noteSaved(batch: WalBatch): void {
    const active = this.segments.at(-1)!;
    if (batch.snapshot !== null) {
      this.snapshot = { index: batch.snapshot.index, term: batch.snapshot.term };
      if (batch.snapshot.kind === MarkerKind.Reset) {
        // Everything before a reset is obsolete, so every earlier segment may go.
        for (const segment of this.segments) segment.maxIndex = 0;
        this.lastIndex = batch.snapshot.index;
      }
    }
    const last = batch.entries.at(-1);
    if (last !== undefined) {
      this.lastIndex = last.index;
      active.maxIndex = Math.max(active.maxIndex, last.index);
    }
    if (batch.hardState !== null) this.hardState = batch.hardState;
  }

  private checkUsable(): void {
    if (this.failure instanceof StorageFailedError) throw this.failure;
    if (this.failure !== null) {
      throw new StorageFailedError('an earlier I/O error left the WAL in an unknown state', {
        cause: this.failure,
      });
    }
  }

  private path(name: string): string {
    return posix.join(this.directory, name);
  }
}

function listSegments(fs: FileSystem, directory: string): Segment[] {
  const segments: Segment[] = [];
  for (const name of fs.readdir(directory)) {
    const match = SEGMENT_NAME.exec(name);
    if (match === null) continue;
    const sequence = Number.parseInt(match[1]!, 16);
    const firstIndex = Number.parseInt(match[2]!, 16);
    segments.push({ sequence, firstIndex, name, maxIndex: 0 });
  }
  segments.sort((a, b) => a.sequence - b.sequence);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.sequence !== segments[i - 1]!.sequence + 1) {
      throw new StorageCorruptionError(
        posix.join(directory, segments[i]!.name),
        0,
        `WAL segment ${segments[i - 1]!.sequence + 1} is missing`,
      );
    }
  }
  return segments;
}

/**
 * Replays segments[index] into `replay`. Returns false if the segment held no complete batch
 * and was deleted (only possible for the last one), true otherwise.
 */
function replaySegment(
  options: WalOptions,
  segments: Segment[],
  index: number,
  replay: LogReplay,
): boolean {
  const { fs, cipher } = options;
  const segment = segments[index]!;
  const isLast = index === segments.length - 1;
  const file = posix.join(options.directory, segment.name);
  const bytes = fs.readFile(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pending: { record: WalRecord; position: RecordPosition }[] = [];
  let committedEnd = 0;
  let offset = 0;
  let badOffset = -1;
  while (offset < bytes.length) {
    const raw = readRecord(bytes, view, offset);
    if (raw === null) {
      badOffset = offset;
      break;
    }
    const record = decode(raw, cipher, file, offset);
    checkPlacement(record, segment, cipher !== null, file, offset);
    if (record.type === RecordType.Commit) {
      if (record.recordCount !== pending.length) {
        throw new StorageCorruptionError(
          file,
          offset,
          `commit of ${record.recordCount} records closes a batch of ${pending.length}`,
        );
      }
      for (const item of pending) {
        replay.apply(item.record, item.position);
        trackSegment(item.record, segments, index);
      }
      pending = [];
      committedEnd = raw.end;
    } else {
      pending.push({ record, position: { file, offset } });
    }
    offset = raw.end;
  }
  if (badOffset < 0 && pending.length === 0) return true;

  const damageOffset = badOffset >= 0 ? badOffset : committedEnd;
  if (!isLast) {
    throw new StorageCorruptionError(
      file,
      damageOffset,
      badOffset >= 0 ? 'bad record in a sealed segment' : 'incomplete batch in a sealed segment',
    );
  }
  if (badOffset >= 0 && soundRecordFollows(bytes, view, badOffset)) {
    throw new StorageCorruptionError(file, badOffset, 'bad record followed by sound records');
  }
  // A torn write of the last batch: it was never acknowledged, so cut it off (durably).
  if (committedEnd === 0) {
    fs.unlink(file);
    fs.fsyncDir(options.directory);
    segments.splice(index, 1);
    return false;
  }
  fs.truncate(file, committedEnd);
  return true;
}

function decode(
  raw: RawRecord,
  cipher: DataCipher | null,
  file: string,
  offset: number,
): WalRecord {
  try {
    return decodeRecord(raw, cipher);
  } catch (error) {
    if (error instanceof RecordFormatError) {
      throw new StorageCorruptionError(file, offset, error.message);
    }
    throw error;
  }
}

/** A segment starts with its own header, and only there. */
function checkPlacement(
  record: WalRecord,
  segment: Segment,
  encrypted: boolean,
  file: string,
  offset: number,
): void {
  const isHeader = record.type === RecordType.SegmentHeader;
  if (offset === 0 && !isHeader) {
    throw new StorageCorruptionError(file, offset, 'segment does not start with a header');
  }
  if (offset !== 0 && isHeader) {
    throw new StorageCorruptionError(file, offset, 'segment header in the middle of a segment');
  }
  if (!isHeader) return;
  if (record.sequence !== segment.sequence || record.firstIndex !== segment.firstIndex) {
    throw new StorageCorruptionError(file, offset, 'segment header does not match the file name');
  }
  if (record.encrypted !== encrypted) {
    throw new StorageCorruptionError(
      file,
      offset,
      record.encrypted ? 'segment is encrypted but the store is not' : 'segment is not encrypted',
    );
  }
}

function trackSegment(record: WalRecord, segments: Segment[], index: number): void {
  const segment = segments[index]!;
  if (record.type === RecordType.Entry) {
    segment.maxIndex = Math.max(segment.maxIndex, record.entry.index);
  } else if (record.type === RecordType.Snapshot && record.kind === MarkerKind.Reset) {
    for (let i = 0; i <= index; i++) segments[i]!.maxIndex = 0;
  }
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}
