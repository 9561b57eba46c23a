// Replacing a whole file so that after a crash either the old or the new contents exist, never
// a mix: write a temporary file, fsync it, rename it over the target, fsync the directory.
import { posix } from 'node:path';
import type { FileSystem } from './fs.ts';

export const TEMPORARY_SUFFIX = '.tmp';

export function writeFileAtomically(
  fs: FileSystem,
  directory: string,
  name: string,
  bytes: Uint8Array,
): void {
  const target = posix.join(directory, name);
  const temporary = target + TEMPORARY_SUFFIX;
  // A leftover from a crash mid-write would make create() fail; it holds nothing of value.
  if (fs.exists(temporary)) fs.unlink(temporary);
  const handle = fs.create(temporary);
  try {
    fs.write(handle, bytes);
    fs.fsync(handle);
  } finally {
    fs.close(handle);
  }
  fs.rename(temporary, target);
  fs.fsyncDir(directory);
}
