// A Docker Engine inside a test host's network namespace (src/testkit/netns.ts), for tests of
// containers on several hosts. Started with nsenter --net only: `ip netns exec` would remount
// /sys and hide the cgroups dockerd needs. Its data and exec roots live under a short temp
// path (unix socket paths are limited), removed by stop().
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { probeDocker } from '../runtime/docker-driver.ts';
import { killHard, spawnLogged, tail, waitFor } from './processes.ts';

const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];

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
