// The durable side of a Raft node: hard state, log and snapshots in one directory:
//   data.key                      the data key, wrapped by the caller's KEK (or a plaintext mark)
//   wal-<sequence>-<index>.log    the write-ahead log (wal.ts)
//   snap-<term>-<index>.snap      the current snapshot and the one before (snapshot.ts)
// Every call is synchronous and durable on return. Calls that break a Raft invariant throw
// StorageInvariantError before writing anything. An I/O error is fatal: the object then throws
// StorageFailedError on every call, and only reopening (normally: restarting) recovers.
import { posix } from 'node:path';
import { type Entry, EntryType, type HardState, NONE, type Snapshot } from '../raft/types.ts';
import {
  type DataCipher,
  KEY_FILE,
  newDataCipher,
  readKeyFile,
  rewrapKeyFile,
  writeKeyFile,
} from './encryption.ts';
import { StorageCorruptionError, StorageFailedError, StorageInvariantError } from './errors.ts';
import type { FileSystem } from './fs.ts';
import { checkSnapshot, SnapshotStore } from './snapshot.ts';
import {
  DEFAULT_SEGMENT_BYTES,
  isSegmentName,
  isUnusedFirstSegment,
  WriteAheadLog,
} from './wal.ts';
import { MarkerKind } from './wal-codec.ts';
import type { SnapshotPoint } from './wal-replay.ts';

export interface RaftStorageOptions {
  dir: string;
  fs: FileSystem;
  /** 32-byte key-encryption key, or null for a store that is not encrypted. */
  kek: Uint8Array | null;
  /** Size at which a WAL segment is closed and a new one started. Default 64 MiB. */
  segmentBytes?: number;
  /** After a local snapshot, WAL segments are deleted only up to snapshot index - keepEntries. */
  keepEntries?: number;
}

export interface LoadedState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** Contiguous, from snapshot index + 1 (or 1 without a snapshot). */
  entries: Entry[];
}

export class RaftStorage {
  private readonly fs: FileSystem;
  private readonly directory: string;
  private readonly cipher: DataCipher | null;
  private readonly wal: WriteAheadLog;
  private readonly snapshots: SnapshotStore;
  private readonly keepEntries: number;
  private hardState: HardState;
  private snapshot: SnapshotPoint;
  /** Terms of the entries after the snapshot: terms[k] is the term of snapshot.index + 1 + k. */
  private terms: number[];
  /** What open() recovered, until load() hands it out. */
  private loaded: LoadedState | null;
  private failure: unknown = null;

  private constructor(
    options: RaftStorageOptions,
    cipher: DataCipher | null,
    wal: WriteAheadLog,
    loaded: LoadedState,
  ) {
    this.fs = options.fs;
    this.directory = options.dir;
    this.cipher = cipher;
    this.wal = wal;
    this.snapshots = new SnapshotStore(options.fs, options.dir, cipher);
    this.keepEntries = options.keepEntries ?? 0;
    this.hardState = loaded.hardState;
    const metadata = loaded.snapshot?.metadata;
    this.snapshot = { index: metadata?.index ?? 0, term: metadata?.term ?? 0 };
    this.terms = loaded.entries.map((entry) => entry.term);
    this.loaded = loaded;
  }

  /** Opens (creating if new) the store in `dir` and recovers it; see load(). */
  static open(options: RaftStorageOptions): RaftStorage {
    const { fs, dir, kek } = options;
    const walOptions = {
      fs,
      directory: dir,
      cipher: null as DataCipher | null,
      segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    };
    if (!(walOptions.segmentBytes > 0)) throw new RangeError('segmentBytes must be positive');
    fs.mkdirp(dir);
    if (!fs.exists(posix.join(dir, KEY_FILE))) createStore(walOptions, kek);
    walOptions.cipher = readKeyFile(fs, dir, kek);
    const { wal, log } = WriteAheadLog.open(walOptions);
    try {
      const snapshots = new SnapshotStore(fs, dir, walOptions.cipher);
      const snapshot = log.snapshot.index > 0 ? snapshots.read(log.snapshot) : null;
      // Snapshot files the WAL never recorded are leftovers of a crash; so are temporary files.
      snapshots.prune(log.snapshot);
      const storage = new RaftStorage(options, walOptions.cipher, wal, { ...log, snapshot });
      storage.checkRecovered();
      return storage;
    } catch (error) {
      wal.close();
      throw error;
    }
  }

  /**
   * The recovered state: the hard state, the current snapshot and the entries after it.
   * Call once, right after open() and before any save (it then lets go of the entries).
   */
  load(): LoadedState {
    const loaded = this.loaded;
    if (loaded === null) throw new Error('load() is only available once, before any save');
    this.loaded = null;
    return loaded;
  }

  /**
   * Persists one Ready's worth durably: `snapshot` (one received from the leader: the log
   * restarts after it), then `entries` (if the first index is at or below the last one, the
   * log is truncated there first), then `hardState`. All or nothing across a crash.
   * With `sync: false` the batch is written but not fsynced: a crash may lose it, and the next
   * synced save, `syncAsync()` or a clean close makes it durable. Use it for a change of the
   * commit index alone (see Ready.mustSync), or follow it with `syncAsync()`.
   */
  save(
    hardState: HardState | null,
    entries: Entry[],
    snapshot: Snapshot | null = null,
    options: { sync?: boolean } = {},
  ): void {
    const sync = options.sync ?? true;
    if (!sync && snapshot !== null) {
      throw new StorageInvariantError('a snapshot from the leader is always saved with sync');
    }
    this.checkUsable();
    const point =
      snapshot === null ? this.snapshot : checkReceivedSnapshot(snapshot, this.snapshot);
    const terms = snapshot === null ? this.terms : [];
    const firstIndex = entries[0]?.index ?? point.index + terms.length + 1;
    const keptTerms = firstIndex - point.index - 1;
    checkEntries(entries, point, terms, this.hardState.commit);
    const newHardState = hardState ?? this.hardState;
    checkHardState(newHardState, this.hardState);
    const lastIndex = entries.at(-1)?.index ?? point.index + terms.length;
    const lastTerm = entries.at(-1)?.term ?? 0;
    if (lastTerm > newHardState.term) {
      throw new StorageInvariantError(
        `entry term ${lastTerm} above current term ${newHardState.term}`,
      );
    }
    checkCommit(newHardState.commit, point.index, lastIndex);

    this.guard(() => {
      if (snapshot !== null) this.snapshots.write(snapshot);
      this.wal.save(
        {
          snapshot: snapshot === null ? null : { kind: MarkerKind.Reset, ...point },
          entries,
          hardState,
        },
        sync,
      );
    });
    this.loaded = null;
    this.hardState = newHardState;
    this.snapshot = point;
    if (snapshot !== null) this.terms = [];
    this.terms.length = keptTerms; // cuts a replaced suffix, if any
    for (const entry of entries) this.terms.push(entry.term);
    if (snapshot !== null) {
      this.guard(() => {
        this.snapshots.prune(point);
        this.wal.compact(Math.max(0, point.index - this.keepEntries));
      });
    }
  }

  /**
   * The durable half of a `save(..., { sync: false })` that must be durable after all, done on
   * the thread pool: a node writes a Ready, sends what may go before persistence, and awaits
   * this before it sends the rest or acknowledges anything.
   */
  async syncAsync(): Promise<void> {
    this.checkUsable();
    await this.wal.syncAsync();
  }

  /**
   * Persists a snapshot the node took of its own state machine. Its index must be committed
   * and in the log; entries up to it are no longer returned by load(). Then deletes older
   * snapshot files and WAL segments wholly at or below index - keepEntries. Saving the current
   * snapshot again does nothing.
   */
  saveSnapshot(snapshot: Snapshot): void {
    this.checkUsable();
    checkSnapshot(snapshot);
    const { index, term } = snapshot.metadata;
    if (index === this.snapshot.index && term === this.snapshot.term) return;
    if (index <= this.snapshot.index) {
      throw new StorageInvariantError(
        `snapshot index ${index} is not after the current snapshot ${this.snapshot.index}`,
      );
    }
    if (index > this.hardState.commit) {
      throw new StorageInvariantError(
        `snapshot index ${index} is not committed (${this.hardState.commit})`,
      );
    }
    const logTerm = this.termAt(index);
    if (logTerm !== term) {
      throw new StorageInvariantError(`snapshot term ${term} at ${index}; the log has ${logTerm}`);
    }
    const point = { index, term };
    this.guard(() => {
      this.snapshots.write(snapshot);
      this.wal.save({
        snapshot: { kind: MarkerKind.Compacted, ...point },
        entries: [],
        hardState: null,
      });
    });
    this.loaded = null;
    this.terms = this.terms.slice(index - this.snapshot.index);
    this.snapshot = point;
    this.guard(() => {
      this.snapshots.prune(point);
      this.wal.compact(Math.max(0, index - this.keepEntries));
    });
  }

  /**
   * Deletes WAL segments whose entries are all at or below keepAfterIndex, never beyond the
   * durable snapshot (so nothing load() would need goes) and never the segment being written.
   */
  compact(keepAfterIndex: number): void {
    this.checkUsable();
    this.guard(() => this.wal.compact(keepAfterIndex));
  }

  /** Rewraps the data key with a new key-encryption key (atomically; the data is untouched). */
  rotateKek(newKek: Uint8Array): void {
    this.checkUsable();
    const cipher = this.cipher;
    if (cipher === null) throw new StorageInvariantError('the store is not encrypted');
    this.guard(() => rewrapKeyFile(this.fs, this.directory, cipher, newKek));
  }

  close(): void {
    if (this.failure === null) this.failure = new StorageFailedError('the storage is closed');
    this.wal.close();
  }

  /** Live WAL segment file names, oldest first (for tests and diagnostics). */
  walSegmentNames(): string[] {
    return this.wal.segmentNames();
  }

  private termAt(index: number): number | undefined {
    if (index === this.snapshot.index) return this.snapshot.term;
    return this.terms[index - this.snapshot.index - 1];
  }

  private checkRecovered(): void {
    const lastIndex = this.snapshot.index + this.terms.length;
    const { commit } = this.hardState;
    if (commit < this.snapshot.index || commit > lastIndex) {
      throw new StorageCorruptionError(
        this.directory,
        0,
        `recovered commit ${commit} outside [snapshot ${this.snapshot.index}, last index ${lastIndex}]`,
      );
    }
  }

  private checkUsable(): void {
    if (this.failure instanceof StorageFailedError) throw this.failure;
    if (this.failure !== null) {
      throw new StorageFailedError('an earlier I/O error left the storage in an unknown state', {
        cause: this.failure,
      });
    }
  }

  /** Runs I/O; any error makes the storage unusable, since what reached the disk is unknown. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }
}

/** A new store: the first WAL segment, then the key file, whose presence marks the store made. */
function createStore(
  walOptions: {
    fs: FileSystem;
    directory: string;
    cipher: DataCipher | null;
    segmentBytes: number;
  },
  kek: Uint8Array | null,
): void {
  const { fs, directory } = walOptions;
  const hasSegments = fs.readdir(directory).some(isSegmentName);
  if (hasSegments) {
    if (!isUnusedFirstSegment(fs, directory)) {
      throw new StorageCorruptionError(
        posix.join(directory, KEY_FILE),
        0,
        'the key file is missing but the WAL has data',
      );
    }
    for (const name of fs.readdir(directory).filter(isSegmentName)) {
      fs.unlink(posix.join(directory, name));
    }
    fs.fsyncDir(directory);
  }
  const cipher = newDataCipher(kek);
  WriteAheadLog.create({ ...walOptions, cipher });
  writeKeyFile(fs, directory, cipher, kek);
}

function checkReceivedSnapshot(snapshot: Snapshot, current: SnapshotPoint): SnapshotPoint {
  checkSnapshot(snapshot);
  const { index, term } = snapshot.metadata;
  if (index <= current.index) {
    throw new StorageInvariantError(
      `received snapshot ${index} is not after the current snapshot ${current.index}`,
    );
  }
  return { index, term };
}

/**
 * Entries must be contiguous with non-decreasing terms, attach to the log after `point` (no
 * gap, nothing at or below the snapshot), and may replace entries only above `commit` (a
 * committed entry may be rewritten only with the same term, i.e. the same entry).
 */
function checkEntries(
  entries: readonly Entry[],
  point: SnapshotPoint,
  terms: readonly number[],
  commit: number,
): void {
  const first = entries[0];
  if (first === undefined) return;
  const lastIndex = point.index + terms.length;
  if (first.index <= point.index || first.index > lastIndex + 1) {
    throw new StorageInvariantError(
      `entry ${first.index} does not attach to the log (snapshot ${point.index}, last ${lastIndex})`,
    );
  }
  let previousTerm =
    first.index - 1 === point.index ? point.term : terms[first.index - point.index - 2]!;
  for (let k = 0; k < entries.length; k++) {
    const entry = entries[k]!;
    if (entry.index !== first.index + k) {
      throw new StorageInvariantError(`entries not contiguous at ${entry.index}`);
    }
    if (!Number.isSafeInteger(entry.term) || entry.term < previousTerm || entry.term < 1) {
      throw new StorageInvariantError(
        `entry ${entry.index} has term ${entry.term} after ${previousTerm}`,
      );
    }
    if (!(entry.type in EntryType) || !(entry.data instanceof Uint8Array)) {
      throw new StorageInvariantError(`entry ${entry.index} has a bad type or data`);
    }
    if (entry.index <= commit && entry.index <= lastIndex) {
      const existing = terms[entry.index - point.index - 1];
      if (existing !== entry.term) {
        throw new StorageInvariantError(
          `entry ${entry.index} would replace a committed entry (term ${existing} by ${entry.term})`,
        );
      }
    }
    previousTerm = entry.term;
  }
}

function checkHardState(next: HardState, current: HardState): void {
  if (![next.term, next.vote, next.commit].every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new StorageInvariantError('hard state fields must be non-negative integers');
  }
  if (next.term < current.term) {
    throw new StorageInvariantError(`term goes back from ${current.term} to ${next.term}`);
  }
  if (next.term === current.term && current.vote !== NONE && next.vote !== current.vote) {
    throw new StorageInvariantError(`vote changes within term ${next.term}`);
  }
  if (next.commit < current.commit) {
    throw new StorageInvariantError(`commit goes back from ${current.commit} to ${next.commit}`);
  }
}

function checkCommit(commit: number, snapshotIndex: number, lastIndex: number): void {
  if (commit < snapshotIndex || commit > lastIndex) {
    throw new StorageInvariantError(
      `commit ${commit} outside [snapshot ${snapshotIndex}, last index ${lastIndex}]`,
    );
  }
}
