// `npm run sim -- --seeds N`: runs N seeded simulations across worker threads and prints the
// seed and the exact replay command of any failure. `--seed S --trace` replays one verbosely.
import { parseArgs } from 'node:util';
import { runSeeds } from './run-seeds.ts';
import { Simulation } from './simulation.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10000' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
    workers: { type: 'string' },
    'faulty-ms': { type: 'string', default: '4000' },
    'quiet-ms': { type: 'string', default: '3000' },
    'max-minutes': { type: 'string', default: '30' },
  },
});

const faultyMs = Number(values['faulty-ms']);
const quietMs = Number(values['quiet-ms']);

function replayCommand(seed: number): string {
  return `npm run sim -- --seed ${seed} --faulty-ms ${faultyMs} --quiet-ms ${quietMs} --trace`;
}

if (values.seed !== undefined) {
  const seed = Number(values.seed);
  const trace = values.trace ? (line: string) => console.log(line) : undefined;
  const result = new Simulation({ seed, faultyMs, quietMs, ...(trace ? { trace } : {}) }).run();
  const { error, ...figures } = result;
  console.log(JSON.stringify(figures));
  if (error) {
    console.error(`seed ${seed} FAILED: ${error}`);
    process.exit(1);
  }
  process.exit(0);
}

const count = Number(values.seeds);
const startedAt = Date.now();
const summary = await runSeeds({
  start: Number(values.start),
  count,
  faultyMs,
  quietMs,
  ...(values.workers ? { workers: Number(values.workers) } : {}),
  deadlineMs: startedAt + Number(values['max-minutes']) * 60_000,
  onResult: (result) => {
    if (result.seed % 1000 === 0) console.log(`... seed ${result.seed}`);
    if (!result.ok) {
      console.error(`seed ${result.seed} FAILED: ${result.error}`);
      console.error(`  replay: ${replayCommand(result.seed)}`);
    }
  },
});
const { done, failures, totals } = summary;
const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
console.log(
  `${done} seeds in ${seconds}s: ${failures.length} failed; ${totals.operations} client operations, ` +
    `${totals.committed} committed entries, ${totals.elections} elections, ${totals.crashes} crashes, ` +
    `${totals.membershipChanges} membership changes`,
);
if (done < count) console.log(`stopped after ${values['max-minutes']} minutes (--max-minutes)`);
process.exit(failures.length > 0 ? 1 : 0);
