// The engine's own limit: N `docker run -d` at once against the root engine, through the
// Engine API (create, then start, as `docker run -d` does), every one in flight together on its
// own connection (or at most --raw-concurrency of them). Timed until every start is answered (the engine answers once the container
// runs), then checked with a container list; then every container force-removed at once, timed
// until the engine lists none. Containers carry a label of this run, by which tear-down finds
// whatever a failure left.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Dockerode from 'dockerode';
import { describeError } from '../../src/testkit/index.ts';
import { type EngineApi, PhaseTimeoutError, remainingMs, secondsBetween, sleep } from './engine.ts';
import { load1 } from './service-system.ts';

export const RAW_LABEL = 'shoal.bench.converge.raw';
const REQUEST_TIMEOUT_MS = 10_000;
/** After a failure, how long tear-down waits for requests still in flight. */
const STRAGGLERS_WAIT_MS = 60_000;

export interface RawOptions {
  replicas: number;
  /** Runs in flight at once: `replicas` for all at once. */
  concurrency: number;
  image: string;
  command: string[];
  pollMs: number;
  phaseTimeoutMs: number;
  log: (line: string) => void;
}

export interface RawRound {
  /** Every start answered: the figure. */
  run_s: number | null;
  /** The engine listed N running containers of the run (the first list after run_s). */
  confirmed_running_s: number | null;
  /** Every removal answered and the engine lists none: the figure. */
  remove_s: number | null;
  /** The machine's 1-minute load average before running and after removing. */
  loadavg_1m: [number, number | null];
  error?: string;
}

/** Bounds `work` by the phase deadline. */
function withDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PhaseTimeoutError(`raw parallel: ${what} not done in time`)),
      remainingMs(deadline),
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** One round against the engine on `engine.socketPath`. Never throws; cleans up after itself. */
export async function measureRaw(engine: EngineApi, opts: RawOptions): Promise<RawRound> {
  const result: RawRound = {
    run_s: null,
    confirmed_running_s: null,
    remove_s: null,
    loadavg_1m: [load1(), null],
  };
  const runId = randomBytes(4).toString('hex');
  const label = `${RAW_LABEL}=${runId}`;
  // Node's global agent: no socket limit, so N requests are in flight at once, as N
  // `docker run -d` processes would be. Not an agent of our own: docker-modem writes every
  // request's options, agent included, through util.inspect(depth: null) even with debugging
  // off, and an agent holding N sockets makes that cost more than the engine's work (measured:
  // 100 runs took 91 s with a keep-alive agent of our own, 24 s without).
  const docker = new Dockerode({ socketPath: engine.socketPath });
  // Every request of the round, so that tear-down waits for stragglers before sweeping.
  let inFlight: Promise<unknown> = Promise.resolve();
  try {
    let start = performance.now();
    let deadline = start + opts.phaseTimeoutMs;
    const runOne = async (i: number) => {
      const container = await docker.createContainer({
        name: `converge-raw-${runId}-${i + 1}`,
        Image: opts.image,
        Cmd: opts.command,
        Labels: { [RAW_LABEL]: runId },
        HostConfig: { RestartPolicy: { Name: 'no' } },
      });
      await container.start();
      return container.id;
    };
    // `concurrency` lanes, each running the next container once its previous one started.
    let next = 0;
    const lane = async () => {
      const started: string[] = [];
      while (next < opts.replicas) started.push(await runOne(next++));
      return started;
    };
    const lanes = Array.from({ length: Math.min(opts.concurrency, opts.replicas) }, lane);
    inFlight = Promise.allSettled(lanes);
    const ids = await withDeadline(
      Promise.all(lanes).then((started) => started.flat()),
      deadline,
      `${opts.replicas} containers started`,
    );
    result.run_s = secondsBetween(start, performance.now());
    for (;;) {
      const listed = await engine.containers(label, REQUEST_TIMEOUT_MS);
      if (listed.filter((c) => c.State === 'running').length >= opts.replicas) break;
      if (performance.now() >= deadline) {
        throw new PhaseTimeoutError(`raw parallel: ${opts.replicas} containers never all running`);
      }
      await sleep(opts.pollMs);
    }
    result.confirmed_running_s = secondsBetween(start, performance.now());
    opts.log(`${opts.replicas} containers running after ${result.run_s} s`);

    start = performance.now();
    deadline = start + opts.phaseTimeoutMs;
    const removals = ids.map((id) => docker.getContainer(id).remove({ force: true, v: true }));
    inFlight = Promise.allSettled(removals);
    await withDeadline(Promise.all(removals), deadline, `${opts.replicas} containers removed`);
    while ((await engine.containers(label, REQUEST_TIMEOUT_MS)).length > 0) {
      if (performance.now() >= deadline) {
        throw new PhaseTimeoutError('raw parallel: containers still listed after removal');
      }
      await sleep(opts.pollMs);
    }
    result.remove_s = secondsBetween(start, performance.now());
    result.loadavg_1m[1] = load1();
    opts.log(`${opts.replicas} containers removed after ${result.remove_s} s`);
  } catch (error) {
    result.error = describeError(error);
    opts.log(`FAILED: ${result.error}`);
  } finally {
    await Promise.race([inFlight, sleep(STRAGGLERS_WAIT_MS)]);
    try {
      await engine.removeContainers(label, 60_000);
    } catch (error) {
      opts.log(`tear-down: removing containers labelled ${label}: ${describeError(error)}`);
    }
  }
  return result;
}
