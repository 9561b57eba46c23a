// Where a node keeps its tasks' secret and config files: a memory-backed directory (tmpfs or
// ramfs), never the node's disk or SD card. The first of these that is memory-backed is used:
//   /run/shoal/task-files          where /run is a tmpfs (most systemd distributions)
//   /dev/shm/shoal-task-files      the kernel's shared-memory tmpfs
// and when neither is, an agent running as root mounts a small tmpfs on the first one. Each node
// has its own subdirectory (several daemons may share a machine in tests). The directory is
// chosen when a task first needs files, so nodes without secrets never mount anything.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
export const RUN_FILES_DIR = '/run/shoal/task-files';
export const SHM_FILES_DIR = '/dev/shm/shoal-task-files';
/** Size of the tmpfs mounted when no memory-backed directory exists. */
const MOUNT_SIZE = '64m';
const MOUNT_TIMEOUT_MS = 10_000;

/** The file system type of `path`, or of its nearest existing ancestor. */
function fileSystemType(path: string): number | undefined {
  let current = path;
  for (let depth = 0; depth < 64; depth++) {
    if (existsSync(current)) {
      try {
        return Number(statfsSync(current).type);
      } catch {
        return undefined;
      }
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
  return undefined;
}

export function isMemoryBacked(path: string): boolean {
  const type = fileSystemType(path);
  return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
}

export interface MemoryDirOptions {
  /** Candidates in order (default /run/shoal/task-files, /dev/shm/shoal-task-files). */
  candidates?: readonly string[];
  /** May a tmpfs be mounted on the first candidate (default: when running as root). */
  mayMount?: boolean;
  log?: (line: string) => void;
}

/**
 * The memory-backed root to keep task files under, created (mode 0711: tasks running as other
 * users must traverse it). Throws an Error saying what was tried when there is none.
 */
export function memoryBackedRoot(options: MemoryDirOptions = {}): string {
  const candidates = options.candidates ?? [RUN_FILES_DIR, SHM_FILES_DIR];
  for (const candidate of candidates) {
    if (!isMemoryBacked(candidate)) continue;
    mkdirSync(candidate, { recursive: true, mode: 0o711 });
    chmodSync(candidate, 0o711);
    return candidate;
  }
  const first = candidates[0];
  const mayMount = options.mayMount ?? process.getuid?.() === 0;
  if (first === undefined || !mayMount) {
    throw new Error(
      `no memory-backed directory for secrets and configs: none of ${candidates.join(', ')} is on a tmpfs (run the daemon as root to mount one)`,
    );
  }
  try {
    mkdirSync(first, { recursive: true, mode: 0o711 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_SIZE},mode=0711`, 'tmpfs', first], {
      stdio: 'pipe',
      timeout: MOUNT_TIMEOUT_MS,
    });
  } catch (error) {
    const detail =
      (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new Error(
      `no memory-backed directory for secrets and configs: mounting a tmpfs on ${first} failed: ${detail}`,
    );
  }
  if (!isMemoryBacked(first)) {
    throw new Error(
      `no memory-backed directory for secrets and configs: ${first} is not a tmpfs after mounting one`,
    );
  }
  options.log?.(`agent: mounted a ${MOUNT_SIZE} tmpfs on ${first} for secrets and configs`);
  return first;
}

/** The root an earlier run chose, when it exists: the first memory-backed candidate. */
export function existingMemoryRoot(
  candidates: readonly string[] = [RUN_FILES_DIR, SHM_FILES_DIR],
): string | undefined {
  return candidates.find((candidate) => existsSync(candidate) && isMemoryBacked(candidate));
}

/** The node's own directory under the root. */
export function nodeFilesDir(root: string, nodeId: string): string {
  return join(root, nodeId);
}
