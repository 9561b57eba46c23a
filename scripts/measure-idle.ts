// `npx tsx scripts/measure-idle.ts [options]`: what an idle cluster costs. Starts a manager and
// a worker from the built CLI (dist/shoal.mjs; this script builds nothing) on 127.0.0.x, inits
// and joins them, waits until nothing moves, then measures each daemon over consecutive windows:
// CPU time as a percentage of one core (utime + stime of every thread, from /proc/PID/stat, so
// the figure is the process's own work whatever else loads the machine), resident memory
// (VmRSS, anonymous and file-backed), voluntary context switches per second (wakeups, over all
// threads), and what changed in its data dir (every file's size and mtime: an idle cluster
// writes nothing). Everything it starts is stopped and removed on every way out.
//
// The budgets checked are issue 3's: idle CPU under 0.5 % of a core, nothing written while idle,
// a manager under 120 MB and a worker agent under 60 MB. The exit code is 1 when one is missed.
//
//   --seconds N        length of each window (default 60)
//   --windows N        consecutive windows measured (default 1); the verdict takes their median
//   --docker SOCKET    run the daemons with this Docker Engine socket ('none', the default: exec
//                      tasks only); a real path starts the engine as the tests do if none answers
//   --settle N         seconds without a data-dir change before measuring (default 10)
//   --cli PATH         the shoal bundle to run (default dist/shoal.mjs; e.g. a copy of an older
//                      build, to compare)
//   --node-arg ARG     an extra Node.js flag for the daemons (repeatable)
//   --first-ip N       the daemons run on 127.0.0.N and 127.0.0.N+1 (default 201)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDockerEngine } from '../src/testkit/docker.ts';
import {
  BUILT_CLI,
  type DaemonProcess,
  DaemonProcesses,
  freePorts,
  installCleanupHandlers,
  makeTempDir,
  removeTempDirs,
  waitFor,
} from '../src/testkit/index.ts';

const BUDGET_CPU_PERCENT = 0.5;
const BUDGET_RSS_MB = { manager: 120, worker: 60 } as const;
const READY_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 120_000;
/** Samples per window of resident memory (its peak over the window is reported too). */
const RSS_SAMPLE_MS = 1000;
/** Files listed when a data dir changed while idle. */
const CHANGED_FILES_SHOWN = 10;

type Role = keyof typeof BUDGET_RSS_MB;

interface Options {
  seconds: number;
  windows: number;
  docker: string;
  settleSeconds: number;
  cli: string;
  nodeArgs: string[];
  firstIp: number;
}

interface Counters {
  cpuTicks: number;
  contextSwitches: number;
}

interface FileState {
  size: number;
  mtimeMs: number;
}

interface Memory {
  rssMb: number;
  /** Anonymous memory: the heaps, stacks and buffers of this process alone. */
  anonMb: number;
  /** Mapped files (the node binary, libraries): pages shared with other processes. */
  fileMb: number;
}

interface WindowResult extends Memory {
  cpuPercent: number;
  rssPeakMb: number;
  switchesPerSecond: number;
  changed: string[];
  bytesGrown: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '60' },
      windows: { type: 'string', default: '1' },
      docker: { type: 'string', default: 'none' },
      settle: { type: 'string', default: '10' },
      cli: { type: 'string', default: BUILT_CLI },
      'node-arg': { type: 'string', multiple: true, default: [] },
      'first-ip': { type: 'string', default: '201' },
    },
    strict: true,
  });
  const number = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    }
    return value;
  };
  const cli = resolve(values.cli);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  return {
    seconds: number('seconds', values.seconds, 1, 3600),
    windows: number('windows', values.windows, 1, 100),
    docker: values.docker,
    settleSeconds: number('settle', values.settle, 0, 600),
    cli,
    nodeArgs: values['node-arg'],
    firstIp: number('first-ip', values['first-ip'], 2, 253),
  };
}

const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/**
 * utime + stime of every thread, and the voluntary context switches of every thread: each is
 * a thread going to sleep, so one per wakeup (involuntary ones count preemptions, which grow
 * with the machine's load, not with the process's work).
 */
function readCounters(pid: number): Counters {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  let contextSwitches = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8');
      const voluntary = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status);
      contextSwitches += Number(voluntary?.[1] ?? 0);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { cpuTicks, contextSwitches };
}

function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const kb = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!kb) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(kb[1]) / 1024;
  };
  return { rssMb: field('VmRSS'), anonMb: field('RssAnon'), fileMb: field('RssFile') };
}

/** Every file under `dir` with its size and modification time. */
function snapshotDir(dir: string, into = new Map<string, FileState>()): Map<string, FileState> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) snapshotDir(path, into);
    else if (entry.isFile()) {
      const stats = statSync(path);
      into.set(path, { size: stats.size, mtimeMs: stats.mtimeMs });
    }
  }
  return into;
}

/** Files created, removed, resized or touched between two snapshots, and the bytes they grew. */
function compareDirs(
  before: Map<string, FileState>,
  after: Map<string, FileState>,
  root: string,
): { changed: string[]; bytesGrown: number } {
  const changed: string[] = [];
  let bytesGrown = 0;
  for (const [path, now] of after) {
    const then = before.get(path);
    if (then === undefined) {
      changed.push(`${path.slice(root.length + 1)} (new, ${now.size} B)`);
      bytesGrown += now.size;
    } else if (then.size !== now.size || then.mtimeMs !== now.mtimeMs) {
      changed.push(`${path.slice(root.length + 1)} (${then.size} B -> ${now.size} B)`);
      bytesGrown += Math.max(0, now.size - then.size);
    }
  }
  for (const path of before.keys()) {
    if (!after.has(path)) changed.push(`${path.slice(root.length + 1)} (removed)`);
  }
  return { changed, bytesGrown };
}

function pidOf(daemon: DaemonProcess): number {
  const pid = daemon.child?.pid;
  if (pid === undefined || daemon.child?.exitCode !== null) {
    throw new Error(`${daemon.name} is not running (see ${daemon.log})`);
  }
  return pid;
}

async function startCluster(
  daemons: DaemonProcesses,
  options: Options,
): Promise<{ manager: DaemonProcess; worker: DaemonProcess }> {
  const [managerPort, workerPort] = (await freePorts(2)) as [number, number];
  const manager = await daemons.add(options.firstIp, managerPort);
  const worker = await daemons.add(options.firstIp + 1, workerPort);
  await daemons.initSwarm(manager);
  const token = (await daemons.ok(manager, ['swarm', 'join-token', '-q', 'worker'])).trim();
  const joined = await daemons.joinSwarm(worker, token, manager.clusterAddr);
  if (joined.code !== 0) throw new Error(`swarm join failed: ${joined.stderr}`);
  await waitFor('both nodes Ready', READY_TIMEOUT_MS, async () => {
    const states = await daemons.ok(manager, ['node', 'ls', '--format', '{{.Status}}']);
    const ready = states.split('\n').filter((line) => line.trim() === 'Ready').length;
    return ready === 2 ? true : undefined;
  });
  return { manager, worker };
}

/** Waits until neither data dir changed for `settleSeconds`. */
async function waitUntilSettled(nodes: DaemonProcess[], settleSeconds: number): Promise<void> {
  let last = nodes.map((node) => snapshotDir(node.dataDir));
  let quietSince = Date.now();
  await waitFor(
    `${settleSeconds} s without a data-dir change`,
    SETTLE_TIMEOUT_MS,
    async () => {
      const now = nodes.map((node) => snapshotDir(node.dataDir));
      const moved = now.some(
        (snapshot, i) => compareDirs(last[i]!, snapshot, nodes[i]!.dataDir).changed.length > 0,
      );
      last = now;
      if (moved) quietSince = Date.now();
      return Date.now() - quietSince >= settleSeconds * 1000 ? true : undefined;
    },
    500,
  );
}

async function measureWindow(nodes: DaemonProcess[], seconds: number): Promise<WindowResult[]> {
  const pids = nodes.map(pidOf);
  const dirsBefore = nodes.map((node) => snapshotDir(node.dataDir));
  const countersBefore = pids.map(readCounters);
  const startedMs = performance.now();
  const peaks = pids.map((pid) => readMemory(pid).rssMb);
  const endMs = startedMs + seconds * 1000;
  while (performance.now() < endMs) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(RSS_SAMPLE_MS, endMs - performance.now())),
    );
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i]!, readMemory(pid).rssMb);
    });
  }
  const countersAfter = pids.map(readCounters);
  const elapsedSeconds = (performance.now() - startedMs) / 1000;
  return nodes.map((node, i) => {
    const before = countersBefore[i]!;
    const after = countersAfter[i]!;
    const cpuSeconds = (after.cpuTicks - before.cpuTicks) / clockTicksPerSecond;
    const disk = compareDirs(dirsBefore[i]!, snapshotDir(node.dataDir), node.dataDir);
    return {
      cpuPercent: (100 * cpuSeconds) / elapsedSeconds,
      ...readMemory(pids[i]!),
      rssPeakMb: peaks[i]!,
      switchesPerSecond: (after.contextSwitches - before.contextSwitches) / elapsedSeconds,
      ...disk,
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function printWindow(index: number, roles: Role[], results: WindowResult[]): void {
  console.log(`window ${index + 1}:`);
  results.forEach((result, i) => {
    console.log(
      `  ${roles[i]!.padEnd(8)} cpu ${result.cpuPercent.toFixed(3).padStart(6)} % of a core` +
        `  rss ${result.rssMb.toFixed(1).padStart(6)} MB (anon ${result.anonMb.toFixed(1)}, file ${result.fileMb.toFixed(1)}, peak ${result.rssPeakMb.toFixed(1)})` +
        `  wakeups ${result.switchesPerSecond.toFixed(1).padStart(6)}/s` +
        `  data dir: ${result.changed.length === 0 ? 'unchanged' : `${result.changed.length} files changed, +${result.bytesGrown} B`}`,
    );
    for (const line of result.changed.slice(0, CHANGED_FILES_SHOWN)) console.log(`      ${line}`);
  });
}

/** Prints the median of every window per role against the budgets; false when one is missed. */
function printVerdict(roles: Role[], windows: WindowResult[][]): boolean {
  let within = true;
  console.log(`median of ${windows.length} window(s):`);
  roles.forEach((role, i) => {
    const mine = windows.map((results) => results[i]!);
    const cpu = median(mine.map((r) => r.cpuPercent));
    const rss = median(mine.map((r) => r.rssMb));
    const written = mine.reduce((sum, r) => sum + r.changed.length, 0);
    const checks = [
      { ok: cpu < BUDGET_CPU_PERCENT, text: `cpu ${cpu.toFixed(3)} % (< ${BUDGET_CPU_PERCENT})` },
      {
        ok: rss < BUDGET_RSS_MB[role],
        text: `rss ${rss.toFixed(1)} MB (< ${BUDGET_RSS_MB[role]})`,
      },
      { ok: written === 0, text: `${written} data-dir changes (0)` },
    ];
    for (const check of checks) within &&= check.ok;
    console.log(
      `  ${role.padEnd(8)} ${checks.map((c) => `${c.ok ? 'ok' : 'OVER'}: ${c.text}`).join('  ')}`,
    );
  });
  return within;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  installCleanupHandlers();
  let dockerFlag = 'none';
  if (options.docker !== 'none') {
    const socketPath = options.docker.replace(/^unix:\/\//, '');
    const engine = await ensureDockerEngine();
    if ('unavailable' in engine)
      throw new Error(`--docker ${options.docker}: ${engine.unavailable}`);
    if (engine.socketPath !== socketPath) {
      throw new Error(`--docker: the engine the tests start listens on ${engine.socketPath}`);
    }
    console.log(`Docker Engine ${engine.version} on ${socketPath}`);
    dockerFlag = socketPath;
  }
  const daemons = new DaemonProcesses(makeTempDir('shoal-measure-idle-'), [
    process.execPath,
    ...options.nodeArgs,
    options.cli,
  ]);
  daemons.daemonArgs = ['--docker', dockerFlag];
  try {
    const { manager, worker } = await startCluster(daemons, options);
    const nodes = [manager, worker];
    const roles: Role[] = ['manager', 'worker'];
    console.log(
      `cluster up (${options.cli}, --docker ${dockerFlag}${options.nodeArgs.length > 0 ? `, node ${options.nodeArgs.join(' ')}` : ''}); waiting for ${options.settleSeconds} s without a data-dir change`,
    );
    await waitUntilSettled(nodes, options.settleSeconds);
    console.log(
      `measuring ${options.windows} window(s) of ${options.seconds} s (clock ${clockTicksPerSecond} ticks/s)`,
    );
    const windows: WindowResult[][] = [];
    for (let index = 0; index < options.windows; index++) {
      const results = await measureWindow(nodes, options.seconds);
      printWindow(index, roles, results);
      windows.push(results);
    }
    return printVerdict(roles, windows) ? 0 : 1;
  } finally {
    await daemons.stop();
    removeTempDirs();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`measure-idle: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
process.exit(process.exitCode);
