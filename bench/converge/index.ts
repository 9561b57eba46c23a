// `npm run bench -- converge`: how long N replicas take to be RUNNING from `service create`,
// on the same machine and the same locally built image, for Shoal (one manager, tasks on the
// root Docker Engine), for Docker Swarm (a second dockerd in swarm mode) and for N parallel
// `docker run -d` on the root engine (the engine's own limit); then scaling to 0 (removing, for
// the raw baseline) until no container is left. The three run one after the other, each set up
// fresh and torn down fully, even on failure. Prints a table and writes
// bench/results/converge.json.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import {
  ensureBusyboxImage,
  ensureDockerEngine,
  TEST_BUSYBOX_IMAGE,
} from '../../src/testkit/docker.ts';
import {
  describeError,
  freePorts,
  makeTempDir,
  removeTempDirs,
  tail,
} from '../../src/testkit/index.ts';
import { EngineApi, runOk, sleep } from './engine.ts';
import { measureRaw, RAW_LABEL, type RawRound } from './raw.ts';
import { measureService, type ServiceRound, type ServiceSystem } from './service-system.ts';
import { ShoalSystem } from './shoal-system.ts';
import { SwarmSystem } from './swarm-system.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMMAND = ['sleep', '100000'];
const SETUP_TIMEOUT_MS = 120_000;
/** A pause between systems, so one's clean-up in the engine does not overlap the next. */
const SETTLE_MS = 2000;
/** Tear-down after Ctrl-C is bounded by this; a second Ctrl-C kills at once. */
const SIGNAL_TEARDOWN_MS = 120_000;
const TARGET_VS_SWARM = 0.5;
const TARGET_VS_RAW = 1.25;
const SYSTEMS = ['shoal', 'swarm', 'raw'] as const;
type SystemName = (typeof SYSTEMS)[number];

export const usage = `npm run bench -- converge [options]
  --replicas N         replicas of the service / parallel containers (default 100)
  --rounds N           rounds of every system; medians are reported (default 1)
  --systems LIST       which to run, comma separated, in this order (default shoal,swarm,raw)
  --poll-ms N          interval between polls of tasks and containers (default 100)
  --phase-timeout-s N  a phase (converge, scale to 0) fails after this long (default 300)
  --raw-concurrency N  raw baseline: runs in flight at once (default: all N replicas at once)
  --shoal-dist DIR     the Shoal build to measure (default dist/, copied before the run)
  --keep-logs DIR      copy the Shoal daemon's and the second dockerd's logs into DIR
  --note TEXT          stored in the result file (e.g. which commit --shoal-dist was built from)`;

/** Something to stop on the way out: a system that is set up, or the raw round's containers. */
interface Cleanup {
  tearDown(): Promise<void>;
  killNow(): void;
}

const active = new Set<Cleanup>();
/** Set by Ctrl-C / SIGTERM: no further system is started. */
let stopping = false;

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** Ctrl-C and SIGTERM tear down what is set up (bounded); any exit kills what is left. */
function installSignalHandlers(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (stopping) {
      for (const c of active) c.killNow();
      process.exit(code);
    }
    stopping = true;
    console.error(`\n${signal}: tearing down what the benchmark started (again to kill at once)`);
    void Promise.race([
      Promise.allSettled([...active].map((c) => c.tearDown())),
      sleep(SIGNAL_TEARDOWN_MS),
    ]).finally(() => {
      removeTempDirs();
      process.exit(code);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const c of active) c.killNow();
  });
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(m * 1000) / 1000;
}

/** Median over rounds of one numeric field (rounds without it are left out). */
function medianOf<T>(rounds: T[], pick: (r: T) => number | null | undefined): number | null {
  return median(rounds.map(pick).filter((x): x is number => typeof x === 'number'));
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

interface SystemReport {
  rounds: (ServiceRound | RawRound)[];
  errors: string[];
}

const MILESTONES = [
  ['create command returned', 'converge', 'create_cli_s'],
  ['N tasks created', 'converge', 'tasks_created_s'],
  ['N tasks assigned or further', 'converge', 'all_assigned_s'],
  ['first task running', 'converge', 'first_running_s'],
  ['half the tasks running', 'converge', 'half_running_s'],
  ['N tasks running', 'converge', 'all_running_s'],
  ['scale command returned', 'scale0', 'scale_cli_s'],
  ['no task running', 'scale0', 'tasks_stopped_s'],
  ['no container running', 'scale0', 'containers_stopped_s'],
  ['no container left', 'scale0', 'containers_gone_s'],
  ['CPU s of the daemon, converge', 'converge', 'cpu_s'],
  ['CPU s of the daemon, scale to 0', 'scale0', 'cpu_s'],
] as const;

function milestoneMedians(rounds: ServiceRound[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [, phase, key] of MILESTONES) {
    const pick = (r: ServiceRound) =>
      (r[phase] as Record<string, number | null> | undefined)?.[key];
    out[`${phase}.${key}`] = medianOf(rounds, pick);
  }
  return out;
}

/** Sets `system` up, measures one round and tears it down, whatever happens. */
async function measureServiceSystem(
  system: ServiceSystem,
  opts: Options,
  round: number,
): Promise<ServiceRound> {
  const { replicas, pollMs, phaseTimeoutMs, keepLogs } = opts;
  const log = (line: string) => console.log(`[${system.name} ${round}] ${line}`);
  active.add(system);
  try {
    try {
      await system.setUp(SETUP_TIMEOUT_MS);
    } catch (error) {
      const message = `set-up failed: ${describeError(error)}`;
      log(message);
      for (const file of system.logFiles()) console.log(`--- ${file}\n${tail(file)}`);
      return { converge_s: null, scale0_s: null, error: message };
    }
    const name = `converge-${system.name}-${round}`;
    const result = await measureService(
      system,
      { name, replicas, image: TEST_BUSYBOX_IMAGE, command: COMMAND },
      { pollMs, phaseTimeoutMs, log },
    );
    if (result.error) {
      for (const file of system.logFiles()) console.log(`--- ${file}\n${tail(file)}`);
    }
    return result;
  } finally {
    await system.tearDown();
    active.delete(system);
    if (keepLogs) copyLogs(system.logFiles(), keepLogs, `${system.name}-round${round}`);
    log('torn down');
  }
}

function copyLogs(files: string[], dir: string, prefix: string): void {
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    try {
      copyFileSync(file, join(dir, `${prefix}-${basename(file)}`));
    } catch (error) {
      console.log(`cannot keep ${file}: ${describeError(error)}`);
    }
  }
}

function machineInfo() {
  let commit = 'unknown';
  let dirty: boolean | null = null;
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
    commit = git(['rev-parse', 'HEAD']).trim();
    // The build measured may hold uncommitted changes (a shared working tree).
    dirty = git(['status', '--porcelain', '--', 'src']).trim() !== '';
  } catch {
    // Not a git checkout.
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    mem_total_mb: Math.round(totalmem() / 2 ** 20),
    platform: process.platform,
    arch: process.arch,
    kernel: release(),
    node_version: process.version,
    shoal_version: pkg.version,
    git_commit: commit,
    src_has_uncommitted_changes: dirty,
    loadavg_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const fmt = (x: number | null | undefined) =>
  typeof x === 'number' && Number.isFinite(x) ? String(x) : '-';

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const r of rows) console.log(line(r));
}

interface Options {
  replicas: number;
  rounds: number;
  systems: SystemName[];
  pollMs: number;
  phaseTimeoutMs: number;
  rawConcurrency: number;
  shoalDist: string;
  keepLogs?: string;
  note?: string;
}

/** The options, or null when only --help was asked for. */
function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      replicas: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '1' },
      systems: { type: 'string', default: SYSTEMS.join(',') },
      'poll-ms': { type: 'string', default: '100' },
      'phase-timeout-s': { type: 'string', default: '300' },
      'raw-concurrency': { type: 'string' },
      'shoal-dist': { type: 'string', default: join(root, 'dist') },
      'keep-logs': { type: 'string' },
      note: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const replicas = positiveInt('replicas', values.replicas);
  const systems = values.systems.split(',').filter(Boolean) as SystemName[];
  for (const s of systems) {
    if (!SYSTEMS.includes(s)) throw new Error(`--systems: unknown system "${s}"`);
  }
  const shoalDist = values['shoal-dist'];
  if (systems.includes('shoal') && !existsSync(join(shoalDist, 'shoal.mjs'))) {
    throw new Error(`${join(shoalDist, 'shoal.mjs')} is missing: run \`npm run build\` first`);
  }
  const rawConcurrency = values['raw-concurrency'];
  return {
    replicas,
    rounds: positiveInt('rounds', values.rounds),
    systems,
    pollMs: positiveInt('poll-ms', values['poll-ms']),
    phaseTimeoutMs: positiveInt('phase-timeout-s', values['phase-timeout-s']) * 1000,
    rawConcurrency:
      rawConcurrency === undefined ? replicas : positiveInt('raw-concurrency', rawConcurrency),
    shoalDist,
    keepLogs: values['keep-logs'],
    note: values.note,
  };
}

/** What every round uses: the root engine, the copied Shoal build, the docker CLI. */
interface Context {
  opts: Options;
  engineSocket: string;
  rootDocker: Dockerode;
  rootApi: EngineApi;
  /** The copy of the Shoal build's shoal.mjs. */
  cli: string;
  dockerCli: string;
  swarmEngineVersion: string | null;
}

async function measureRawRound(ctx: Context, round: number): Promise<RawRound> {
  const cleanup: Cleanup = {
    tearDown: async () => {
      await ctx.rootApi.removeContainers(RAW_LABEL, 60_000);
    },
    killNow: () => {},
  };
  active.add(cleanup);
  try {
    return await measureRaw(ctx.rootApi, {
      replicas: ctx.opts.replicas,
      concurrency: ctx.opts.rawConcurrency,
      image: TEST_BUSYBOX_IMAGE,
      command: COMMAND,
      pollMs: ctx.opts.pollMs,
      phaseTimeoutMs: ctx.opts.phaseTimeoutMs,
      log: (line) => console.log(`[raw ${round}] ${line}`),
    });
  } finally {
    active.delete(cleanup);
  }
}

async function measureRound(
  ctx: Context,
  system: SystemName,
  round: number,
): Promise<ServiceRound | RawRound> {
  if (system === 'raw') return measureRawRound(ctx, round);
  const [port] = await freePorts(1);
  const dir = makeTempDir(`shoal-bench-converge-${system}-`);
  const log = (line: string) => console.log(`[${system} ${round}] ${line}`);
  const measured =
    system === 'shoal'
      ? new ShoalSystem(dir, ctx.cli, port!, ctx.engineSocket, log)
      : new SwarmSystem(dir, port!, ctx.dockerCli, ctx.rootDocker, TEST_BUSYBOX_IMAGE, log);
  const result = await measureServiceSystem(measured, ctx.opts, round);
  if (measured instanceof SwarmSystem) ctx.swarmEngineVersion ??= measured.version;
  return result;
}

/** Medians over rounds, the ratios Shoal/others and the targets. */
function summarize(reports: Record<SystemName, SystemReport>) {
  const service = (name: 'shoal' | 'swarm') => reports[name].rounds as ServiceRound[];
  const raw = reports.raw.rounds as RawRound[];
  const figures = {
    shoal_s: medianOf(service('shoal'), (r) => r.converge_s),
    swarm_s: medianOf(service('swarm'), (r) => r.converge_s),
    raw_parallel_s: medianOf(raw, (r) => r.run_s),
    shoal_scale0_s: medianOf(service('shoal'), (r) => r.scale0_s),
    swarm_scale0_s: medianOf(service('swarm'), (r) => r.scale0_s),
    raw_parallel_remove_s: medianOf(raw, (r) => r.remove_s),
  };
  const ratios = {
    shoal_over_swarm: ratio(figures.shoal_s, figures.swarm_s),
    shoal_over_raw_parallel: ratio(figures.shoal_s, figures.raw_parallel_s),
    shoal_scale0_over_swarm_scale0: ratio(figures.shoal_scale0_s, figures.swarm_scale0_s),
    shoal_scale0_over_raw_remove: ratio(figures.shoal_scale0_s, figures.raw_parallel_remove_s),
  };
  const target = (r: number | null, limit: number) => ({
    limit,
    ratio: r,
    met: r === null ? null : r <= limit,
  });
  const targets = {
    shoal_vs_swarm: target(ratios.shoal_over_swarm, TARGET_VS_SWARM),
    shoal_vs_raw_parallel: target(ratios.shoal_over_raw_parallel, TARGET_VS_RAW),
  };
  const milestones = {
    shoal: milestoneMedians(service('shoal')),
    swarm: milestoneMedians(service('swarm')),
  };
  const rawConfirmed = medianOf(raw, (r) => r.confirmed_running_s);
  return { figures, ratios, targets, milestones, rawConfirmed };
}

function printSummary(
  opts: Options,
  summary: ReturnType<typeof summarize>,
  reports: Record<SystemName, SystemReport>,
): void {
  const { figures: f, ratios: r, targets: t, milestones: m } = summary;
  const rawLabel =
    opts.rawConcurrency === opts.replicas
      ? 'raw parallel'
      : `raw, ${opts.rawConcurrency} at a time`;
  printTable(
    ['phase (seconds)', 'shoal', 'swarm', rawLabel, 'shoal/swarm', 'shoal/raw'],
    [
      [`${opts.replicas} running from create`, f.shoal_s, f.swarm_s, f.raw_parallel_s]
        .map((x) => (typeof x === 'string' ? x : fmt(x)))
        .concat([fmt(r.shoal_over_swarm), fmt(r.shoal_over_raw_parallel)]),
      ['scale to 0 / rm -f: none left', f.shoal_scale0_s, f.swarm_scale0_s]
        .concat([f.raw_parallel_remove_s])
        .map((x) => (typeof x === 'string' ? x : fmt(x)))
        .concat([fmt(r.shoal_scale0_over_swarm_scale0), fmt(r.shoal_scale0_over_raw_remove)]),
    ],
  );
  const verdict = (x: { ratio: number | null; met: boolean | null }) =>
    x.met === null ? 'not measured' : `${x.ratio} → ${x.met ? 'met' : 'MISSED'}`;
  console.log(`\ntarget shoal ≤ ${TARGET_VS_SWARM} × swarm:        ${verdict(t.shoal_vs_swarm)}`);
  console.log(
    `target shoal ≤ ${TARGET_VS_RAW} × raw parallel: ${verdict(t.shoal_vs_raw_parallel)}`,
  );
  printTable(
    ['milestone (s from the command; CPU: shoal only)', 'shoal', 'swarm'],
    MILESTONES.map(([label, phase, key]) => [
      label.replace('N ', `${opts.replicas} `),
      fmt(m.shoal[`${phase}.${key}`]),
      fmt(m.swarm[`${phase}.${key}`]),
    ]),
  );
  for (const system of opts.systems) {
    for (const error of reports[system].errors) console.log(`${system} ${error}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  if (opts === null) {
    console.log(usage);
    return 0;
  }
  const engine = await ensureDockerEngine();
  if ('unavailable' in engine) throw new Error(`no Docker Engine: ${engine.unavailable}`);
  const rootDocker = new Dockerode({ socketPath: engine.socketPath });
  await ensureBusyboxImage(rootDocker);
  const rootApi = new EngineApi(engine.socketPath);
  const version = await rootApi.json<{ Version: string; ApiVersion: string }>('/version', 10_000);
  const dockerCli = 'docker';
  const dockerCliVersion = opts.systems.includes('swarm')
    ? await runOk(dockerCli, ['version', '--format', '{{.Client.Version}}'], 30_000).catch(
        () => null,
      )
    : null;
  const machine = machineInfo();
  // Other work on the shared root engine (e.g. other engineers' tests) is noise: recorded.
  const othersAtStart = (await rootApi.json<unknown[]>('/containers/json', 10_000).catch(() => []))
    .length;
  console.log(
    `converge: ${opts.replicas} replicas of ${TEST_BUSYBOX_IMAGE} \`${COMMAND.join(' ')}\`, ${opts.rounds} round(s), engine ${version.Version}, ${machine.cpus} cpus, load ${machine.loadavg_at_start.join(' ')}`,
  );

  installSignalHandlers();
  // A copy of the build: the working tree may be rebuilt meanwhile, and a daemon loads its
  // chunk (dist/chunks/daemon-<hash>.mjs) only when it starts.
  const cli = join(makeTempDir('shoal-bench-converge-dist-'), 'shoal.mjs');
  if (opts.systems.includes('shoal')) cpSync(opts.shoalDist, dirname(cli), { recursive: true });
  const ctx: Context = {
    opts,
    engineSocket: engine.socketPath,
    rootDocker,
    rootApi,
    cli,
    dockerCli,
    swarmEngineVersion: null,
  };
  const reports: Record<SystemName, SystemReport> = {
    shoal: { rounds: [], errors: [] },
    swarm: { rounds: [], errors: [] },
    raw: { rounds: [], errors: [] },
  };
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const system of opts.systems) {
        if (stopping) break;
        const result = await measureRound(ctx, system, round);
        reports[system].rounds.push(result);
        if (result.error) reports[system].errors.push(`round ${round}: ${result.error}`);
        await sleep(SETTLE_MS);
      }
    }
  } finally {
    removeTempDirs();
    rootApi.close();
  }

  const summary = summarize(reports);
  printSummary(opts, summary, reports);
  const errorOf = (name: SystemName) =>
    reports[name].errors.length > 0 ? reports[name].errors.join('\n') : undefined;
  const report = {
    benchmark: 'converge',
    date: new Date().toISOString(),
    replicas: opts.replicas,
    ...summary.figures,
    ...(errorOf('shoal') ? { shoal_error: errorOf('shoal') } : {}),
    ...(errorOf('swarm') ? { swarm_error: errorOf('swarm') } : {}),
    ...(errorOf('raw') ? { raw_parallel_error: errorOf('raw') } : {}),
    ratios: summary.ratios,
    targets: summary.targets,
    config: {
      rounds: opts.rounds,
      systems: opts.systems,
      image: TEST_BUSYBOX_IMAGE,
      command: COMMAND,
      poll_ms: opts.pollMs,
      raw_concurrency: opts.rawConcurrency,
      phase_timeout_s: opts.phaseTimeoutMs / 1000,
      shoal_dist: opts.shoalDist,
      ...(opts.note ? { note: opts.note } : {}),
      statistic: opts.rounds > 1 ? 'median over rounds' : 'single round',
    },
    engine: {
      version: version.Version,
      api_version: version.ApiVersion,
      swarm_engine_version: ctx.swarmEngineVersion,
      docker_cli_version: dockerCliVersion,
      root_engine_running_containers_at_start: othersAtStart,
    },
    machine,
    shoal: { milestones: summary.milestones.shoal, rounds: reports.shoal.rounds },
    swarm: { milestones: summary.milestones.swarm, rounds: reports.swarm.rounds },
    raw_parallel: { confirmed_running_s: summary.rawConfirmed, rounds: reports.raw.rounds },
  };
  const out = join(root, 'bench/results/converge.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
  return opts.systems.some((s) => reports[s].errors.length > 0) ? 1 : 0;
}
