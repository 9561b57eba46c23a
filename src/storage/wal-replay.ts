// Rebuilding the log from WAL records, in the order they were written. The rules:
// - An Entry record with index i replaces the log from i on: if the log holds i, entries from i
//   are dropped first (a conflicting suffix was replaced), then the entry is appended. This is
//   how suffix truncation is recorded: no separate record, the lower index says it all.
// - An Entry that does not attach to the log (it would leave a gap, or it lies before the log's
//   start) starts the log afresh at i. That happens when older segments were compacted away;
//   the entries before the final start must be covered by the final snapshot, or the log is
//   corrupt.
// - A Snapshot marker sets the snapshot the log continues from. A Reset marker (a snapshot from
//   the leader) also empties the log: it restarts after the snapshot.
// - The latest HardState record wins.
// At the end, entries at or below the snapshot index are dropped; the rest must be contiguous
// from snapshot.index + 1, and an entry at the snapshot index must carry the snapshot's term.
import type { Entry, HardState } from '../raft/types.ts';
import { StorageCorruptionError } from './errors.ts';
import { MarkerKind, RecordType, type WalRecord } from './wal-codec.ts';

export interface SnapshotPoint {
  index: number;
  term: number;
}

/** Where a record was read, for error messages. */
export interface RecordPosition {
  file: string;
  offset: number;
}

export interface ReplayedLog {
  hardState: HardState;
  snapshot: SnapshotPoint;
  /** Contiguous, starting at snapshot.index + 1. */
  entries: Entry[];
}

export class LogReplay {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snapshot: SnapshotPoint = { index: 0, term: 0 };
  private snapshotPosition: RecordPosition | null = null;
  /** entries[k].index === start + k */
  private entries: Entry[] = [];
  private start = 1;
  /** The entry that restarted the log at `start` (null: the log began there). */
  private restartPosition: RecordPosition | null = null;

  apply(record: WalRecord, position: RecordPosition): void {
    switch (record.type) {
      case RecordType.Entry:
        this.appendEntry(record.entry, position);
        break;
      case RecordType.HardState:
        this.hardState = record.hardState;
        break;
      case RecordType.Snapshot:
        if (record.kind === MarkerKind.Reset) {
          this.entries = [];
          this.start = record.index + 1;
          this.restartPosition = null;
        }
        this.snapshot = { index: record.index, term: record.term };
        this.snapshotPosition = position;
        break;
      case RecordType.SegmentHeader:
      case RecordType.Commit:
        break;
    }
  }

  private appendEntry(entry: Entry, position: RecordPosition): void {
    const nextIndex = this.start + this.entries.length;
    if (entry.index >= this.start && entry.index <= nextIndex) {
      this.entries.length = entry.index - this.start;
      this.entries.push(entry);
      return;
    }
    this.entries = [entry];
    this.start = entry.index;
    this.restartPosition = position;
  }

  finish(): ReplayedLog {
    const snapshotIndex = this.snapshot.index;
    if (this.start > snapshotIndex + 1 && this.entries.length > 0) {
      // Only a restart (compacted segments) can leave the log starting past the snapshot.
      const { file, offset } = this.restartPosition!;
      throw new StorageCorruptionError(
        file,
        offset,
        `entries before index ${this.start} are missing and no snapshot covers them (snapshot index ${snapshotIndex})`,
      );
    }
    const lastIndex = this.start + this.entries.length - 1;
    if (snapshotIndex >= this.start && snapshotIndex <= lastIndex) {
      const term = this.entries[snapshotIndex - this.start]!.term;
      if (term !== this.snapshot.term) {
        const { file, offset } = this.snapshotPosition!;
        throw new StorageCorruptionError(
          file,
          offset,
          `snapshot at index ${snapshotIndex} has term ${this.snapshot.term} but the log has term ${term}`,
        );
      }
    }
    const entries =
      snapshotIndex < this.start
        ? this.entries
        : this.entries.slice(snapshotIndex + 1 - this.start);
    return { hardState: this.hardState, snapshot: this.snapshot, entries };
  }
}
