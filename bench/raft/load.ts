// The closed-loop load generator shared by both systems: N clients, each sending its next write
// as soon as the previous one is acknowledged, for a fixed duration. Closed loop, so that
// throughput and latency are those of the system at the given concurrency, not of a queue.
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeError } from '../../src/testkit/index.ts';

/** Sends one write and resolves once the system acknowledges it as committed. */
export interface Writer {
  put(key: string, value: Buffer): Promise<void>;
  close(): void;
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  keys: number;
  valueBytes: number;
}

export interface LoadResult {
  clients: number;
  duration_ms: number;
  /** From the first write sent to the last one acknowledged (late ones included). */
  elapsed_ms: number;
  writes: number;
  errors: number;
  /** Error description → count, so that misbehaviour is reported as it was seen. */
  error_kinds: Record<string, number>;
  writes_per_s: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

/** Exact percentiles over every sample: a run holds at most a few hundred thousand. */
export class LatencyRecorder {
  private readonly samples: number[] = [];

  record(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  /** Nearest-rank percentile, p in (0, 100]; NaN without samples. */
  percentiles(ps: number[]): number[] {
    const sorted = Float64Array.from(this.samples).sort();
    return ps.map((p) => {
      if (sorted.length === 0) return Number.NaN;
      const rank = Math.ceil((p / 100) * sorted.length);
      return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
    });
  }

  mean(): number {
    if (this.samples.length === 0) return Number.NaN;
    return this.samples.reduce((a, b) => a + b, 0) / this.samples.length;
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export async function closedLoop(writer: Writer, opts: LoadOptions): Promise<LoadResult> {
  // One random value for every write: neither system compresses, and generating 256 random
  // bytes per write would be load on this process rather than on the system under test.
  const value = randomBytes(opts.valueBytes);
  const latencies = new LatencyRecorder();
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  const start = performance.now();
  const end = start + opts.durationMs;

  const client = async () => {
    while (performance.now() < end) {
      const key = `bench/${randomInt(opts.keys)}`;
      const sent = performance.now();
      try {
        await writer.put(key, value);
        latencies.record(performance.now() - sent);
      } catch (err) {
        errors++;
        const kind = describeError(err);
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        // A member that fails fast would otherwise turn this loop into a busy spin.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));

  const elapsed = performance.now() - start;
  const [p50, p90, p99, max] = latencies.percentiles([50, 90, 99, 100]);
  return {
    clients: opts.clients,
    duration_ms: opts.durationMs,
    elapsed_ms: round2(elapsed),
    writes: latencies.count,
    errors,
    error_kinds: errorKinds,
    writes_per_s: round2((latencies.count * 1000) / elapsed),
    p50_ms: round2(p50!),
    p90_ms: round2(p90!),
    p99_ms: round2(p99!),
    max_ms: round2(max!),
    mean_ms: round2(latencies.mean()),
  };
}
