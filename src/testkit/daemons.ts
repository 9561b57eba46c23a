// Shoal daemons as real processes on loopback addresses (127.0.0.x), each with its own data
// dir and API socket, and the `shoal` CLI run against any of them — for tests and the demo.

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  hasExited,
  killHard,
  makeTempDir,
  removeTempDirs,
  spawnLogged,
  tail,
  waitFor,
} from './processes.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DaemonProcess {
  name: string;
  /** Loopback address of this node, e.g. 127.0.0.3. */
  ip: string;
  /** host:port of its cluster port. */
  clusterAddr: string;
  dataDir: string;
  socket: string;
  log: string;
  child: ChildProcess | null;
  /** A command prefix the daemon runs under (e.g. nsenter into its network namespace). */
  enter: string[];
}

export class DaemonProcesses {
  readonly daemons: DaemonProcess[] = [];
  /** Extra `shoal daemon` flags for every daemon started from now on (e.g. --docker none). */
  daemonArgs: string[] = [];

  constructor(
    private readonly root: string,
    /** The command that starts `shoal`: e.g. [process.execPath, 'dist/shoal.mjs']. */
    private readonly shoal: string[],
  ) {}

  /**
   * Adds and starts a daemon named node-<n> with cluster port `port`, on 127.0.0.<n> or on the
   * address of a test host (src/testkit/netns.ts) it runs inside.
   */
  async add(
    index: number,
    port: number,
    host?: { ip: string; enter: string[] },
  ): Promise<DaemonProcess> {
    const name = `node-${index}`;
    const ip = host?.ip ?? `127.0.0.${index}`;
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const daemon: DaemonProcess = {
      name,
      ip,
      clusterAddr: `${ip}:${port}`,
      dataDir: join(dir, 'data'),
      socket: join(dir, 'shoal.sock'),
      log: join(dir, 'daemon.log'),
      child: null,
      enter: host?.enter ?? [],
    };
    this.daemons.push(daemon);
    await this.start(daemon);
    return daemon;
  }

  async start(daemon: DaemonProcess): Promise<void> {
    const [command, ...prefix] = [...daemon.enter, ...this.shoal];
    daemon.child = spawnLogged(
      command!,
      [
        ...prefix,
        'daemon',
        '--data-dir',
        daemon.dataDir,
        '-H',
        `unix://${daemon.socket}`,
        '--hostname',
        daemon.name,
        // Daemons sharing the machine's network publish on their own loopback address.
        ...(daemon.enter.length === 0 ? ['--ingress-addr', daemon.ip] : []),
        ...this.daemonArgs,
      ],
      daemon.log,
    );
    await waitFor(`${daemon.name}'s API socket`, 15_000, async () => {
      if (daemon.child && hasExited(daemon.child)) {
        throw new Error(`${daemon.name} exited; log tail:\n${tail(daemon.log)}`);
      }
      if (!existsSync(daemon.socket)) return undefined;
      return (await this.cli(daemon, ['info', '-f', '{{.Swarm.LocalNodeState}}'])).code === 0
        ? true
        : undefined;
    });
  }

  /** SIGKILL: the daemon gets no chance to clean up, as in a power cut. */
  async kill(daemon: DaemonProcess): Promise<void> {
    const child = daemon.child;
    daemon.child = null;
    if (child) await killHard(child);
  }

  /** Runs `shoal -H <daemon> args...` and collects what it printed. */
  cli(daemon: DaemonProcess, args: string[], input?: string): Promise<CliResult> {
    const [command, ...prefix] = this.shoal;
    return new Promise((resolve, reject) => {
      const child = spawn(command!, [...prefix, '-H', `unix://${daemon.socket}`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(input ?? '');
    });
  }

  /** Runs a CLI command that must succeed; returns its standard output. */
  async ok(daemon: DaemonProcess, args: string[]): Promise<string> {
    const result = await this.cli(daemon, args);
    if (result.code !== 0) {
      throw new Error(
        `shoal ${args.join(' ')} on ${daemon.name} exited ${result.code}: ${result.stderr}\nlog tail:\n${tail(daemon.log)}`,
      );
    }
    return result.stdout;
  }

  /** `swarm init` on `node`, advertising and listening on its own cluster address. */
  initSwarm(node: DaemonProcess, extra: string[] = []): Promise<string> {
    const address = ['--advertise-addr', node.clusterAddr, '--listen-addr', node.clusterAddr];
    return this.ok(node, ['swarm', 'init', ...address, ...extra]);
  }

  /** `swarm join` of `node` through the manager at `remote`. */
  joinSwarm(node: DaemonProcess, token: string, remote: string): Promise<CliResult> {
    const address = ['--advertise-addr', node.clusterAddr, '--listen-addr', node.clusterAddr];
    return this.cli(node, ['swarm', 'join', '--token', token, ...address, remote]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.daemons.map((d) => this.kill(d)));
  }
}

/** The built CLI every real-process test and the demo run (`npm run build` makes it). */
export const BUILT_CLI = join(import.meta.dirname, '..', '..', 'dist', 'shoal.mjs');

/**
 * Daemons for one test, from the built CLI, stopped and removed when the test ends (pass
 * the test context's `after`), along with anything else `cleanup` names.
 */
export function daemonsForTest(
  after: (fn: () => Promise<void>) => void,
  name: string,
  cleanup: () => void = () => {},
): DaemonProcesses {
  if (!existsSync(BUILT_CLI))
    throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first`);
  const daemons = new DaemonProcesses(makeTempDir(`shoal-${name}-`), [process.execPath, BUILT_CLI]);
  after(async () => {
    await daemons.stop();
    cleanup();
    removeTempDirs();
  });
  return daemons;
}
