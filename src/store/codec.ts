// Bytes for Raft: batches (one per log entry) and whole-store snapshots. Both are canonical JSON
// in UTF-8 (object keys sorted, tables sorted by ID) so equal content always gives equal bytes:
// replicas can be compared byte for byte, and a snapshot does not depend on the order in which
// objects happened to be inserted.
import {
  type Batch,
  type Change,
  MAX_BATCH_BYTES,
  MAX_CHANGES_PER_BATCH,
  validateBatch,
} from './batch.ts';
import { InvalidBatchError } from './errors.ts';
import { TABLE_NAMES, type TableName, type TableObjects } from './types.ts';

const SNAPSHOT_FORMAT = 'shoal-store-snapshot/1';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON.stringify with object keys sorted at every level; undefined members are left out. */
export function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'toJSON' in value) {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** Encodes a batch for proposing; refuses one that breaks the transaction bounds. */
export function encodeBatch(batch: Batch): Uint8Array {
  validateBatch(batch);
  const bytes = encoder.encode(canonicalJson(batch));
  if (bytes.byteLength > MAX_BATCH_BYTES) {
    throw new InvalidBatchError(
      `batch is ${megabytes(bytes.byteLength)} (${bytes.byteLength} bytes) encoded; at most ` +
        `${megabytes(MAX_BATCH_BYTES)} (${MAX_BATCH_BYTES} bytes) fit in one transaction`,
    );
  }
  return bytes;
}

/** Decodes a log entry's data; InvalidBatchError when it is not a well-formed batch. */
export function decodeBatch(bytes: Uint8Array): Batch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new InvalidBatchError(`batch is not UTF-8 JSON: ${(error as Error).message}`);
  }
  validateBatch(parsed);
  return parsed;
}

/**
 * Splits changes into as few batches as the bounds allow, in order. Each batch is atomic on its
 * own, but the sequence is not: a proposer must tolerate a prefix of them having applied.
 */
export function planBatches(changes: Change[], timestamp: string): Batch[] {
  const envelopeBytes = encoder.encode(canonicalJson({ changes: [], timestamp })).byteLength;
  const batches: Batch[] = [];
  let current: Change[] = [];
  let currentBytes = envelopeBytes;
  for (const change of changes) {
    const changeBytes = encoder.encode(canonicalJson(change)).byteLength;
    const separatorBytes = current.length > 0 ? 1 : 0;
    if (envelopeBytes + changeBytes > MAX_BATCH_BYTES) {
      const id = change.kind === 'delete' ? change.id : change.object.ID;
      throw new InvalidBatchError(
        `${change.kind} of ${change.table} ${id} alone is ${changeBytes} bytes encoded; ` +
          `a transaction holds at most ${MAX_BATCH_BYTES} bytes`,
      );
    }
    const full =
      current.length >= MAX_CHANGES_PER_BATCH ||
      currentBytes + separatorBytes + changeBytes > MAX_BATCH_BYTES;
    if (full) {
      batches.push({ timestamp, changes: current });
      current = [];
      currentBytes = envelopeBytes;
    }
    currentBytes += (current.length > 0 ? 1 : 0) + changeBytes;
    current.push(change);
  }
  if (current.length > 0) batches.push({ timestamp, changes: current });
  return batches;
}

/** The whole replicated state: what a Raft snapshot carries. */
export interface StoreState {
  /** Raft index of the last entry applied to the store. */
  version: number;
  tables: { [T in TableName]: TableObjects[T][] };
}

export function encodeSnapshot(state: StoreState): Uint8Array {
  const tables: Record<string, unknown[]> = {};
  for (const table of TABLE_NAMES) {
    tables[table] = [...state.tables[table]].sort((a, b) => (a.ID < b.ID ? -1 : 1));
  }
  return encoder.encode(canonicalJson({ format: SNAPSHOT_FORMAT, version: state.version, tables }));
}

export function decodeSnapshot(bytes: Uint8Array): StoreState {
  let parsed: { format?: unknown; version?: unknown; tables?: Record<string, unknown> };
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new Error(`store snapshot is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (parsed?.format !== SNAPSHOT_FORMAT) {
    throw new Error(`store snapshot format ${JSON.stringify(parsed?.format)} is not supported`);
  }
  if (!Number.isSafeInteger(parsed.version) || (parsed.version as number) < 0) {
    throw new Error('store snapshot has no valid version');
  }
  for (const table of TABLE_NAMES) {
    if (!Array.isArray(parsed.tables?.[table])) {
      throw new Error(`store snapshot has no table ${table}`);
    }
  }
  return parsed as StoreState;
}
