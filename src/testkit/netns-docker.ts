// A Docker Engine inside a test host's network namespace (src/testkit/netns.ts), for tests of
// containers on several hosts. Started with nsenter --net only: `ip netns exec` would remount
// /sys and hide the cgroups dockerd needs. Its data and exec roots live under a short temp
// path (unix socket paths are limited), removed by stop(). buildImage() builds a local image
// from a Dockerfile and a few files (no registry is reachable), on any engine.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Dockerode from 'dockerode';
import { probeDocker } from '../runtime/docker-driver.ts';
import { killHard, spawnLogged, tail, waitFor } from './processes.ts';

const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];
const CONTAINERS_REMOVED_MAX = 256;
/** ustar stores a name of up to 100 bytes in its header; longer names are not needed here. */
const TAR_NAME_BYTES_MAX = 100;
const TAR_BLOCK_BYTES = 512;

export class NamespacedDocker {
  readonly socketPath: string;
  readonly docker: Dockerode;
  private child: ChildProcess | null = null;
  private readonly dir: string;

  constructor(private readonly namespace: string) {
    this.dir = mkdtempSync('/tmp/shk-');
    this.socketPath = join(this.dir, 'd.sock');
    this.docker = new Dockerode({ socketPath: this.socketPath });
  }

  get log(): string {
    return join(this.dir, 'dockerd.log');
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const dockerd = DOCKERD.find((path) => existsSync(path));
    if (dockerd === undefined) throw new Error('no dockerd installed');
    this.child = spawnLogged(
      'nsenter',
      [
        `--net=/var/run/netns/${this.namespace}`,
        dockerd,
        '--data-root',
        join(this.dir, 'data'),
        '--exec-root',
        join(this.dir, 'exec'),
        '--pidfile',
        join(this.dir, 'pid'),
        '-H',
        `unix://${this.socketPath}`,
      ],
      this.log,
    );
    await waitFor(`dockerd in ${this.namespace}`, timeoutMs, async () =>
      (await probeDocker(this.socketPath, 1000)) === null ? undefined : true,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; log tail:\n${tail(this.log)}`);
    });
  }

  /** Stops the engine and its containers, and removes its directories. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child !== null) {
      // Containers first, at once: dockerd would otherwise wait out each one's stop timeout
      // while shutting down, and one killed past its deadline leaves containerd's shims behind.
      await removeAllContainers(this.docker).catch(() => {});
      child.kill('SIGTERM');
      await waitFor('dockerd to stop', 20_000, async () =>
        child.exitCode !== null || child.signalCode !== null ? true : undefined,
      ).catch(() => killHard(child));
    }
    // Mounts dockerd may have left under its roots.
    try {
      const mounts = execFileSync('awk', ['{print $2}', '/proc/mounts'], { encoding: 'utf8' });
      for (const mount of mounts
        .split('\n')
        .filter((m) => m.startsWith(this.dir))
        .reverse()) {
        execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      }
    } catch {
      // Nothing mounted.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Force-removes every container of the engine (bounded: one engine of a test holds few). */
async function removeAllContainers(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true });
  await Promise.all(
    containers
      .slice(0, CONTAINERS_REMOVED_MAX)
      .map((container) => docker.getContainer(container.Id).remove({ force: true, v: true })),
  );
}

export interface ContextFile {
  content: string | Buffer;
  /** Permission bits (default 0644); scripts a container runs need 0755. */
  mode?: number;
}

/** One ustar header block for a regular file. */
function tarHeader(name: string, size: number, mode: number): Buffer {
  if (Buffer.byteLength(name) > TAR_NAME_BYTES_MAX) {
    throw new Error(`build context file name ${name} is longer than ${TAR_NAME_BYTES_MAX} bytes`);
  }
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  const header = Buffer.alloc(TAR_BLOCK_BYTES);
  header.write(name, 0);
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108); // uid
  header.write(octal(0, 8), 116); // gid
  header.write(octal(size, 12), 124);
  header.write(octal(0, 12), 136); // mtime
  header.write(' '.repeat(8), 148); // checksum field counts as spaces while summing
  header.write('0', 156); // regular file
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** A tar archive of regular files (name -> content), as the engine's build API takes it. */
export function tarArchive(files: Record<string, ContextFile>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, file] of Object.entries(files)) {
    const body = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content);
    parts.push(tarHeader(name, body.length, file.mode ?? 0o644));
    const padded = Buffer.alloc(Math.ceil(body.length / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES);
    body.copy(padded);
    parts.push(padded);
  }
  parts.push(Buffer.alloc(2 * TAR_BLOCK_BYTES)); // end of archive
  return Buffer.concat(parts);
}

/**
 * Builds `tag` from `dockerfile` and the files beside it (Dockerfile's COPY sources); the base
 * image must be on the engine already (e.g. ensureBusyboxImage). Throws with the engine's
 * build error when a step fails.
 */
export async function buildImage(
  docker: Dockerode,
  tag: string,
  dockerfile: string,
  files: Record<string, ContextFile> = {},
): Promise<void> {
  const context = tarArchive({ ...files, Dockerfile: { content: dockerfile } });
  const stream = await docker.buildImage(Readable.from([context]), { t: tag });
  const output = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, result: { error?: string }[]) =>
      error ? reject(error) : resolve(result),
    ),
  );
  const failed = output.find((message) => message.error !== undefined);
  if (failed !== undefined) throw new Error(`building ${tag}: ${failed.error}`);
}
