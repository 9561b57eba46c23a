import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import { EntryType } from '../raft/types.ts';
import { crc32c } from './crc32c.ts';
import { DataCipher } from './encryption.ts';
import { StorageCorruptionError, StorageLockedError } from './errors.ts';
import { MemFileSystem } from './memfs.ts';
import { RaftStorage } from './raft-storage.ts';
import { containsBytes, testKey } from './test-support.ts';

const DIR = '/secure';
const SECRET_ENTRY = new TextEncoder().encode('entry-plaintext-that-must-not-leak');
const SECRET_STATE = new TextEncoder().encode('snapshot-plaintext-that-must-not-leak');

/** A store holding one secret entry and a snapshot of secret state. */
function secretStore(kek: Uint8Array | null): MemFileSystem {
  const fs = new MemFileSystem();
  const storage = RaftStorage.open({ dir: DIR, fs, kek });
  storage.save({ term: 1, vote: 1, commit: 2 }, [
    { index: 1, term: 1, type: EntryType.Normal, data: SECRET_ENTRY },
    { index: 2, term: 1, type: EntryType.Normal, data: SECRET_ENTRY },
  ]);
  storage.saveSnapshot({
    metadata: { index: 1, term: 1, conf: { voters: [1], learners: [], removed: [] } },
    data: SECRET_STATE,
  });
  storage.close();
  return fs;
}

function anyFileContains(fs: MemFileSystem, needle: Uint8Array): boolean {
  return fs.readdir(DIR).some((name) => containsBytes(fs.readFile(posix.join(DIR, name)), needle));
}

test('encrypted files hold no plaintext of entries or snapshots', () => {
  const plain = secretStore(null);
  assert.ok(anyFileContains(plain, SECRET_ENTRY), 'the check itself finds plaintext');
  assert.ok(anyFileContains(plain, SECRET_STATE));

  const kek = testKey(1);
  const encrypted = secretStore(kek);
  assert.equal(anyFileContains(encrypted, SECRET_ENTRY), false);
  assert.equal(anyFileContains(encrypted, SECRET_STATE), false);
  assert.equal(anyFileContains(encrypted, kek), false);
  const state = RaftStorage.open({ dir: DIR, fs: encrypted, kek }).load();
  assert.deepEqual(state.entries[0]?.data, SECRET_ENTRY);
  assert.deepEqual(state.snapshot?.data, SECRET_STATE);
});

test('a wrong or missing KEK is refused with StorageLockedError', () => {
  const fs = secretStore(testKey(1));
  assert.throws(() => RaftStorage.open({ dir: DIR, fs, kek: testKey(2) }), {
    name: 'StorageLockedError',
    message: /wrong key-encryption key/,
  });
  assert.throws(() => RaftStorage.open({ dir: DIR, fs, kek: null }), StorageLockedError);
  const plain = secretStore(null);
  assert.throws(
    () => RaftStorage.open({ dir: DIR, fs: plain, kek: testKey(1) }),
    StorageLockedError,
  );
  assert.throws(() => RaftStorage.open({ dir: DIR, fs, kek: new Uint8Array(16) }), TypeError);
});

test('rotateKek rewraps the data key: the new KEK opens, the old one no longer does', () => {
  const fs = secretStore(testKey(1));
  const storage = RaftStorage.open({ dir: DIR, fs, kek: testKey(1) });
  storage.rotateKek(testKey(3));
  storage.close();
  assert.throws(() => RaftStorage.open({ dir: DIR, fs, kek: testKey(1) }), StorageLockedError);
  const state = RaftStorage.open({ dir: DIR, fs, kek: testKey(3) }).load();
  assert.deepEqual(state.entries[0]?.data, SECRET_ENTRY);
});

test('a record altered behind a recomputed checksum fails its tag: corruption', () => {
  const fs = secretStore(testKey(1));
  const segment = posix.join(DIR, fs.readdir(DIR).find((name) => name.startsWith('wal-'))!);
  const bytes = fs.readFile(segment);
  // The header batch is two plaintext records (27 + 13 bytes); the first entry record follows.
  const recordOffset = 40;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(recordOffset, true);
  bytes[recordOffset + 8 + 20]! ^= 1;
  const typeStart = recordOffset + 8;
  view.setUint32(recordOffset + 4, crc32c(bytes.subarray(typeStart, typeStart + length)), true);
  fs.unlink(segment);
  const handle = fs.create(segment);
  fs.write(handle, bytes);
  fs.fsync(handle);
  assert.throws(
    () => RaftStorage.open({ dir: DIR, fs, kek: testKey(1) }),
    (error: unknown) =>
      error instanceof StorageCorruptionError &&
      error.file === segment &&
      error.offset === recordOffset &&
      /authentication tag/.test(error.message),
  );
});

test('DataCipher uses a fresh nonce per item and binds the associated data', () => {
  const cipher = new DataCipher(testKey(5));
  const associated = Uint8Array.of(2);
  const first = cipher.seal(SECRET_ENTRY, associated);
  const second = cipher.seal(SECRET_ENTRY, associated);
  assert.notDeepEqual(first, second);
  assert.deepEqual(cipher.open(first, associated), SECRET_ENTRY);
  assert.equal(cipher.open(first, Uint8Array.of(3)), null);
  assert.equal(new DataCipher(testKey(6)).open(first, associated), null);
});
