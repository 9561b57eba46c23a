// `npm run bench -- raft`: Shoal's Raft key-value store against etcd 3.4, 3 members each, as
// separate processes on loopback, in the same run on the same machine. Measures committed
// writes/s and latency at 1 and N concurrent clients, and failover time after SIGKILLing the
// leader. Prints a table and writes bench/results/raft.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  describeError,
  freePorts,
  installCleanupHandlers,
  makeTempDir,
  removeTempDirs,
  tail,
} from '../../src/testkit/index.ts';
import type { RaftCluster } from './cluster.ts';
import { EtcdCluster } from './etcd-cluster.ts';
import { type FailoverSample, failoverRound, median } from './failover.ts';
import { closedLoop, type LoadOptions, type LoadResult } from './load.ts';
import { ShoalCluster } from './shoal-cluster.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIZE = 3;
const START_TIMEOUT_MS = 30_000;
const WARMUP_MS = 1000;
// Failover client: short per-attempt deadlines, a new attempt every 20 ms (see failover.ts).
const FAILOVER = {
  attemptTimeoutMs: 250,
  attemptIntervalMs: 20,
  roundTimeoutMs: 30_000,
  recoverTimeoutMs: 60_000,
};

export const usage = `npm run bench -- raft [options]
  --duration-s N       seconds of each load phase (default 10)
  --failover-rounds N  leader kills per system (default 5)
  --clients N          concurrent clients of the second phase (default 64)
  --keys N             distinct keys written (default 1000)
  --value-bytes N      bytes per value (default 256)
  --systems LIST       which to run, comma separated (default shoal,etcd)`;

interface SystemResult {
  writes_per_s_c1?: number;
  p50_ms_c1?: number;
  p99_ms_c1?: number;
  failover_ms_median?: number;
  failover_ms_samples?: number[];
  load?: Record<string, LoadResult>;
  failover?: FailoverSample[];
  /** Set when the system could not be measured; the figures above may then be partial. */
  error?: string;
  [key: string]: unknown;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** etcd-server from Debian, installed by the project's idempotent set-up script if missing. */
function etcdVersion(): string {
  const version = () =>
    /etcd Version: (\S+)/.exec(execFileSync('etcd', ['--version'], { encoding: 'utf8' }))?.[1] ??
    'unknown';
  try {
    return version();
  } catch {
    execFileSync(process.execPath, [join(root, 'scripts/setup.mjs'), '--apt', 'etcd-server'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
    });
    return version();
  }
}

async function measure(
  cluster: RaftCluster,
  load: Omit<LoadOptions, 'clients'>,
  clients: number,
  rounds: number,
): Promise<SystemResult> {
  const result: SystemResult = {};
  const log = (line: string) => console.log(`[${cluster.name}] ${line}`);
  try {
    await cluster.start(START_TIMEOUT_MS);
    log('leader elected');
    const writer = await cluster.writer();
    try {
      // Unmeasured: connects the channel and warms the JIT and the members' caches.
      await closedLoop(writer, { ...load, clients: 1, durationMs: WARMUP_MS });
      const c1 = await closedLoop(writer, { ...load, clients: 1 });
      log(`c1: ${c1.writes_per_s} writes/s, p50 ${c1.p50_ms} ms, p99 ${c1.p99_ms} ms`);
      const cN = await closedLoop(writer, { ...load, clients });
      log(`c${clients}: ${cN.writes_per_s} writes/s, p50 ${cN.p50_ms} ms, p99 ${cN.p99_ms} ms`);
      for (const r of [c1, cN]) {
        if (r.errors > 0)
          log(`c${r.clients}: ${r.errors} errors: ${JSON.stringify(r.error_kinds)}`);
      }
      Object.assign(result, {
        writes_per_s_c1: c1.writes_per_s,
        p50_ms_c1: c1.p50_ms,
        p99_ms_c1: c1.p99_ms,
        [`writes_per_s_c${clients}`]: cN.writes_per_s,
        [`p50_ms_c${clients}`]: cN.p50_ms,
        [`p99_ms_c${clients}`]: cN.p99_ms,
        errors_c1: c1.errors,
        [`errors_c${clients}`]: cN.errors,
        load: { c1, [`c${clients}`]: cN },
      });
    } finally {
      writer.close();
    }
    const samples: FailoverSample[] = [];
    result.failover = samples;
    for (let round = 1; round <= rounds; round++) {
      const s = await failoverRound(cluster, FAILOVER);
      samples.push(s);
      log(`failover ${round}/${rounds}: ${s.ms} ms (killed member ${s.killed + 1})`);
    }
    result.failover_ms_samples = samples.map((s) => s.ms);
    result.failover_ms_median = Math.round(median(result.failover_ms_samples) * 10) / 10;
  } catch (err) {
    result.error = describeError(err);
    log(`FAILED: ${result.error}`);
    for (const file of cluster.logFiles()) console.log(`--- ${file}\n${tail(file)}`);
  } finally {
    await cluster.stop();
  }
  return result;
}

function machineInfo(etcd: string) {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
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
    etcd_version: etcd,
    shoal_version: pkg.version,
    git_commit: commit,
    data_dir_root: tmpdir(),
  };
}

function printTable(shoal: SystemResult, etcd: SystemResult, clients: number): void {
  const rows: [string, string, 'higher' | 'lower'][] = [
    ['writes/s, 1 client', 'writes_per_s_c1', 'higher'],
    ['p50 ms, 1 client', 'p50_ms_c1', 'lower'],
    ['p99 ms, 1 client', 'p99_ms_c1', 'lower'],
    [`writes/s, ${clients} clients`, `writes_per_s_c${clients}`, 'higher'],
    [`p50 ms, ${clients} clients`, `p50_ms_c${clients}`, 'lower'],
    [`p99 ms, ${clients} clients`, `p99_ms_c${clients}`, 'lower'],
    ['failover ms, median', 'failover_ms_median', 'lower'],
  ];
  const fmt = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? String(x) : '-');
  const table = rows.map(([label, key, better]) => {
    const a = shoal[key];
    const b = etcd[key];
    const ratio = typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : Number.NaN;
    return [label, fmt(a), fmt(b), fmt(Math.round(ratio * 100) / 100), `${better} is better`];
  });
  const header = ['metric', 'shoal', 'etcd', 'shoal/etcd', 'direction'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const r of table) console.log(line(r));
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'duration-s': { type: 'string', default: '10' },
      'failover-rounds': { type: 'string', default: '5' },
      clients: { type: 'string', default: '64' },
      keys: { type: 'string', default: '1000' },
      'value-bytes': { type: 'string', default: '256' },
      systems: { type: 'string', default: 'shoal,etcd' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const durationS = positiveInt('duration-s', values['duration-s']);
  const rounds = positiveInt('failover-rounds', values['failover-rounds']);
  const clients = positiveInt('clients', values.clients);
  const load = {
    durationMs: durationS * 1000,
    keys: positiveInt('keys', values.keys),
    valueBytes: positiveInt('value-bytes', values['value-bytes']),
  };
  const systems = values.systems.split(',').filter(Boolean);
  for (const s of systems) {
    if (s !== 'shoal' && s !== 'etcd') throw new Error(`--systems: unknown system "${s}"`);
  }
  const cli = join(root, 'dist/shoal.mjs');
  if (systems.includes('shoal') && !existsSync(cli)) {
    throw new Error(`${cli} is missing: run \`npm run build\` first`);
  }
  const etcd = systems.includes('etcd') ? etcdVersion() : 'not run';

  installCleanupHandlers();
  const results: Record<string, SystemResult> = {};
  try {
    // One system at a time, so that neither competes with the other for CPU or disk.
    for (const system of systems) {
      const dir = makeTempDir(`shoal-bench-raft-${system}-`);
      const ports = await freePorts(2 * SIZE);
      const cluster: RaftCluster =
        system === 'shoal' ? new ShoalCluster(dir, ports, cli) : new EtcdCluster(dir, ports);
      results[system] = await measure(cluster, load, clients, rounds);
    }
  } finally {
    removeTempDirs();
  }

  const shoal = results.shoal ?? {};
  const etcdResult = results.etcd ?? {};
  printTable(shoal, etcdResult, clients);
  const ratios: Record<string, number | null> = {};
  for (const key of Object.keys(shoal)) {
    const a = shoal[key];
    const b = etcdResult[key];
    if (key.startsWith('errors_') || typeof a !== 'number' || typeof b !== 'number') continue;
    ratios[key] = b === 0 ? null : Math.round((a / b) * 1000) / 1000;
  }
  const out = join(root, 'bench/results/raft.json');
  mkdirSync(dirname(out), { recursive: true });
  const report = {
    benchmark: 'raft',
    timestamp: new Date().toISOString(),
    config: {
      duration_s: durationS,
      warmup_s: WARMUP_MS / 1000,
      clients_c1: 1,
      clients_cN: clients,
      keys: load.keys,
      value_bytes: load.valueBytes,
      failover_rounds: rounds,
      failover_attempt_timeout_ms: FAILOVER.attemptTimeoutMs,
      failover_attempt_interval_ms: FAILOVER.attemptIntervalMs,
      members: SIZE,
      heartbeat_ms: 100,
      election_timeout_ms: 1000,
    },
    machine: machineInfo(etcd),
    ratios_shoal_over_etcd: ratios,
    ...results,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
  return Object.values(results).some((r) => r.error) ? 1 : 0;
}
