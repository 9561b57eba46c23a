// Encryption at rest. A random 32-byte data key encrypts every WAL record payload and snapshot
// data with AES-256-GCM (a fresh random 12-byte nonce per item, stored in front of it, and the
// 16-byte tag after it). The data key itself lives in the key file, wrapped (AES-256-GCM) by a
// key-encryption key (KEK) that the caller supplies and that never touches this directory, so
// rotating the KEK rewrites one small file instead of the whole log.
//
// kek === null is the plaintext mode: the key file then only records that the store is not
// encrypted, so opening it later with a KEK (or an encrypted store without one) is refused
// instead of silently misreading data.
//
// Random nonces are safe for about 2^32 items per data key; a node writes far fewer records
// than that between data key changes (a new store gets a new key).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { writeFileAtomically } from './atomic-file.ts';
import { crc32c } from './crc32c.ts';
import { StorageCorruptionError, StorageLockedError } from './errors.ts';
import type { FileSystem } from './fs.ts';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes a sealed item is longer than its plaintext: the nonce and the tag. */
export const SEAL_OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES;

export const KEY_FILE = 'data.key';
const KEY_FILE_MAGIC = new TextEncoder().encode('SHOALKEY');
const KEY_FILE_VERSION = 1;
const MODE_PLAINTEXT = 0;
const MODE_WRAPPED = 1;
const KEY_FILE_HEADER_BYTES = KEY_FILE_MAGIC.length + 2;
const CHECKSUM_BYTES = 4;

/** Seals and opens items with the data key. */
export class DataCipher {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    checkKey(key, 'data key');
    this.#key = key;
  }

  /**
   * Writes nonce ‖ ciphertext ‖ tag of the concatenated `parts` into `out` at `offset` and
   * returns the end offset. Taking parts saves copying a header and a body into one buffer.
   */
  sealInto(
    parts: readonly Uint8Array[],
    associated: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): number {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(associated);
    out.set(nonce, offset);
    let end = offset + NONCE_BYTES;
    for (const part of parts) {
      const body = cipher.update(part);
      out.set(body, end);
      end += body.length;
    }
    const rest = cipher.final();
    out.set(rest, end);
    end += rest.length;
    out.set(cipher.getAuthTag(), end);
    return end + TAG_BYTES;
  }

  seal(plain: Uint8Array, associated: Uint8Array): Uint8Array {
    const out = new Uint8Array(plain.length + SEAL_OVERHEAD_BYTES);
    this.sealInto([plain], associated, out, 0);
    return out;
  }

  /** The plaintext, or null if the item was altered (or sealed with another key). */
  open(sealed: Uint8Array, associated: Uint8Array): Uint8Array | null {
    if (sealed.length < SEAL_OVERHEAD_BYTES) return null;
    const tagStart = sealed.length - TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, NONCE_BYTES));
    decipher.setAAD(associated);
    decipher.setAuthTag(sealed.subarray(tagStart));
    try {
      const body = decipher.update(sealed.subarray(NONCE_BYTES, tagStart));
      const rest = decipher.final();
      const plain = rest.length === 0 ? body : Buffer.concat([body, rest]);
      // A plain Uint8Array view: callers compare and slice it as one, not as a Buffer.
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
    } catch {
      return null;
    }
  }

  /** The key file contents holding this data key wrapped by `kek`. */
  keyFileBytes(kek: Uint8Array): Uint8Array {
    checkKey(kek, 'key-encryption key');
    const header = keyFileHeader(MODE_WRAPPED);
    const wrapped = new DataCipher(kek).seal(this.#key, header);
    return withChecksum(concat(header, wrapped));
  }
}

/** A cipher with a fresh random data key for a new store, or null in plaintext mode. */
export function newDataCipher(kek: Uint8Array | null): DataCipher | null {
  if (kek === null) return null;
  checkKey(kek, 'key-encryption key');
  return new DataCipher(randomBytes(KEY_BYTES));
}

/** Writes the key file of a new store: `cipher`'s key wrapped by `kek`, or the plaintext mark. */
export function writeKeyFile(
  fs: FileSystem,
  directory: string,
  cipher: DataCipher | null,
  kek: Uint8Array | null,
): void {
  const bytes =
    cipher === null || kek === null
      ? withChecksum(keyFileHeader(MODE_PLAINTEXT))
      : cipher.keyFileBytes(kek);
  writeFileAtomically(fs, directory, KEY_FILE, bytes);
}

/** Reads the key file and unwraps the data key with `kek` (null in plaintext mode). */
export function readKeyFile(
  fs: FileSystem,
  directory: string,
  kek: Uint8Array | null,
): DataCipher | null {
  const path = posix.join(directory, KEY_FILE);
  const bytes = fs.readFile(path);
  const bodyLength = bytes.length - CHECKSUM_BYTES;
  if (bodyLength < KEY_FILE_HEADER_BYTES) {
    throw new StorageCorruptionError(path, 0, 'key file too short');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(bodyLength, true) !== crc32c(bytes.subarray(0, bodyLength))) {
    throw new StorageCorruptionError(path, 0, 'key file checksum mismatch');
  }
  const header = bytes.subarray(0, KEY_FILE_HEADER_BYTES);
  if (!equalBytes(header.subarray(0, KEY_FILE_MAGIC.length), KEY_FILE_MAGIC)) {
    throw new StorageCorruptionError(path, 0, 'not a key file');
  }
  const version = header[KEY_FILE_MAGIC.length];
  if (version !== KEY_FILE_VERSION) {
    throw new StorageCorruptionError(path, KEY_FILE_MAGIC.length, `unknown version ${version}`);
  }
  const mode = header[KEY_FILE_MAGIC.length + 1];
  if (mode === MODE_PLAINTEXT) {
    if (kek !== null) {
      throw new StorageLockedError('the store is not encrypted: open it with kek null');
    }
    return null;
  }
  if (mode !== MODE_WRAPPED) {
    throw new StorageCorruptionError(path, KEY_FILE_MAGIC.length + 1, `unknown mode ${mode}`);
  }
  if (kek === null) {
    throw new StorageLockedError('the store is encrypted: a key-encryption key is required');
  }
  checkKey(kek, 'key-encryption key');
  const dataKey = new DataCipher(kek).open(
    bytes.subarray(KEY_FILE_HEADER_BYTES, bodyLength),
    header,
  );
  // The checksum matched, so the file is intact: a failed tag can only mean another KEK.
  if (dataKey === null) throw new StorageLockedError('wrong key-encryption key');
  return new DataCipher(dataKey);
}

/** Rewraps the data key with `newKek`, atomically: after a crash one of the two KEKs opens it. */
export function rewrapKeyFile(
  fs: FileSystem,
  directory: string,
  cipher: DataCipher,
  newKek: Uint8Array,
): void {
  writeFileAtomically(fs, directory, KEY_FILE, cipher.keyFileBytes(newKek));
}

function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new TypeError(`${what} must be ${KEY_BYTES} bytes`);
  }
}

function keyFileHeader(mode: number): Uint8Array {
  const header = new Uint8Array(KEY_FILE_HEADER_BYTES);
  header.set(KEY_FILE_MAGIC);
  header[KEY_FILE_MAGIC.length] = KEY_FILE_VERSION;
  header[KEY_FILE_MAGIC.length + 1] = mode;
  return header;
}

function withChecksum(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + CHECKSUM_BYTES);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32c(body), true);
  return out;
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const out = new Uint8Array(first.length + second.length);
  out.set(first);
  out.set(second, first.length);
  return out;
}

function equalBytes(first: Uint8Array, second: Uint8Array): boolean {
  if (first.length !== second.length) return false;
  for (let i = 0; i < first.length; i++) if (first[i] !== second[i]) return false;
  return true;
}
