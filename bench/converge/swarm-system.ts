// Docker Swarm as the baseline: a SECOND dockerd (the root engine on /var/run/docker.sock is
// shared with other tests and must never become a swarm manager), with its own data root,
// exec root (hence its own containerd), socket, pidfile and an empty config file. So that both
// coexist, it gets its own bridge (`shoalbench0`, created here and attached with -b, so its
// containers get a veth and an address each, like the root engine's do) and touches no
// iptables rules (--iptables=false, --ip-forward=false). It runs with
// DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1, without which swarm's executor tries to pull every
// task's image from its registry before using the local copy; services are created with
// --no-resolve-image for the same reason: nothing leaves the machine. The busybox image is
// copied over from the root engine (docker save | docker load). Then `docker swarm init` on
// 127.0.0.1; services are created and scaled with the stock docker CLI.
//
// Tear-down: services removed, containers force-removed, dockerd stopped with SIGTERM (SIGKILL
// after a minute, then its containerd and shims, found by their command line naming this exec
// root), mounts under its dirs unmounted, the bridge and a docker_gwbridge it created deleted.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { probeDocker } from '../../src/runtime/docker-driver.ts';
import {
  describeError,
  hasExited,
  killHard,
  spawnLogged,
  tail,
  waitFor,
} from '../../src/testkit/index.ts';
import { EngineApi, runCommand, runOk } from './engine.ts';
import type { ServiceRun, ServiceSystem } from './service-system.ts';

export const BRIDGE = 'shoalbench0';
/** The bridge's address; its /16 leaves room for any --replicas up to 65,000. */
const BRIDGE_ADDRESS = '10.231.0.1/16';
const GWBRIDGE = 'docker_gwbridge';
const DOCKERD_CANDIDATES = ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'];
const REQUEST_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 60_000;

export class SwarmSystem implements ServiceSystem {
  readonly name = 'swarm';
  readonly api: EngineApi;
  readonly engine: EngineApi;
  private readonly socket: string;
  private readonly dataRoot: string;
  private readonly execRoot: string;
  private readonly logFile: string;
  private child: ChildProcess | null = null;
  private tornDown: Promise<void> | null = null;
  private bridgeCreated = false;
  private gwbridgeExisted = true;
  /** The engine's version, once it answered. */
  version: string | null = null;

  constructor(
    private readonly root: string,
    private readonly swarmPort: number,
    private readonly dockerCli: string,
    private readonly rootEngine: Dockerode,
    /** The image services run, copied from the root engine. */
    private readonly image: string,
    private readonly log: (line: string) => void,
  ) {
    this.socket = join(root, 'docker.sock');
    this.dataRoot = join(root, 'data');
    this.execRoot = join(root, 'exec');
    this.logFile = join(root, 'dockerd.log');
    this.api = new EngineApi(this.socket);
    this.engine = this.api;
  }

  async setUp(timeoutMs: number): Promise<void> {
    const dockerd = DOCKERD_CANDIDATES.find((path) => existsSync(path));
    if (dockerd === undefined) throw new Error('no dockerd binary installed (Debian docker.io)');
    if (process.getuid?.() !== 0) throw new Error('a second dockerd needs root');
    await this.createBridge();
    this.gwbridgeExisted = linkExists(GWBRIDGE);
    const config = join(this.root, 'daemon.json');
    writeFileSync(config, '{}\n');
    this.child = spawnLogged(
      dockerd,
      [
        '--config-file',
        config,
        '--data-root',
        this.dataRoot,
        '--exec-root',
        this.execRoot,
        '--pidfile',
        join(this.root, 'docker.pid'),
        '-H',
        `unix://${this.socket}`,
        '--bridge',
        BRIDGE,
        '--iptables=false',
        '--ip-forward=false',
      ],
      this.logFile,
      { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' },
    );
    await waitFor('the second dockerd to answer', timeoutMs, async () => {
      this.checkAlive();
      return (await probeDocker(this.socket, 1000)) ?? undefined;
    }).then((answer) => {
      this.version = answer.version;
    });
    await this.loadImage(this.image);
    await this.docker([
      'swarm',
      'init',
      '--advertise-addr',
      '127.0.0.1',
      '--listen-addr',
      `127.0.0.1:${this.swarmPort}`,
    ]);
    await waitFor('the swarm node to be ready', timeoutMs, async () => {
      this.checkAlive();
      const nodes = await this.api.json<{ Status: { State: string } }[]>(
        '/nodes',
        REQUEST_TIMEOUT_MS,
      );
      return nodes.length > 0 && nodes.every((n) => n.Status.State === 'ready') ? true : undefined;
    });
    this.log(`second dockerd ${this.version} in swarm mode (log ${this.logFile})`);
  }

  async create(spec: ServiceRun, timeoutMs: number): Promise<string> {
    const out = await this.docker(
      [
        'service',
        'create',
        '-d',
        '--no-resolve-image',
        '--name',
        spec.name,
        '--replicas',
        String(spec.replicas),
        spec.image,
        ...spec.command,
      ],
      timeoutMs,
    );
    return out.split('\n').pop()!.trim();
  }

  async scale(name: string, replicas: number, timeoutMs: number): Promise<void> {
    await this.docker(['service', 'scale', '-d', `${name}=${replicas}`], timeoutMs);
  }

  checkAlive(): void {
    if (this.child && hasExited(this.child)) {
      throw new Error(
        `the second dockerd exited (code ${this.child.exitCode}, signal ${this.child.signalCode}); log tail:\n${tail(this.logFile)}`,
      );
    }
  }

  /** Once, however many callers (the round's end, a Ctrl-C) ask. */
  tearDown(): Promise<void> {
    this.tornDown ??= this.tearDownOnce();
    return this.tornDown;
  }

  private async tearDownOnce(): Promise<void> {
    const child = this.child;
    if (child && !hasExited(child)) {
      await this.removeServices();
      await this.stopDockerd(child);
    }
    this.api.close();
    this.killLeftovers();
    await this.unmountUnder(this.root);
    if (this.bridgeCreated) await deleteLink(BRIDGE, this.log);
    if (!this.gwbridgeExisted && linkExists(GWBRIDGE)) await deleteLink(GWBRIDGE, this.log);
    this.bridgeCreated = false;
  }

  killNow(): void {
    this.child?.kill('SIGKILL');
    this.killLeftovers();
  }

  logFiles(): string[] {
    return [this.logFile];
  }

  private docker(args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
    return runOk(this.dockerCli, ['-H', `unix://${this.socket}`, ...args], timeoutMs);
  }

  private async createBridge(): Promise<void> {
    if (linkExists(BRIDGE)) {
      throw new Error(
        `network interface ${BRIDGE} exists (left by an interrupted run?): remove it with \`ip link del ${BRIDGE}\``,
      );
    }
    const net = BRIDGE_ADDRESS.split('.').slice(0, 2).join('.');
    const routes = await runOk('ip', ['-4', 'route'], COMMAND_TIMEOUT_MS);
    if (routes.split('\n').some((line) => line.startsWith(`${net}.`))) {
      throw new Error(`${net}.0.0/16 is routed on this machine already; ${BRIDGE} would clash`);
    }
    await runOk('ip', ['link', 'add', BRIDGE, 'type', 'bridge'], COMMAND_TIMEOUT_MS);
    this.bridgeCreated = true;
    await runOk('ip', ['addr', 'add', BRIDGE_ADDRESS, 'dev', BRIDGE], COMMAND_TIMEOUT_MS);
    await runOk('ip', ['link', 'set', BRIDGE, 'up'], COMMAND_TIMEOUT_MS);
  }

  /** docker save on the root engine, piped into docker load on this one. */
  private async loadImage(image: string): Promise<void> {
    const saved = await this.rootEngine.getImage(image).get();
    const target = new Dockerode({ socketPath: this.socket });
    const answer = (await target.loadImage(saved as never)) as IncomingMessage;
    let output = '';
    for await (const chunk of answer) output = (output + String(chunk)).slice(-4096);
    if (output.includes('"error"')) throw new Error(`docker load of ${image} failed: ${output}`);
    await target.getImage(image).inspect();
  }

  /** Services removed (so swarm recreates nothing), then their containers force-removed. */
  private async removeServices(): Promise<void> {
    try {
      const services = await this.api.json<{ ID: string }[]>('/services', REQUEST_TIMEOUT_MS);
      for (const s of services) await this.api.delete(`/services/${s.ID}`, REQUEST_TIMEOUT_MS);
      await this.api.removeContainers('com.docker.swarm.service.id', 60_000);
    } catch (error) {
      this.log(`tear-down: removing services: ${describeError(error)}`);
    }
  }

  private async stopDockerd(child: ChildProcess): Promise<void> {
    const exited = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    child.kill('SIGTERM');
    if (await exited) return;
    this.log(`tear-down: dockerd did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM; SIGKILL`);
    await killHard(child).catch((error) => this.log(`tear-down: ${describeError(error)}`));
  }

  /**
   * After a dockerd that had to be killed: its containerd and shims, which name this exec
   * root on their command lines. Only processes this benchmark's dockerd started match.
   */
  private killLeftovers(): void {
    for (const pid of pidsNaming(this.execRoot)) {
      try {
        process.kill(pid, 'SIGKILL');
        this.log(`tear-down: killed pid ${pid} (left by the second dockerd)`);
      } catch {
        // Gone meanwhile.
      }
    }
  }

  /** Unmounts whatever is still mounted under `dir` (overlays, netns files), deepest first. */
  private async unmountUnder(dir: string): Promise<void> {
    let mounts: string[];
    try {
      mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
        .filter((path) => path === dir || path.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
    } catch {
      return;
    }
    if (mounts.length > 0) this.log(`tear-down: unmounting ${mounts.length} mount(s) under ${dir}`);
    for (const path of mounts) {
      await runCommand('umount', ['-l', path], COMMAND_TIMEOUT_MS).catch(() => {});
    }
  }
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

async function deleteLink(name: string, log: (line: string) => void): Promise<void> {
  await runOk('ip', ['link', 'del', name], COMMAND_TIMEOUT_MS).catch((error) =>
    log(`tear-down: ip link del ${name}: ${describeError(error)}`),
  );
}

/** PIDs whose command line contains `text`. */
function pidsNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}
