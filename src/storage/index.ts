// The durable side of Raft: see raft-storage.ts for the facade and its guarantees.
export { crc32c } from './crc32c.ts';
export { KEY_BYTES } from './encryption.ts';
export {
  StorageCorruptionError,
  StorageFailedError,
  StorageInvariantError,
  StorageLockedError,
} from './errors.ts';
export { type FileHandle, type FileSystem, NodeFileSystem } from './fs.ts';
export { type FaultyOperation, MemFileSystem, type MemFileSystemStats } from './memfs.ts';
export { type LoadedState, RaftStorage, type RaftStorageOptions } from './raft-storage.ts';
export { DEFAULT_SEGMENT_BYTES } from './wal.ts';
