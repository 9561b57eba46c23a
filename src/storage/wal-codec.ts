// The WAL's record format. Each record is [length u32][crc32c u32][type u8][payload], little
// endian, where length counts the type byte and the payload and the CRC covers the same bytes.
// Every save() is one batch: its records followed by a Commit record, so a torn batch (no
// Commit) is recognised and dropped whole and a save is all-or-nothing across a crash.
// Numbers are float64: Raft terms and indexes stay below 2^53, and JS numbers read back exactly.
//
// Payloads of Entry, HardState and Snapshot records are sealed (see encryption.ts) when the
// store is encrypted; SegmentHeader and Commit carry nothing secret and stay readable.
import { type Entry, EntryType, type HardState } from '../raft/types.ts';
import { crc32c } from './crc32c.ts';
import { type DataCipher, SEAL_OVERHEAD_BYTES } from './encryption.ts';

export enum RecordType {
  SegmentHeader = 1,
  Entry = 2,
  HardState = 3,
  Snapshot = 4,
  Commit = 5,
}

/** What a Snapshot record means for the log replayed so far (see wal.ts, replay rules). */
export enum MarkerKind {
  /** A snapshot from the leader: the log restarts after it. */
  Reset = 0,
  /** A local snapshot: the log goes on; entries up to it are no longer needed. */
  Compacted = 1,
  /** The current snapshot restated at the start of a segment, so older segments can go. */
  Carried = 2,
}

export const SEGMENT_FORMAT_VERSION = 1;

export type WalRecord =
  | { type: RecordType.SegmentHeader; sequence: number; firstIndex: number; encrypted: boolean }
  | { type: RecordType.Entry; entry: Entry }
  | { type: RecordType.HardState; hardState: HardState }
  | { type: RecordType.Snapshot; kind: MarkerKind; index: number; term: number }
  | { type: RecordType.Commit; recordCount: number };

/** Bytes before the type byte: length and CRC. */
export const RECORD_HEADER_BYTES = 8;
const ENTRY_FIXED_BYTES = 17;
const HARD_STATE_BYTES = 24;
const SNAPSHOT_BYTES = 17;
const SEGMENT_HEADER_BYTES = 18;
const COMMIT_BYTES = 4;
/** Associated data of a sealed payload: its record type, so a payload cannot change type. */
const ASSOCIATED = Array.from({ length: 6 }, (_, type) => Uint8Array.of(type));

/** A bad field in a record whose checksum matched; the WAL adds the file and offset. */
export class RecordFormatError extends Error {}

function isSealed(type: RecordType): boolean {
  return type === RecordType.Entry || type === RecordType.HardState || type === RecordType.Snapshot;
}

function plainPayloadBytes(record: WalRecord): number {
  const fixedBytes = fixedPayloadBytes(record.type);
  return record.type === RecordType.Entry ? fixedBytes + record.entry.data.length : fixedBytes;
}

/** Size of the batch `records` (plus its Commit record) once encoded. */
function batchBytes(records: readonly WalRecord[], encrypted: boolean): number {
  let total = RECORD_HEADER_BYTES + 1 + COMMIT_BYTES;
  for (const record of records) {
    const overhead = encrypted && isSealed(record.type) ? SEAL_OVERHEAD_BYTES : 0;
    total += RECORD_HEADER_BYTES + 1 + plainPayloadBytes(record) + overhead;
  }
  return total;
}

/** Encodes `records` and a closing Commit record into one buffer, to be written at once. */
export function encodeBatch(records: readonly WalRecord[], cipher: DataCipher | null): Uint8Array {
  const out = new Uint8Array(batchBytes(records, cipher !== null));
  const view = new DataView(out.buffer);
  // Fixed fields are staged here when they must go through the cipher.
  const scratch = new Uint8Array(HARD_STATE_BYTES);
  const scratchView = new DataView(scratch.buffer);
  let offset = 0;
  const all: WalRecord[] = [...records, { type: RecordType.Commit, recordCount: records.length }];
  for (const record of all) {
    const typeOffset = offset + RECORD_HEADER_BYTES;
    out[typeOffset] = record.type;
    const payloadOffset = typeOffset + 1;
    let end: number;
    if (cipher !== null && isSealed(record.type)) {
      const fixedBytes = writeFixedFields(record, scratchView, 0);
      const parts: Uint8Array[] = [scratch.subarray(0, fixedBytes)];
      if (record.type === RecordType.Entry) parts.push(record.entry.data);
      end = cipher.sealInto(parts, ASSOCIATED[record.type]!, out, payloadOffset);
    } else {
      end = payloadOffset + writeFixedFields(record, view, payloadOffset);
      if (record.type === RecordType.Entry) {
        out.set(record.entry.data, end);
        end += record.entry.data.length;
      }
    }
    view.setUint32(offset, end - typeOffset, true);
    view.setUint32(offset + 4, crc32c(out.subarray(typeOffset, end)), true);
    offset = end;
  }
  return out;
}

/** Writes the fixed-size fields of `record` at `offset`; returns how many bytes. */
function writeFixedFields(record: WalRecord, view: DataView, offset: number): number {
  switch (record.type) {
    case RecordType.SegmentHeader:
      view.setUint8(offset, SEGMENT_FORMAT_VERSION);
      view.setUint8(offset + 1, record.encrypted ? 1 : 0);
      view.setFloat64(offset + 2, record.sequence, true);
      view.setFloat64(offset + 10, record.firstIndex, true);
      return SEGMENT_HEADER_BYTES;
    case RecordType.Entry:
      view.setFloat64(offset, record.entry.term, true);
      view.setFloat64(offset + 8, record.entry.index, true);
      view.setUint8(offset + 16, record.entry.type);
      return ENTRY_FIXED_BYTES;
    case RecordType.HardState:
      view.setFloat64(offset, record.hardState.term, true);
      view.setFloat64(offset + 8, record.hardState.vote, true);
      view.setFloat64(offset + 16, record.hardState.commit, true);
      return HARD_STATE_BYTES;
    case RecordType.Snapshot:
      view.setUint8(offset, record.kind);
      view.setFloat64(offset + 1, record.index, true);
      view.setFloat64(offset + 9, record.term, true);
      return SNAPSHOT_BYTES;
    case RecordType.Commit:
      view.setUint32(offset, record.recordCount, true);
      return COMMIT_BYTES;
  }
}

/** A record whose length and checksum are sound, not yet decoded. */
export interface RawRecord {
  type: number;
  /** The stored payload (sealed when encrypted), a view into the segment's bytes. */
  payload: Uint8Array;
  /** Offset just past the record. */
  end: number;
}

/** The record at `offset`, or null if it is cut short or its checksum does not match. */
export function readRecord(bytes: Uint8Array, view: DataView, offset: number): RawRecord | null {
  if (bytes.length - offset < RECORD_HEADER_BYTES + 1) return null;
  const length = view.getUint32(offset, true);
  const typeOffset = offset + RECORD_HEADER_BYTES;
  if (length < 1 || length > bytes.length - typeOffset) return null;
  const end = typeOffset + length;
  if (crc32c(bytes.subarray(typeOffset, end)) !== view.getUint32(offset + 4, true)) return null;
  return { type: bytes[typeOffset]!, payload: bytes.subarray(typeOffset + 1, end), end };
}

/**
 * Whether some sound record of a known type starts after `offset`. Used to tell a torn tail
 * (garbage up to the end) from damage in the middle of the log (good records follow).
 */
export function soundRecordFollows(bytes: Uint8Array, view: DataView, offset: number): boolean {
  for (let start = offset + 1; start + RECORD_HEADER_BYTES < bytes.length; start++) {
    const type = bytes[start + RECORD_HEADER_BYTES]!;
    if (type < RecordType.SegmentHeader || type > RecordType.Commit) continue;
    if (readRecord(bytes, view, start) !== null) return true;
  }
  return false;
}

/** Decodes a sound record's payload; throws RecordFormatError on impossible contents. */
export function decodeRecord(raw: RawRecord, cipher: DataCipher | null): WalRecord {
  const type = raw.type as RecordType;
  if (!(type in RecordType)) throw new RecordFormatError(`unknown record type ${raw.type}`);
  let payload = raw.payload;
  if (cipher !== null && isSealed(type)) {
    const plain = cipher.open(payload, ASSOCIATED[type]!);
    if (plain === null) throw new RecordFormatError('authentication tag mismatch');
    payload = plain;
  }
  const fixedBytes = fixedPayloadBytes(type);
  if (type === RecordType.Entry ? payload.length < fixedBytes : payload.length !== fixedBytes) {
    throw new RecordFormatError(`payload of ${payload.length} bytes for record type ${type}`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  switch (type) {
    case RecordType.SegmentHeader: {
      const version = view.getUint8(0);
      if (version !== SEGMENT_FORMAT_VERSION) {
        throw new RecordFormatError(`unknown segment format version ${version}`);
      }
      return {
        type,
        encrypted: view.getUint8(1) === 1,
        sequence: readCount(view, 2, 'sequence'),
        firstIndex: readCount(view, 10, 'first index'),
      };
    }
    case RecordType.Entry: {
      const entryType = view.getUint8(16);
      if (!(entryType in EntryType)) throw new RecordFormatError(`unknown entry type ${entryType}`);
      const entry: Entry = {
        term: readCount(view, 0, 'term'),
        index: readCount(view, 8, 'index'),
        type: entryType,
        // Copied when read from the segment's bytes, so entries do not pin whole segments.
        data:
          cipher === null ? payload.slice(ENTRY_FIXED_BYTES) : payload.subarray(ENTRY_FIXED_BYTES),
      };
      if (entry.index < 1) throw new RecordFormatError('entry index 0');
      return { type, entry };
    }
    case RecordType.HardState:
      return {
        type,
        hardState: {
          term: readCount(view, 0, 'term'),
          vote: readCount(view, 8, 'vote'),
          commit: readCount(view, 16, 'commit'),
        },
      };
    case RecordType.Snapshot: {
      const kind = view.getUint8(0);
      if (!(kind in MarkerKind)) throw new RecordFormatError(`unknown snapshot marker ${kind}`);
      return { type, kind, index: readCount(view, 1, 'index'), term: readCount(view, 9, 'term') };
    }
    case RecordType.Commit:
      return { type, recordCount: view.getUint32(0, true) };
  }
}

function fixedPayloadBytes(type: RecordType): number {
  switch (type) {
    case RecordType.SegmentHeader:
      return SEGMENT_HEADER_BYTES;
    case RecordType.Entry:
      return ENTRY_FIXED_BYTES;
    case RecordType.HardState:
      return HARD_STATE_BYTES;
    case RecordType.Snapshot:
      return SNAPSHOT_BYTES;
    case RecordType.Commit:
      return COMMIT_BYTES;
  }
}

function readCount(view: DataView, offset: number, what: string): number {
  const value = view.getFloat64(offset, true);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RecordFormatError(`bad ${what} ${value}`);
  return value;
}
