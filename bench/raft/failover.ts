// Failover time: SIGKILL the leader, then write to the survivors until one write is
// acknowledged. The time from the kill to that acknowledgement is what a client sees: failure
// detection, election, and the new leader committing.
//
// The client launches a new attempt every ATTEMPT_INTERVAL_MS (each with its own short
// deadline) without waiting for the previous one to finish, and stops at the first success.
// This makes the resolution ~ATTEMPT_INTERVAL_MS for both systems, although they fail
// differently while there is no leader: a Shoal follower answers NotLeader at once, while an
// etcd follower forwards the write to the dead leader and the attempt only ends at its
// deadline. Waiting for each attempt would add up to one deadline to etcd's figure only.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RaftCluster } from './cluster.ts';

export interface FailoverOptions {
  /** Deadline of each write attempt. */
  attemptTimeoutMs: number;
  /** A new attempt starts this often while none has succeeded. */
  attemptIntervalMs: number;
  /** Give up on a round after this long. */
  roundTimeoutMs: number;
  /** Restarting the killed member and waiting for it to catch up. */
  recoverTimeoutMs: number;
}

export interface FailoverSample {
  ms: number;
  killed: number;
  attempts: number;
  /** Failed attempts by kind (e.g. NotLeaderError, deadline exceeded). */
  failed: Record<string, number>;
}

/** One round: kill the leader, measure, restart it and wait until it caught up. */
export async function failoverRound(
  cluster: RaftCluster,
  opts: FailoverOptions,
): Promise<FailoverSample> {
  const killed = await cluster.leader(opts.recoverTimeoutMs);
  const survivors = Array.from({ length: cluster.size }, (_, i) => i).filter((i) => i !== killed);
  const prober = await cluster.prober(survivors, opts.attemptTimeoutMs);
  let sample: FailoverSample;
  try {
    const start = performance.now();
    const exited = cluster.kill(killed);
    sample = { ...(await writeUntilAcknowledged(prober, survivors, start, opts)), killed };
    await exited;
  } finally {
    prober.close();
  }
  await cluster.restart(killed, opts.recoverTimeoutMs);
  return sample;
}

async function writeUntilAcknowledged(
  prober: Awaited<ReturnType<RaftCluster['prober']>>,
  survivors: number[],
  start: number,
  opts: FailoverOptions,
): Promise<Omit<FailoverSample, 'killed'>> {
  const value = randomBytes(256);
  const failed: Record<string, number> = {};
  let attempts = 0;
  let target = survivors[0]!;
  // Bounded in-flight attempts: enough to keep one starting every interval.
  const maxInFlight = Math.ceil(opts.attemptTimeoutMs / opts.attemptIntervalMs) + 1;
  let inFlight = 0;

  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error: Error | null) => {
      done = true;
      clearInterval(timer);
      if (error) reject(error);
      else resolve({ ms: Math.round((performance.now() - start) * 10) / 10, attempts, failed });
    };
    const launch = () => {
      if (done) return;
      if (performance.now() - start > opts.roundTimeoutMs) {
        finish(
          new Error(
            `no write acknowledged within ${opts.roundTimeoutMs} ms of killing the leader (${attempts} attempts: ${JSON.stringify(failed)})`,
          ),
        );
        return;
      }
      if (inFlight >= maxInFlight) return;
      const member = target;
      inFlight++;
      attempts++;
      void prober.attempt(member, `bench/failover/${attempts}`, value).then((result) => {
        inFlight--;
        if (done) return;
        if (result.ok) {
          finish(null);
          return;
        }
        failed[result.error] = (failed[result.error] ?? 0) + 1;
        if (result.redirect !== undefined && survivors.includes(result.redirect)) {
          // A named leader among the survivors: go there now rather than at the next tick.
          if (target !== result.redirect) {
            target = result.redirect;
            launch();
          }
        } else if (target === member) {
          // No usable hint (unknown, or the dead leader): try the next survivor.
          target = survivors[(survivors.indexOf(member) + 1) % survivors.length]!;
        }
      });
    };
    const timer = setInterval(launch, opts.attemptIntervalMs);
    launch();
  });
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
