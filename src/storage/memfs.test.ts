import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemFileSystem } from './memfs.ts';

const text = (value: string) => new TextEncoder().encode(value);
const read = (fs: MemFileSystem, path: string) => new TextDecoder().decode(fs.readFile(path));

/** A file whose creation is durable, holding `durable` fsynced and `unsynced` after it. */
function fileWith(fs: MemFileSystem, durable: string, unsynced: string): void {
  fs.mkdirp('/d');
  const handle = fs.create('/d/f');
  fs.write(handle, text(durable));
  fs.fsync(handle);
  fs.fsyncDir('/d');
  fs.write(handle, text(unsynced));
}

test('a crash keeps fsynced bytes and a prefix of the unsynced ones', () => {
  for (const [draw, expected] of [
    [0, 'durable'],
    [0.5, 'durable+unsy'], // floor(0.5 * (9 + 1)) = 5 of 9 unsynced bytes
    [0.99999, 'durable+unsynced'],
  ] as const) {
    const fs = new MemFileSystem();
    fileWith(fs, 'durable', '+unsynced');
    fs.crash(() => draw);
    assert.equal(read(fs, '/d/f'), expected);
  }
});

test('a crash is deterministic for a given random function', () => {
  const outcomes = new Set<string>();
  for (let run = 0; run < 3; run++) {
    const fs = new MemFileSystem();
    fileWith(fs, 'a', 'bcdefghij');
    let calls = 0;
    fs.crash(() => [0.3, 0.6][calls++ % 2]!);
    outcomes.add(read(fs, '/d/f'));
  }
  assert.equal(outcomes.size, 1);
});

test('directory entries are durable only after fsyncDir', () => {
  const fs = new MemFileSystem();
  fs.mkdirp('/d');
  const handle = fs.create('/d/new');
  fs.write(handle, text('x'));
  fs.fsync(handle);
  fs.crash(() => 1);
  assert.equal(fs.exists('/d/new'), false, 'creation was not made durable');

  fileWith(fs, 'old', '');
  fs.unlink('/d/f');
  fs.crash(() => 0);
  assert.equal(read(fs, '/d/f'), 'old', 'the unlink was undone');

  const temporary = fs.create('/d/f.tmp');
  fs.write(temporary, text('new'));
  fs.fsync(temporary);
  fs.rename('/d/f.tmp', '/d/f');
  assert.equal(read(fs, '/d/f'), 'new');
  fs.crash(() => 0);
  assert.equal(read(fs, '/d/f'), 'old', 'the rename was undone');
  assert.equal(fs.exists('/d/f.tmp'), false);

  const again = fs.create('/d/f.tmp');
  fs.write(again, text('new'));
  fs.fsync(again);
  fs.rename('/d/f.tmp', '/d/f');
  fs.fsyncDir('/d');
  fs.crash(() => 0);
  assert.equal(read(fs, '/d/f'), 'new');
  assert.deepEqual(fs.readdir('/d'), ['f']);
});

test('handles die with a crash; truncate is durable at once', () => {
  const fs = new MemFileSystem();
  fileWith(fs, 'abcdef', 'ghi');
  const handle = fs.openAppend('/d/f');
  fs.truncate('/d/f', 4);
  fs.crash(() => 1);
  assert.equal(read(fs, '/d/f'), 'abcd');
  assert.throws(() => fs.write(handle, text('x')), /EBADF/);
});

test('injected failures fire once, after the calls they skip', () => {
  const fs = new MemFileSystem();
  fileWith(fs, 'a', 'b');
  const handle = fs.openAppend('/d/f');
  fs.failNext('fsync', 1);
  fs.fsync(handle);
  assert.throws(() => fs.fsync(handle), /EIO/);
  fs.fsync(handle);
  fs.failNext('write');
  assert.throws(() => fs.write(handle, text('lost')), /EIO/);
  assert.equal(read(fs, '/d/f'), 'ab');
  fs.failNextFsync();
  fs.clearFailures();
  fs.fsync(handle);
});

test('corrupt flips one byte', () => {
  const fs = new MemFileSystem();
  fileWith(fs, 'abc', '');
  fs.corrupt('/d/f', 1);
  assert.deepEqual([...fs.readFile('/d/f')], [0x61, 0x62 ^ 0xff, 0x63]);
  assert.throws(() => fs.corrupt('/d/f', 3), RangeError);
});

test('stats count writes and fsyncs', () => {
  const fs = new MemFileSystem();
  fileWith(fs, 'a', 'b');
  assert.deepEqual(fs.stats, { writes: 2, fsyncs: 1, dirFsyncs: 1 });
});
