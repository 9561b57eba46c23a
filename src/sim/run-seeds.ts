// Runs many seeds of the simulation across worker threads (one per core by default).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SimulationResult } from './simulation.ts';

export interface RunSeedsOptions {
  start: number;
  count: number;
  faultyMs: number;
  quietMs: number;
  workers?: number;
  /** Stop handing out seeds after this wall-clock time. */
  deadlineMs?: number;
  onResult?: (result: SimulationResult) => void;
}

export interface RunSeedsSummary {
  done: number;
  failures: SimulationResult[];
  totals: Record<
    'operations' | 'committed' | 'elections' | 'crashes' | 'membershipChanges',
    number
  >;
}

export async function runSeeds(options: RunSeedsOptions): Promise<RunSeedsSummary> {
  const { start, count } = options;
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), count));
  const deadline = options.deadlineMs ?? Number.POSITIVE_INFINITY;
  const summary: RunSeedsSummary = {
    done: 0,
    failures: [],
    totals: { operations: 0, committed: 0, elections: 0, crashes: 0, membershipChanges: 0 },
  };
  let next = start;
  const one = () => {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
      workerData: { faultyMs: options.faultyMs, quietMs: options.quietMs },
    });
    return new Promise<void>((resolve, reject) => {
      const feed = () => {
        if (next >= start + count || Date.now() > deadline) {
          void worker.terminate().then(() => resolve());
          return;
        }
        worker.postMessage(next++);
      };
      worker.on('message', (result: SimulationResult) => {
        summary.done++;
        for (const key of Object.keys(summary.totals) as (keyof RunSeedsSummary['totals'])[]) {
          summary.totals[key] += result[key];
        }
        if (!result.ok) summary.failures.push(result);
        options.onResult?.(result);
        feed();
      });
      worker.on('error', reject);
      feed();
    });
  };
  await Promise.all(Array.from({ length: workers }, one));
  return summary;
}
