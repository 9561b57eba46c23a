// An in-memory FileSystem that models durability, for the simulator and tests.
//
// What is modelled (the strict POSIX reading, stricter than most real file systems):
// - A file (inode) holds its bytes and how many of them are durable. Files are only appended
//   to, so the durable bytes are always a prefix; fsync makes every written byte durable.
//   truncate() is durable at once (as NodeFileSystem's truncate fsyncs).
// - Each directory has current entries and durable entries. create, rename and unlink change
//   the current entries only; fsyncDir copies them to the durable ones. A file whose creation
//   was not made durable by fsyncDir vanishes on a crash, even if its contents were fsynced.
// - Directories themselves are durable as soon as mkdirp returns.
// - crash(random): power loss. Directory entries revert to their durable state and every file
//   keeps its durable bytes plus a random-length prefix of the bytes written after them (a torn
//   write; never reordered bytes or bit flips). Open handles become invalid.
// - corrupt(path, offset) flips one byte, for tests of media corruption.
// - failNext(operation) makes a later such call throw an I/O error. A failed write writes
//   nothing; a failed fsync leaves the data unsynced (a later crash may lose it).
import { posix } from 'node:path';
import type { FileHandle, FileSystem } from './fs.ts';

export type FaultyOperation = 'write' | 'fsync' | 'fsyncDir' | 'rename' | 'unlink' | 'truncate';

interface Inode {
  bytes: Uint8Array;
  length: number;
  durableLength: number;
}

interface Directory {
  current: Map<string, Inode>;
  durable: Map<string, Inode>;
}

export interface MemFileSystemStats {
  writes: number;
  fsyncs: number;
  dirFsyncs: number;
}

export class MemFileSystem implements FileSystem {
  /** Counts of calls, so tests can check e.g. one fsync per save (group commit). */
  readonly stats: MemFileSystemStats = { writes: 0, fsyncs: 0, dirFsyncs: 0 };
  private readonly directories = new Map<string, Directory>([['/', emptyDirectory()]]);
  private readonly handles = new Map<FileHandle, Inode>();
  private nextHandle = 1;
  /** Injected failures: operation → successful calls still allowed before it fails. */
  private readonly failures = new Map<FaultyOperation, number>();

  mkdirp(path: string): void {
    for (let current = normalize(path); !this.directories.has(current); ) {
      this.directories.set(current, emptyDirectory());
      current = posix.dirname(current);
    }
  }

  readdir(path: string): string[] {
    const normalized = normalize(path);
    const names = [...this.directory(normalized).current.keys()];
    for (const other of this.directories.keys()) {
      if (other !== normalized && posix.dirname(other) === normalized) {
        names.push(posix.basename(other));
      }
    }
    return names.sort();
  }

  exists(path: string): boolean {
    const normalized = normalize(path);
    if (this.directories.has(normalized)) return true;
    const parent = this.directories.get(posix.dirname(normalized));
    return parent?.current.has(posix.basename(normalized)) ?? false;
  }

  readFile(path: string): Uint8Array {
    const inode = this.inode(path);
    return inode.bytes.slice(0, inode.length);
  }

  size(path: string): number {
    return this.inode(path).length;
  }

  openAppend(path: string): FileHandle {
    const { directory, name } = this.entry(path);
    let inode = directory.current.get(name);
    if (inode === undefined) {
      inode = emptyInode();
      directory.current.set(name, inode);
    }
    return this.openHandle(inode);
  }

  create(path: string): FileHandle {
    const { directory, name } = this.entry(path);
    if (directory.current.has(name)) throw ioError('EEXIST', `file exists: ${path}`);
    const inode = emptyInode();
    directory.current.set(name, inode);
    return this.openHandle(inode);
  }

  write(handle: FileHandle, bytes: Uint8Array): void {
    const inode = this.handle(handle);
    this.maybeFail('write');
    this.stats.writes++;
    const needed = inode.length + bytes.length;
    if (needed > inode.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, inode.bytes.length * 2, 4096));
      grown.set(inode.bytes.subarray(0, inode.length));
      inode.bytes = grown;
    }
    inode.bytes.set(bytes, inode.length);
    inode.length = needed;
  }

  fsync(handle: FileHandle): void {
    const inode = this.handle(handle);
    this.maybeFail('fsync');
    this.stats.fsyncs++;
    inode.durableLength = inode.length;
  }

  fsyncAsync(handle: FileHandle): Promise<void> {
    try {
      this.fsync(handle);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(handle: FileHandle): void {
    this.handle(handle);
    this.handles.delete(handle);
  }

  rename(from: string, to: string): void {
    const source = this.entry(from);
    const inode = source.directory.current.get(source.name);
    if (inode === undefined) throw ioError('ENOENT', `no such file: ${from}`);
    const target = this.entry(to);
    this.maybeFail('rename');
    source.directory.current.delete(source.name);
    target.directory.current.set(target.name, inode);
  }

  unlink(path: string): void {
    const { directory, name } = this.entry(path);
    if (!directory.current.has(name)) throw ioError('ENOENT', `no such file: ${path}`);
    this.maybeFail('unlink');
    directory.current.delete(name);
  }

  truncate(path: string, length: number): void {
    const inode = this.inode(path);
    this.maybeFail('truncate');
    if (length < inode.length) inode.length = length;
    inode.durableLength = inode.length;
  }

  fsyncDir(path: string): void {
    const directory = this.directory(normalize(path));
    this.maybeFail('fsyncDir');
    this.stats.dirFsyncs++;
    directory.durable = new Map(directory.current);
  }

  /**
   * Power loss: directories revert to their durable entries, and each file keeps its durable
   * bytes plus a prefix of its unsynced bytes whose length is drawn from `random` ([0, 1)).
   * Deterministic for a given `random`: files are visited in sorted path order.
   */
  crash(random: () => number): void {
    this.handles.clear();
    const visited = new Set<Inode>();
    for (const path of [...this.directories.keys()].sort()) {
      const directory = this.directories.get(path)!;
      directory.current = new Map(directory.durable);
      for (const name of [...directory.durable.keys()].sort()) {
        const inode = directory.durable.get(name)!;
        if (visited.has(inode)) continue;
        visited.add(inode);
        const unsyncedBytes = inode.length - inode.durableLength;
        const keptBytes = Math.min(unsyncedBytes, Math.floor(random() * (unsyncedBytes + 1)));
        inode.length = inode.durableLength + keptBytes;
        inode.durableLength = inode.length;
      }
    }
  }

  /** Flips every bit of the byte at `offset` (durable or not). */
  corrupt(path: string, offset: number): void {
    const inode = this.inode(path);
    if (offset < 0 || offset >= inode.length) {
      throw new RangeError(`offset ${offset} outside ${path} (${inode.length} bytes)`);
    }
    inode.bytes[offset]! ^= 0xff;
  }

  /** After `skipped` more successful calls of `operation`, the next one throws an I/O error. */
  failNext(operation: FaultyOperation, skipped = 0): void {
    this.failures.set(operation, skipped);
  }

  failNextFsync(): void {
    this.failNext('fsync');
  }

  /** Forgets injected failures that have not fired. */
  clearFailures(): void {
    this.failures.clear();
  }

  private maybeFail(operation: FaultyOperation): void {
    const skipped = this.failures.get(operation);
    if (skipped === undefined) return;
    if (skipped > 0) {
      this.failures.set(operation, skipped - 1);
      return;
    }
    this.failures.delete(operation);
    throw ioError('EIO', `injected I/O error in ${operation}`);
  }

  private openHandle(inode: Inode): FileHandle {
    const handle = this.nextHandle++;
    this.handles.set(handle, inode);
    return handle;
  }

  private handle(handle: FileHandle): Inode {
    const inode = this.handles.get(handle);
    if (inode === undefined) throw ioError('EBADF', `bad file handle ${handle}`);
    return inode;
  }

  private directory(path: string): Directory {
    const directory = this.directories.get(path);
    if (directory === undefined) throw ioError('ENOENT', `no such directory: ${path}`);
    return directory;
  }

  private entry(path: string): { directory: Directory; name: string } {
    const normalized = normalize(path);
    const name = posix.basename(normalized);
    if (this.directories.has(normalized)) throw ioError('EISDIR', `is a directory: ${path}`);
    return { directory: this.directory(posix.dirname(normalized)), name };
  }

  private inode(path: string): Inode {
    const { directory, name } = this.entry(path);
    const inode = directory.current.get(name);
    if (inode === undefined) throw ioError('ENOENT', `no such file: ${path}`);
    return inode;
  }
}

function emptyDirectory(): Directory {
  return { current: new Map(), durable: new Map() };
}

function emptyInode(): Inode {
  return { bytes: new Uint8Array(0), length: 0, durableLength: 0 };
}

function normalize(path: string): string {
  return posix.resolve('/', path);
}

function ioError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
