// A Docker Engine and a busybox image for tests, on a machine that reaches no registry.
//
// ensureDockerEngine(): uses the engine on /var/run/docker.sock when one answers; otherwise, as
// root with Debian's docker.io installed, starts `dockerd` in the background (its output in
// <tmpdir>/shoal-test-dockerd.log) and waits for it. That engine is left running on purpose:
// it is one shared engine for every test file of the run (node --test runs files in parallel
// processes, which all find it), later runs reuse it instead of paying its start-up again, and
// it is the same daemon a system-installed docker.io would run on the same socket. Tests never
// stop an engine (neither one they found nor one they started); they remove only the
// containers they made. Concurrent callers agree through a lock directory, so one dockerd
// starts.
//
// ensureBusyboxImage(): imports `shoal-test/busybox:latest` (Debian's busybox-static as
// /bin/busybox, every applet linked next to it, /tmp and a minimal /etc/passwd and /etc/group)
// unless it exists. Nothing is pulled.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { DEFAULT_DOCKER_SOCKET, probeDocker } from '../runtime/docker-driver.ts';
import { tail } from './processes.ts';

export const TEST_BUSYBOX_IMAGE = 'shoal-test/busybox:latest';

export interface DockerEngine {
  socketPath: string;
  version: string;
  /** True when this call started dockerd (it is left running either way). */
  started: boolean;
}

export interface EngineUnavailable {
  /** Why no engine can run here, for a test's skip message. */
  unavailable: string;
}

const DOCKERD_CANDIDATES = ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'];
const START_TIMEOUT_MS = 60_000;
const LOCK_DIR = join(tmpdir(), 'shoal-test-dockerd.lock');
const LOG_FILE = join(tmpdir(), 'shoal-test-dockerd.log');

/** The engine on the default socket, started if needed; or why there can be none. */
export async function ensureDockerEngine(): Promise<DockerEngine | EngineUnavailable> {
  const socketPath = DEFAULT_DOCKER_SOCKET;
  const found = await probeDocker(socketPath);
  if (found !== null) return { socketPath, version: found.version, started: false };
  const dockerd = DOCKERD_CANDIDATES.find((path) => existsSync(path));
  if (dockerd === undefined) {
    return { unavailable: 'no Docker Engine on /var/run/docker.sock and no dockerd installed' };
  }
  if (process.getuid?.() !== 0) {
    return { unavailable: 'no Docker Engine on /var/run/docker.sock and not root to start one' };
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  const started = takeLock();
  if (started) {
    try {
      const log = openSync(LOG_FILE, 'a');
      try {
        // Its own session: the engine outlives this process and its process group.
        const child = spawn(dockerd, ['--host', `unix://${socketPath}`], {
          detached: true,
          stdio: ['ignore', log, log],
        });
        child.once('error', () => {});
        child.unref();
      } finally {
        closeSync(log);
      }
    } catch (error) {
      releaseLock();
      return { unavailable: `could not start ${dockerd}: ${(error as Error).message}` };
    }
  }
  try {
    for (;;) {
      const answer = await probeDocker(socketPath, 1000);
      if (answer !== null) return { socketPath, version: answer.version, started };
      if (Date.now() >= deadline) {
        return {
          unavailable:
            `dockerd did not answer on ${socketPath} within ${START_TIMEOUT_MS} ms; ` +
            `last lines of ${LOG_FILE}:\n${tail(LOG_FILE)}`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    if (started) releaseLock();
  }
}

/** Takes the start lock; a lock older than the start timeout is stale (its holder died). */
function takeLock(): boolean {
  try {
    mkdirSync(LOCK_DIR);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(LOCK_DIR).mtimeMs > START_TIMEOUT_MS) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        mkdirSync(LOCK_DIR);
        return true;
      }
    } catch {
      // Someone else took or removed it meanwhile: wait for their engine.
    }
    return false;
  }
}

function releaseLock(): void {
  rmSync(LOCK_DIR, { recursive: true, force: true });
}

/** A client for `engine`. */
export function dockerClient(engine: DockerEngine): Dockerode {
  return new Dockerode({ socketPath: engine.socketPath });
}

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** Imports shoal-test/busybox:latest from the host's static busybox unless present. */
export async function ensureBusyboxImage(docker: Dockerode): Promise<string> {
  try {
    await docker.getImage(TEST_BUSYBOX_IMAGE).inspect();
    return TEST_BUSYBOX_IMAGE;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const busybox = BUSYBOX_CANDIDATES.find((path) => existsSync(path));
  if (busybox === undefined) {
    throw new Error('no /bin/busybox: install Debian busybox-static (setup.mjs --apt)');
  }
  if (isDynamicallyLinked(busybox)) {
    throw new Error(`${busybox} is dynamically linked: install Debian busybox-static`);
  }
  const root = mkdtempSync(join(tmpdir(), 'shoal-busybox-'));
  try {
    const tarFile = join(root, 'rootfs.tar');
    const rootfs = join(root, 'rootfs');
    buildRootfs(busybox, rootfs);
    execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarFile, '.']);
    const [repo, tag] = TEST_BUSYBOX_IMAGE.split(':') as [string, string];
    const stream = (await docker.importImage(tarFile, { repo, tag })) as IncomingMessage;
    let output = '';
    for await (const chunk of stream) output = (output + String(chunk)).slice(-4096);
    if (output.includes('"error"')) throw new Error(`docker import failed: ${output}`);
    await docker.getImage(TEST_BUSYBOX_IMAGE).inspect();
    return TEST_BUSYBOX_IMAGE;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function buildRootfs(busybox: string, rootfs: string): void {
  const bin = join(rootfs, 'bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(busybox, join(bin, 'busybox'));
  chmodSync(join(bin, 'busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => /^[\w.[\]-]+$/.test(name) && name !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(bin, applet));
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  mkdirSync(join(rootfs, 'etc'));
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  mkdirSync(join(rootfs, 'root'), { mode: 0o700 });
}

/** Whether an ELF file names a program interpreter (ld.so), i.e. is not static. */
function isDynamicallyLinked(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const read = readSync(fd, head, 0, head.length, 0);
    const text = head.subarray(0, read).toString('latin1');
    return text.includes('/ld-linux') || text.includes('/ld-musl');
  } finally {
    closeSync(fd);
  }
}
