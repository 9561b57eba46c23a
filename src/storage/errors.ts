// The ways storage refuses to go on. None of them is retried inside storage: each means a
// human (or a restart from a peer's snapshot) must decide what happens next.

/** Bytes on disk are not what was written: a bad checksum, an impossible record, a missing file. */
export class StorageCorruptionError extends Error {
  override name = 'StorageCorruptionError';
  readonly file: string;
  /** Byte offset in `file` of the first bad byte or record (0 when the whole file is bad). */
  readonly offset: number;

  constructor(file: string, offset: number, reason: string) {
    super(`${file} at byte ${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
  }
}

/** The data is encrypted and the key-encryption key given is missing or wrong. */
export class StorageLockedError extends Error {
  override name = 'StorageLockedError';
}

/**
 * An earlier I/O error (e.g. a failed fsync) left the on-disk state unknown. The storage object
 * refuses every later call; the process must reopen it (normally: restart) to recover.
 */
export class StorageFailedError extends Error {
  override name = 'StorageFailedError';
}

/** The caller asked for something Raft never does (e.g. overwrite a committed entry). */
export class StorageInvariantError extends Error {
  override name = 'StorageInvariantError';
}
