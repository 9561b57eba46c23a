// The file system the storage layer writes through. It is synchronous so the deterministic
// simulator can drive storage step by step, and injected so tests can model power loss
// (see memfs.ts). The surface is deliberately small: files are only ever appended to or
// truncated, never written at random offsets, which keeps the durability model simple.
import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** An open file, writable at its end only. */
export type FileHandle = number;

export interface FileSystem {
  /** Creates the directory and its missing parents; the new directories are durable on return. */
  mkdirp(path: string): void;
  /** Names (not paths) in a directory, in no particular order. */
  readdir(path: string): string[];
  exists(path: string): boolean;
  readFile(path: string): Uint8Array;
  /** Size in bytes of a file. */
  size(path: string): number;
  /** Opens a file for appending, creating it empty if missing. */
  openAppend(path: string): FileHandle;
  /** Creates a new empty file for appending; fails if it already exists. */
  create(path: string): FileHandle;
  /** Appends all of `bytes` at the end of the file. */
  write(handle: FileHandle, bytes: Uint8Array): void;
  /** Makes the file's contents durable. A failure is fatal: the contents are then unknown. */
  fsync(handle: FileHandle): void;
  /**
   * The same flush without blocking the caller (the real file system runs it on libuv's
   * thread pool, so the process keeps sending and receiving while the disk works).
   */
  fsyncAsync(handle: FileHandle): Promise<void>;
  close(handle: FileHandle): void;
  /** Replaces `to` atomically; durable only after fsyncDir of the parent. */
  rename(from: string, to: string): void;
  /** Removes a name; durable only after fsyncDir of the parent. */
  unlink(path: string): void;
  /** Cuts a file to `length` bytes and makes that durable before returning. */
  truncate(path: string, length: number): void;
  /** Makes the directory's entries (creates, renames, unlinks) durable. */
  fsyncDir(path: string): void;
}

/** The real file system through node:fs *Sync calls. */
export class NodeFileSystem implements FileSystem {
  mkdirp(path: string): void {
    // Create one level at a time so each new directory's entry can be made durable in its parent.
    const missing: string[] = [];
    for (let current = path; !existsSync(current); current = dirname(current)) {
      missing.push(current);
      if (dirname(current) === current) break;
    }
    for (const directory of missing.reverse()) {
      mkdirSync(directory);
      this.fsyncDir(dirname(directory));
    }
  }

  readdir(path: string): string[] {
    return readdirSync(path);
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  readFile(path: string): Uint8Array {
    // A plain Uint8Array view, so callers get Uint8Array semantics (slice copies) not Buffer's.
    const bytes = readFileSync(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  size(path: string): number {
    return statSync(path).size;
  }

  openAppend(path: string): FileHandle {
    return openSync(path, 'a');
  }

  create(path: string): FileHandle {
    return openSync(path, 'wx');
  }

  write(handle: FileHandle, bytes: Uint8Array): void {
    // writeSync may write less than asked (e.g. on a signal): loop until everything is out.
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(handle, bytes, written, bytes.length - written);
    }
  }

  fsync(handle: FileHandle): void {
    fsyncSync(handle);
  }

  fsyncAsync(handle: FileHandle): Promise<void> {
    return new Promise((resolve, reject) => {
      fsync(handle, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(handle: FileHandle): void {
    closeSync(handle);
  }

  rename(from: string, to: string): void {
    renameSync(from, to);
  }

  unlink(path: string): void {
    unlinkSync(path);
  }

  truncate(path: string, length: number): void {
    const handle = openSync(path, 'r+');
    try {
      // ftruncate through the handle, then fsync it so the shorter length is durable.
      ftruncateSync(handle, length);
      fsyncSync(handle);
    } finally {
      closeSync(handle);
    }
  }

  fsyncDir(path: string): void {
    const handle = openSync(path, 'r');
    try {
      fsyncSync(handle);
    } finally {
      closeSync(handle);
    }
  }
}
