// Snapshot files snap-<term>-<index>.snap (16 hex digits each):
//   "SHOALSNP" | version u8 | flags u8 (1 = data sealed) | metadata length u32 | metadata JSON
//   | data (sealed with the metadata as associated data when encrypted) | crc32c u32 of the rest
// Written whole to a temporary file, fsynced, renamed over the name, directory fsynced: a
// snapshot file is either absent or complete.
//
// Which snapshot is current is decided by the WAL, not by listing files: a snapshot counts once
// the WAL has a marker for it. A snapshot file newer than the WAL's marker is the leftover of a
// crash between writing it and logging it, and is deleted on open. If the file the WAL points
// at is missing or corrupt, that is a StorageCorruptionError naming it: falling back to an older
// snapshot would need WAL entries that compaction may already have deleted.
import { posix } from 'node:path';
import type { ConfState, Snapshot, SnapshotMetadata } from '../raft/types.ts';
import { TEMPORARY_SUFFIX, writeFileAtomically } from './atomic-file.ts';
import { crc32c } from './crc32c.ts';
import { type DataCipher, SEAL_OVERHEAD_BYTES } from './encryption.ts';
import { StorageCorruptionError, StorageInvariantError } from './errors.ts';
import type { FileSystem } from './fs.ts';
import type { SnapshotPoint } from './wal-replay.ts';

/** How many snapshot files are kept: the current one and the one before. */
export const SNAPSHOTS_KEPT = 2;
const MAGIC = new TextEncoder().encode('SHOALSNP');
const VERSION = 1;
const FLAG_SEALED = 1;
const PREFIX_BYTES = MAGIC.length + 2 + 4;
const CHECKSUM_BYTES = 4;
const SNAPSHOT_NAME = /^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export function snapshotName(point: SnapshotPoint): string {
  return `snap-${hex16(point.term)}-${hex16(point.index)}.snap`;
}

/** Throws StorageInvariantError unless `snapshot` can be written and read back as it is. */
export function checkSnapshot(snapshot: Snapshot): void {
  const { metadata, data } = snapshot;
  if (!isCount(metadata.index) || !isCount(metadata.term) || metadata.term < 1) {
    throw new StorageInvariantError(`bad snapshot index ${metadata.index} term ${metadata.term}`);
  }
  if (!isConfState(metadata.conf) || !(data instanceof Uint8Array)) {
    throw new StorageInvariantError('snapshot conf state or data has a bad shape');
  }
}

export class SnapshotStore {
  constructor(
    private readonly fs: FileSystem,
    private readonly directory: string,
    private readonly cipher: DataCipher | null,
  ) {}

  /** Writes the snapshot durably (it is not current until the WAL records it). */
  write(snapshot: Snapshot): void {
    writeFileAtomically(
      this.fs,
      this.directory,
      snapshotName(snapshot.metadata),
      this.encode(snapshot),
    );
  }

  /** Reads and checks the snapshot at `point`. */
  read(point: SnapshotPoint): Snapshot {
    const file = posix.join(this.directory, snapshotName(point));
    if (!this.fs.exists(file)) {
      throw new StorageCorruptionError(file, 0, 'the snapshot the WAL refers to is missing');
    }
    const snapshot = this.decode(this.fs.readFile(file), file);
    const { index, term } = snapshot.metadata;
    if (index !== point.index || term !== point.term) {
      throw new StorageCorruptionError(file, 0, `holds index ${index} term ${term}`);
    }
    return snapshot;
  }

  /**
   * Deletes temporary files, snapshots newer than `current` (never logged) and all but the
   * newest SNAPSHOTS_KEPT of the rest. `current` itself is always kept.
   */
  prune(current: SnapshotPoint): void {
    const stale: string[] = [];
    const kept: SnapshotPoint[] = [];
    for (const name of this.fs.readdir(this.directory)) {
      if (name.startsWith('snap-') && name.endsWith(TEMPORARY_SUFFIX)) {
        stale.push(name);
        continue;
      }
      const match = SNAPSHOT_NAME.exec(name);
      if (match === null) continue;
      const point = {
        term: Number.parseInt(match[1]!, 16),
        index: Number.parseInt(match[2]!, 16),
      };
      const isCurrent = point.index === current.index && point.term === current.term;
      if (point.index > current.index || (point.index === current.index && !isCurrent)) {
        stale.push(name);
      } else {
        kept.push(point);
      }
    }
    kept.sort((a, b) => b.index - a.index || b.term - a.term);
    for (const point of kept.slice(SNAPSHOTS_KEPT)) stale.push(snapshotName(point));
    if (stale.length === 0) return;
    for (const name of stale) this.fs.unlink(posix.join(this.directory, name));
    this.fs.fsyncDir(this.directory);
  }

  private encode(snapshot: Snapshot): Uint8Array {
    const { index, term, conf } = snapshot.metadata;
    const metadata = new TextEncoder().encode(
      JSON.stringify({
        index,
        term,
        conf: { voters: conf.voters, learners: conf.learners, removed: conf.removed },
      }),
    );
    const storedBytes = snapshot.data.length + (this.cipher === null ? 0 : SEAL_OVERHEAD_BYTES);
    const out = new Uint8Array(PREFIX_BYTES + metadata.length + storedBytes + CHECKSUM_BYTES);
    const view = new DataView(out.buffer);
    out.set(MAGIC);
    out[MAGIC.length] = VERSION;
    out[MAGIC.length + 1] = this.cipher === null ? 0 : FLAG_SEALED;
    view.setUint32(MAGIC.length + 2, metadata.length, true);
    out.set(metadata, PREFIX_BYTES);
    const dataOffset = PREFIX_BYTES + metadata.length;
    // Sealed straight into the file image: snapshot data can be large, so copy it only once.
    if (this.cipher === null) out.set(snapshot.data, dataOffset);
    else this.cipher.sealInto([snapshot.data], metadata, out, dataOffset);
    const bodyLength = out.length - CHECKSUM_BYTES;
    view.setUint32(bodyLength, crc32c(out.subarray(0, bodyLength)), true);
    return out;
  }

  private decode(bytes: Uint8Array, file: string): Snapshot {
    const bodyLength = bytes.length - CHECKSUM_BYTES;
    if (bodyLength < PREFIX_BYTES) throw new StorageCorruptionError(file, 0, 'file too short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(bodyLength, true) !== crc32c(bytes.subarray(0, bodyLength))) {
      throw new StorageCorruptionError(file, bodyLength, 'checksum mismatch');
    }
    for (let i = 0; i < MAGIC.length; i++) {
      if (bytes[i] !== MAGIC[i]) throw new StorageCorruptionError(file, 0, 'not a snapshot file');
    }
    if (bytes[MAGIC.length] !== VERSION) {
      throw new StorageCorruptionError(file, MAGIC.length, 'unknown snapshot format version');
    }
    const sealed = bytes[MAGIC.length + 1] === FLAG_SEALED;
    if (sealed !== (this.cipher !== null)) {
      throw new StorageCorruptionError(
        file,
        MAGIC.length + 1,
        sealed ? 'snapshot is encrypted but the store is not' : 'snapshot is not encrypted',
      );
    }
    const metadataLength = view.getUint32(MAGIC.length + 2, true);
    const dataOffset = PREFIX_BYTES + metadataLength;
    if (dataOffset > bodyLength) {
      throw new StorageCorruptionError(file, MAGIC.length + 2, 'metadata length past the end');
    }
    const metadataBytes = bytes.subarray(PREFIX_BYTES, dataOffset);
    const metadata = parseMetadata(metadataBytes, file);
    const stored = bytes.subarray(dataOffset, bodyLength);
    let data: Uint8Array;
    if (this.cipher === null) {
      data = stored.slice();
    } else {
      const plain = this.cipher.open(stored, metadataBytes);
      if (plain === null) {
        throw new StorageCorruptionError(file, dataOffset, 'authentication tag mismatch');
      }
      data = plain;
    }
    return { metadata, data };
  }
}

function parseMetadata(bytes: Uint8Array, file: string): SnapshotMetadata {
  const bad = (reason: string) => new StorageCorruptionError(file, PREFIX_BYTES, reason);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw bad('metadata is not JSON');
  }
  const metadata = value as SnapshotMetadata;
  if (
    typeof value !== 'object' ||
    value === null ||
    !isCount(metadata.index) ||
    !isCount(metadata.term) ||
    !isConfState(metadata.conf)
  ) {
    throw bad('metadata has a bad shape');
  }
  return {
    index: metadata.index,
    term: metadata.term,
    conf: {
      voters: metadata.conf.voters,
      learners: metadata.conf.learners,
      removed: metadata.conf.removed,
    },
  };
}

function isConfState(value: unknown): value is ConfState {
  if (typeof value !== 'object' || value === null) return false;
  const conf = value as ConfState;
  return [conf.voters, conf.learners, conf.removed].every(
    (ids) => Array.isArray(ids) && ids.every(isCount),
  );
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}
