// `npm run bench -- NAME [options]`: runs one benchmark. Each lives in bench/NAME/ and exports
// run(argv) → exit code, and usage. Loaded lazily so that one benchmark's dependencies never
// slow down or break another.
interface Benchmark {
  run(argv: string[]): Promise<number>;
  usage: string;
}

const benchmarks: Record<string, { about: string; load: () => Promise<Benchmark> }> = {
  raft: {
    about: "Shoal's Raft KV store vs etcd 3.4: writes/s, latency, failover time",
    load: () => import('./raft/index.ts'),
  },
  converge: {
    about: 'time for 100 replicas to run: Shoal vs Docker Swarm vs 100 parallel docker run',
    load: () => import('./converge/index.ts'),
  },
  mesh: {
    about: "HTTP through Shoal's routing mesh vs HAProxy (tcp mode) vs direct, with wrk",
    load: () => import('./mesh/index.ts'),
  },
};

function printUsage(): void {
  console.error('usage: npm run bench -- NAME [options]   (NAME --help for its options)\n');
  console.error('benchmarks:');
  for (const [name, b] of Object.entries(benchmarks))
    console.error(`  ${name.padEnd(10)} ${b.about}`);
}

const [name, ...rest] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : benchmarks[name];
if (!benchmark) {
  if (name !== undefined && name !== '--help' && name !== '-h') {
    console.error(`unknown benchmark "${name}"\n`);
  }
  printUsage();
  process.exit(name === '--help' || name === '-h' ? 0 : 2);
}
try {
  process.exitCode = await (await benchmark.load()).run(rest);
} catch (err) {
  console.error(`bench ${name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
// Open gRPC channels or timers must not keep a finished benchmark alive.
process.exit(process.exitCode);
