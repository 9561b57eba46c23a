// Shoal as the benchmark runs it: one `shoal daemon` from the built CLI (a manager on
// 127.0.0.1, a one-node swarm) whose tasks run on the root Docker Engine (the daemon's default
// --docker /var/run/docker.sock). Services are created and scaled with the `shoal` CLI, tasks
// read from the daemon's API socket. Tear-down SIGKILLs the daemon, then removes every
// container labelled with its node ID, again until none appears (a create the daemon sent just
// before dying may land after the first sweep).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  type DaemonProcess,
  DaemonProcesses,
  describeError,
  hasExited,
  tail,
  waitFor,
} from '../../src/testkit/index.ts';
import { EngineApi, runOk, sleep } from './engine.ts';
import type { ServiceRun, ServiceSystem } from './service-system.ts';

const REQUEST_TIMEOUT_MS = 10_000;
/** Sweeps of leftover containers after the daemon died, until two in a row find none. */
const SWEEP_INTERVAL_MS = 500;
const SWEEP_MAX_MS = 30_000;
/** USER_HZ: /proc reports CPU times in these (100 on every Linux Shoal targets). */
const CLOCK_TICKS_PER_S = 100;

export class ShoalSystem implements ServiceSystem {
  readonly name = 'shoal';
  readonly engine: EngineApi;
  private readonly daemons: DaemonProcesses;
  private node: DaemonProcess | null = null;
  private nodeId: string | null = null;
  private apiClient: EngineApi | null = null;
  private tornDown: Promise<void> | null = null;

  constructor(
    root: string,
    private readonly cli: string,
    private readonly clusterPort: number,
    engineSocket: string,
    private readonly log: (line: string) => void,
  ) {
    this.daemons = new DaemonProcesses(root, [process.execPath, cli]);
    this.engine = new EngineApi(engineSocket);
  }

  get api(): EngineApi {
    if (this.apiClient === null) throw new Error('shoal: not set up');
    return this.apiClient;
  }

  async setUp(timeoutMs: number): Promise<void> {
    const node = await this.daemons.add(1, this.clusterPort);
    this.node = node;
    await this.daemons.initSwarm(node);
    this.apiClient = new EngineApi(node.socket);
    const info = await this.api.json<{ Swarm: { NodeID: string } }>('/info', REQUEST_TIMEOUT_MS);
    this.nodeId = info.Swarm.NodeID;
    await waitFor('the shoal node to be ready', timeoutMs, async () => {
      this.checkAlive();
      const nodes = await this.api.json<{ Status: { State: string } }[]>(
        '/nodes',
        REQUEST_TIMEOUT_MS,
      );
      return nodes.length > 0 && nodes.every((n) => n.Status.State === 'ready') ? true : undefined;
    });
    this.log(`daemon ready (node ${this.nodeId}, log ${node.log})`);
  }

  async create(spec: ServiceRun, timeoutMs: number): Promise<string> {
    const out = await this.shoal(
      [
        'service',
        'create',
        '-d',
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
    await this.shoal(['service', 'scale', '-d', `${name}=${replicas}`], timeoutMs);
  }

  checkAlive(): void {
    const node = this.node;
    if (node?.child && hasExited(node.child)) {
      throw new Error(
        `shoal daemon exited (code ${node.child.exitCode}, signal ${node.child.signalCode}); log tail:\n${tail(node.log)}`,
      );
    }
  }

  /** Once, however many callers (the round's end, a Ctrl-C) ask. */
  tearDown(): Promise<void> {
    this.tornDown ??= this.tearDownOnce();
    return this.tornDown;
  }

  private async tearDownOnce(): Promise<void> {
    try {
      await this.daemons.stop();
    } catch (error) {
      this.log(`tear-down: stopping the daemon: ${describeError(error)}`);
    }
    this.apiClient?.close();
    if (this.nodeId !== null) await this.sweep(`com.docker.swarm.node.id=${this.nodeId}`);
    this.engine.close();
  }

  killNow(): void {
    for (const daemon of this.daemons.daemons) daemon.child?.kill('SIGKILL');
  }

  logFiles(): string[] {
    return this.daemons.daemons.map((d) => d.log);
  }

  /** The daemon's user + system CPU time, from /proc (null once it is gone). */
  cpuSeconds(): number | null {
    const pid = this.node?.child?.pid;
    if (pid === undefined) return null;
    try {
      // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
    } catch {
      return null;
    }
  }

  private shoal(args: string[], timeoutMs: number): Promise<string> {
    const node = this.node;
    if (node === null) throw new Error('shoal: not set up');
    return runOk(process.execPath, [this.cli, '-H', `unix://${node.socket}`, ...args], timeoutMs);
  }

  /** Removes the node's containers until two sweeps in a row find none. */
  private async sweep(label: string): Promise<void> {
    const deadline = performance.now() + SWEEP_MAX_MS;
    let empty = 0;
    let removed = 0;
    while (empty < 2 && performance.now() < deadline) {
      try {
        const found = await this.engine.removeContainers(label, REQUEST_TIMEOUT_MS);
        removed += found;
        empty = found === 0 ? empty + 1 : 0;
      } catch (error) {
        this.log(`tear-down: removing containers (${label}): ${describeError(error)}`);
        empty = 0;
      }
      if (empty < 2) await sleep(SWEEP_INTERVAL_MS);
    }
    if (empty < 2) this.log(`tear-down: containers labelled ${label} may be left on the engine`);
    else if (removed > 0) this.log(`tear-down: removed ${removed} leftover container(s)`);
  }
}
