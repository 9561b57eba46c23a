import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, test } from 'node:test';
import type { HardState } from '../raft/types.ts';
import { StorageCorruptionError, StorageFailedError, StorageInvariantError } from './errors.ts';
import { type FileSystem, NodeFileSystem } from './fs.ts';
import { MemFileSystem } from './memfs.ts';
import { RaftStorage, type RaftStorageOptions } from './raft-storage.ts';
import { entries, entry, snapshotAt, temporaryDirectory, testKey } from './test-support.ts';

const DIR = '/data/raft';

function hard(term: number, commit: number, vote = 1): HardState {
  return { term, vote, commit };
}

function open(fs: FileSystem, options: Partial<RaftStorageOptions> = {}): RaftStorage {
  return RaftStorage.open({ dir: DIR, fs, kek: null, ...options });
}

/** Closes `storage` and loads what a fresh process would see. */
function reopen(storage: RaftStorage, fs: FileSystem, options: Partial<RaftStorageOptions> = {}) {
  storage.close();
  const again = open(fs, options);
  return { storage: again, state: again.load() };
}

describe('round trips', () => {
  test('a new store loads empty', () => {
    const storage = open(new MemFileSystem());
    assert.deepEqual(storage.load(), {
      hardState: { term: 0, vote: 0, commit: 0 },
      snapshot: null,
      entries: [],
    });
  });

  for (const kek of [null, testKey(9)]) {
    const mode = kek === null ? 'plaintext' : 'encrypted';
    test(`saves survive reopening on MemFileSystem (${mode})`, () => {
      const fs = new MemFileSystem();
      let storage = open(fs, { kek });
      storage.load();
      storage.save(hard(1, 0), entries(1, 5, 1));
      storage.save(hard(1, 5), entries(6, 9, 1));
      storage.save(null, [{ ...entry(10, 1), data: new Uint8Array(0) }]);
      const { storage: again, state } = reopen(storage, fs, { kek });
      storage = again;
      assert.deepEqual(state.hardState, hard(1, 5));
      assert.equal(state.snapshot, null);
      assert.deepEqual(state.entries, [
        ...entries(1, 9, 1),
        { ...entry(10, 1), data: new Uint8Array(0) },
      ]);
      storage.close();
    });

    test(`saves survive reopening on NodeFileSystem (${mode})`, () => {
      const directory = temporaryDirectory();
      try {
        const fs = new NodeFileSystem();
        const options = { dir: posix.join(directory.path, 'raft'), fs, kek, segmentBytes: 512 };
        const storage = RaftStorage.open(options);
        storage.save(hard(2, 0), entries(1, 40, 2));
        storage.save(hard(2, 30), entries(41, 60, 2));
        storage.saveSnapshot(snapshotAt(25, 2));
        storage.close();
        const again = RaftStorage.open(options);
        const state = again.load();
        assert.deepEqual(state.hardState, hard(2, 30));
        assert.deepEqual(state.snapshot, snapshotAt(25, 2));
        assert.deepEqual(state.entries, entries(26, 60, 2));
        again.save(hard(3, 30), entries(61, 61, 3));
        again.close();
        assert.deepEqual(RaftStorage.open(options).load().entries.at(-1), entry(61, 3));
      } finally {
        directory.remove();
      }
    });
  }

  test('segments roll over and replay in order', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 300 });
    for (let index = 1; index <= 50; index++) storage.save(hard(1, index - 1), [entry(index, 1)]);
    assert.ok(storage.walSegmentNames().length > 5);
    const { state } = reopen(storage, fs, { segmentBytes: 300 });
    assert.deepEqual(state.entries, entries(1, 50, 1));
    assert.deepEqual(state.hardState, hard(1, 49));
  });

  test('load() is handed out once, before any save', () => {
    const storage = open(new MemFileSystem());
    storage.load();
    assert.throws(() => storage.load(), /once/);
    const other = open(new MemFileSystem());
    other.save(hard(1, 0), []);
    assert.throws(() => other.load(), /once/);
  });
});

describe('group commit', () => {
  test('one save is one write and one fsync', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    const before = { ...fs.stats };
    storage.save(hard(1, 0), entries(1, 100, 1));
    assert.deepEqual(fs.stats, {
      writes: before.writes + 1,
      fsyncs: before.fsyncs + 1,
      dirFsyncs: before.dirFsyncs,
    });
  });

  test('starting a segment adds only a directory fsync', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 100 });
    storage.save(hard(1, 0), entries(1, 10, 1));
    const before = { ...fs.stats };
    storage.save(hard(1, 5), entries(11, 20, 1));
    assert.deepEqual(fs.stats, {
      writes: before.writes + 1,
      fsyncs: before.fsyncs + 1,
      dirFsyncs: before.dirFsyncs + 1,
    });
    assert.equal(storage.walSegmentNames().length, 2);
  });

  test('an empty save writes nothing', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    const before = { ...fs.stats };
    storage.save(null, []);
    assert.deepEqual(fs.stats, before);
  });
});

describe('suffix truncation', () => {
  test('a lower first index replaces the tail', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(1, 3), entries(1, 10, 1));
    storage.save(hard(2, 3), entries(6, 8, 2));
    const { state } = reopen(storage, fs);
    assert.deepEqual(state.entries, [...entries(1, 5, 1), ...entries(6, 8, 2)]);
  });

  test('truncation reaching back into earlier segments', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 200 });
    for (let index = 1; index <= 30; index++) storage.save(hard(1, 0), [entry(index, 1)]);
    storage.save(hard(3, 2), entries(4, 6, 3));
    storage.save(hard(3, 2), entries(7, 7, 3));
    const { state } = reopen(storage, fs, { segmentBytes: 200 });
    assert.deepEqual(state.entries, [...entries(1, 3, 1), ...entries(4, 7, 3)]);
  });
});

describe('torn writes and corruption', () => {
  /** A store with batches of 5 entries; returns each batch's start offset in the one segment. */
  function filled(fs: MemFileSystem, batches: number) {
    const storage = open(fs);
    const segment = posix.join(DIR, storage.walSegmentNames()[0]!);
    const starts: number[] = [];
    for (let batch = 0; batch < batches; batch++) {
      starts.push(fs.size(segment));
      storage.save(hard(1, batch * 5), entries(batch * 5 + 1, batch * 5 + 5, 1));
    }
    return { storage, segment, starts };
  }

  test('a torn last batch is cut off and appends go on after it', () => {
    const fs = new MemFileSystem();
    const { storage, segment } = filled(fs, 3);
    const goodBytes = fs.size(segment);
    fs.failNextFsync();
    assert.throws(() => storage.save(hard(1, 15), entries(16, 20, 1)), /EIO/);
    assert.throws(() => storage.save(hard(1, 15), []), StorageFailedError);
    fs.crash(() => 0.6);
    assert.ok(fs.size(segment) > goodBytes, 'part of the batch reached the disk');

    let reopened = open(fs);
    assert.deepEqual(reopened.load().entries, entries(1, 15, 1));
    assert.equal(fs.size(segment), goodBytes, 'the torn batch was truncated away');
    reopened.save(hard(2, 15), entries(16, 18, 2));
    reopened.close();
    reopened = open(fs);
    assert.deepEqual(reopened.load().entries, [...entries(1, 15, 1), ...entries(16, 18, 2)]);
  });

  test('a batch without its commit record is dropped whole', () => {
    const fs = new MemFileSystem();
    const { storage, segment, starts } = filled(fs, 2);
    storage.close();
    // Append the first batch again without its 13-byte commit record: sound records only.
    const bytes = fs.readFile(segment);
    const handle = fs.openAppend(segment);
    fs.write(handle, bytes.subarray(starts[0]!, starts[1]! - 13));
    fs.fsync(handle);
    const state = open(fs).load();
    assert.deepEqual(state.entries, entries(1, 10, 1));
    assert.equal(fs.size(segment), bytes.length);
  });

  test('damage with sound records after it names the file and offset', () => {
    const fs = new MemFileSystem();
    const { segment, starts } = filled(fs, 4);
    fs.corrupt(segment, starts[2]! + 12);
    assert.throws(
      () => open(fs),
      (error: unknown) =>
        error instanceof StorageCorruptionError &&
        error.file === segment &&
        error.offset === starts[2] &&
        /followed by sound records/.test(error.message),
    );
  });

  test('damage in an earlier segment is corruption even at its end', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 200 });
    for (let index = 1; index <= 20; index++) storage.save(hard(1, 0), [entry(index, 1)]);
    const first = posix.join(DIR, storage.walSegmentNames()[0]!);
    storage.close();
    fs.corrupt(first, fs.size(first) - 1);
    assert.throws(
      () => open(fs, { segmentBytes: 200 }),
      (error: unknown) => error instanceof StorageCorruptionError && error.file === first,
    );
  });

  test('a missing segment in the middle is corruption', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 100 });
    for (let index = 1; index <= 10; index++) storage.save(hard(1, 0), [entry(index, 1)]);
    const names = storage.walSegmentNames();
    storage.close();
    fs.unlink(posix.join(DIR, names[2]!));
    assert.throws(() => open(fs, { segmentBytes: 100 }), /segment 2 is missing/);
  });

  test('a lost first segment that no snapshot covers is corruption', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 100 });
    for (let index = 1; index <= 10; index++) storage.save(hard(1, 0), [entry(index, 1)]);
    const names = storage.walSegmentNames();
    storage.close();
    fs.unlink(posix.join(DIR, names[0]!));
    assert.throws(
      () => open(fs, { segmentBytes: 100 }),
      (error: unknown) =>
        error instanceof StorageCorruptionError &&
        error.file === posix.join(DIR, names[1]!) &&
        /no snapshot covers them/.test(error.message),
    );
  });
});

describe('crashes', () => {
  test('a crash never loses a completed save', () => {
    const fs = new MemFileSystem();
    let storage = open(fs, { segmentBytes: 400 });
    let draw = 0;
    for (let round = 1; round <= 30; round++) {
      storage.save(hard(1, round * 2 - 2), entries(round * 2 - 1, round * 2, 1));
      fs.crash(() => (draw++ % 7) / 7);
      storage = open(fs, { segmentBytes: 400 });
      const state = storage.load();
      assert.deepEqual(state.entries, entries(1, round * 2, 1));
      assert.deepEqual(state.hardState, hard(1, round * 2 - 2));
    }
  });

  test('a crash while creating a new store leaves a store that opens', () => {
    for (let skipped = 0; skipped < 4; skipped++) {
      const fs = new MemFileSystem();
      fs.failNext('fsyncDir', skipped);
      try {
        open(fs);
      } catch {
        // the injected failure
      }
      fs.crash(() => 0.5);
      assert.deepEqual(open(fs).load().entries, []);
    }
  });

  test('a missing key file with WAL data is corruption', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(1, 0), entries(1, 1, 1));
    storage.close();
    fs.unlink(posix.join(DIR, 'data.key'));
    assert.throws(() => open(fs), StorageCorruptionError);
  });
});

describe('snapshots and compaction', () => {
  test('a local snapshot drops older segments and entries', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 300 });
    for (let index = 1; index <= 60; index++) storage.save(hard(1, index), [entry(index, 1)]);
    const segmentsBefore = storage.walSegmentNames();
    storage.saveSnapshot(snapshotAt(40, 1));
    const segmentsAfter = storage.walSegmentNames();
    assert.ok(segmentsAfter.length < segmentsBefore.length);
    assert.equal(segmentsAfter.at(-1), segmentsBefore.at(-1), 'the active segment stays');
    const { state } = reopen(storage, fs, { segmentBytes: 300 });
    assert.deepEqual(state.snapshot, snapshotAt(40, 1));
    assert.deepEqual(state.entries, entries(41, 60, 1));
    assert.deepEqual(state.hardState, hard(1, 60));
  });

  test('keepEntries holds back compaction; compact() never passes the snapshot', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 200, keepEntries: 30 });
    for (let index = 1; index <= 60; index++) storage.save(hard(1, index), [entry(index, 1)]);
    const all = storage.walSegmentNames().length;
    storage.saveSnapshot(snapshotAt(40, 1));
    const kept = storage.walSegmentNames().length;
    assert.ok(kept < all, 'segments up to index 10 went');
    storage.compact(1000);
    const compacted = storage.walSegmentNames().length;
    assert.ok(compacted < kept, 'segments up to the snapshot went');
    const { state } = reopen(storage, fs, { segmentBytes: 200 });
    assert.deepEqual(state.entries, entries(41, 60, 1));
  });

  test('only the newest two snapshot files are kept', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(1, 50), entries(1, 50, 1));
    for (const index of [10, 20, 30, 40]) storage.saveSnapshot(snapshotAt(index, 1));
    const files = fs.readdir(DIR).filter((name) => name.startsWith('snap-'));
    assert.deepEqual(files, [
      'snap-0000000000000001-000000000000001e.snap',
      'snap-0000000000000001-0000000000000028.snap',
    ]);
  });

  test('a snapshot from the leader beyond the log restarts the log after it', () => {
    const fs = new MemFileSystem();
    const storage = open(fs, { segmentBytes: 300 });
    for (let index = 1; index <= 20; index++) storage.save(hard(1, 0), [entry(index, 1)]);
    storage.save(hard(3, 100), entries(101, 103, 3), snapshotAt(100, 2));
    assert.equal(storage.walSegmentNames().length, 1, 'every older segment went');
    const { storage: again, state } = reopen(storage, fs, { segmentBytes: 300 });
    assert.deepEqual(state.snapshot, snapshotAt(100, 2));
    assert.deepEqual(state.entries, entries(101, 103, 3));
    assert.deepEqual(state.hardState, hard(3, 100));
    again.save(null, entries(104, 104, 3));
  });

  test('a snapshot from the leader inside the log replaces all of it', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(1, 3), entries(1, 10, 1));
    storage.save(hard(2, 8), [], snapshotAt(8, 2));
    const { state } = reopen(storage, fs);
    assert.deepEqual(state.snapshot, snapshotAt(8, 2));
    assert.deepEqual(state.entries, []);
  });

  test('a crash between the snapshot file and the WAL keeps the old state', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(1, 10), entries(1, 10, 1));
    // The snapshot's temporary file is fsynced first; fail the WAL's fsync that follows.
    fs.failNext('fsync', 1);
    assert.throws(() => storage.saveSnapshot(snapshotAt(5, 1)), /EIO/);
    fs.crash(() => 0);
    const state = open(fs).load();
    assert.equal(state.snapshot, null);
    assert.deepEqual(state.entries, entries(1, 10, 1));
    assert.deepEqual(
      fs.readdir(DIR).filter((name) => name.startsWith('snap-')),
      [],
      'the unlogged snapshot file was removed',
    );
  });

  test('a corrupt current snapshot is named, not skipped', () => {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(1, 10), entries(1, 10, 1));
    storage.saveSnapshot(snapshotAt(4, 1));
    storage.saveSnapshot(snapshotAt(8, 1));
    storage.close();
    const newest = posix.join(DIR, 'snap-0000000000000001-0000000000000008.snap');
    fs.corrupt(newest, 20);
    assert.throws(
      () => open(fs),
      (error: unknown) => error instanceof StorageCorruptionError && error.file === newest,
    );
  });
});

describe('invariants', () => {
  function started() {
    const fs = new MemFileSystem();
    const storage = open(fs);
    storage.save(hard(2, 5), entries(1, 10, 2));
    return { fs, storage };
  }

  test('broken Raft invariants are refused before anything is written', () => {
    const { fs, storage } = started();
    const before = { ...fs.stats };
    const refused: [string, () => void][] = [
      ['gap', () => storage.save(null, entries(12, 12, 2))],
      ['not contiguous', () => storage.save(null, [entry(11, 2), entry(13, 2)])],
      ['overwrite committed', () => storage.save(hard(3, 5), entries(4, 4, 3))],
      ['term goes back', () => storage.save(hard(1, 5), [])],
      ['vote changes', () => storage.save({ term: 2, vote: 3, commit: 5 }, [])],
      ['commit goes back', () => storage.save(hard(2, 4), [])],
      ['commit past the log', () => storage.save(hard(2, 11), [])],
      ['entry term above current', () => storage.save(null, entries(11, 11, 3))],
      ['terms decrease', () => storage.save(hard(3, 5), [entry(11, 3), entry(12, 2)])],
      ['snapshot not committed', () => storage.saveSnapshot(snapshotAt(7, 2))],
      ['snapshot term wrong', () => storage.saveSnapshot(snapshotAt(4, 1))],
      ['received snapshot behind', () => storage.save(hard(2, 5), [], snapshotAt(0, 2))],
    ];
    for (const [name, action] of refused) {
      assert.throws(action, StorageInvariantError, name);
    }
    assert.deepEqual(fs.stats, before);
    storage.save(hard(2, 10), entries(11, 11, 2));
    storage.save(hard(3, 10), [entry(11, 3)]);
  });

  test('an I/O error makes the storage refuse every later call', () => {
    const { fs, storage } = started();
    fs.failNext('write');
    assert.throws(() => storage.save(null, entries(11, 11, 2)), /EIO/);
    assert.throws(() => storage.save(null, entries(11, 11, 2)), StorageFailedError);
    assert.throws(() => storage.saveSnapshot(snapshotAt(5, 2)), StorageFailedError);
    assert.throws(() => storage.compact(5), StorageFailedError);
  });
});
