// Healthchecks of exec tasks, with Docker's rules (moby daemon/health.go): the status starts
// as "starting"; a probe runs every interval (the first one interval after the start); a
// passing probe (exit 0) makes the task healthy and resets the failing streak; a failing one
// (non-zero exit, timeout, or a probe that cannot start) adds to the streak unless the task is
// still starting within its start period, and `retries` failures in a row make it unhealthy.
// One probe at a time; a probe that outlives its timeout is killed with its process group;
// at most PROBE_OUTPUT_BYTES_MAX of its output is kept.
import { spawn } from 'node:child_process';
import type { Health } from './driver.ts';
import type { HealthPlan } from './exec-spec.ts';

export const PROBE_OUTPUT_BYTES_MAX = 4096;

/** The status arithmetic alone, pure. */
export class HealthTracker {
  private failingStreak = 0;

  constructor(
    private readonly plan: Pick<HealthPlan, 'retries' | 'startPeriodMs'>,
    /** When the task started (ms since the epoch). */
    private readonly startedAtMs: number,
    public status: Health = 'starting',
  ) {}

  /** The status after a probe that started at `probeStartMs` and passed or not. */
  record(passed: boolean, probeStartMs: number): Health {
    if (passed) {
      this.failingStreak = 0;
      this.status = 'healthy';
      return this.status;
    }
    const inStartPeriod =
      this.status === 'starting' && probeStartMs - this.startedAtMs < this.plan.startPeriodMs;
    if (!inStartPeriod) {
      this.failingStreak++;
      if (this.failingStreak >= this.plan.retries) this.status = 'unhealthy';
    }
    return this.status;
  }
}

export interface ProbeResult {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

export interface ProbeContext {
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

/** Runs one probe; never rejects (a probe that cannot start is a failing one). */
export function runProbe(
  argv: string[],
  context: ProbeContext,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const keep = (chunk: Buffer) => {
      if (output.length < PROBE_OUTPUT_BYTES_MAX) {
        output = (output + chunk.toString('utf8')).slice(0, PROBE_OUTPUT_BYTES_MAX);
      }
    };
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: context.cwd,
      env: context.env,
      uid: context.uid,
      gid: context.gid,
      // Its own process group, so a timeout kills whatever it started too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let settled = false;
    let forceTimer: NodeJS.Timeout | undefined;
    const settle = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(forceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      // Something that left the process group may hold the pipes open: do not wait on it.
      forceTimer = setTimeout(
        () =>
          settle({ exitCode: -1, output: `healthcheck timed out after ${timeoutMs} ms`, timedOut }),
        1000,
      );
    }, timeoutMs);
    child.once('error', (error) => {
      settle({ exitCode: -1, output: `cannot run healthcheck: ${error.message}`, timedOut });
    });
    child.once('close', (code, signal) => {
      settle({
        exitCode: code ?? (signal === null ? -1 : 128),
        output: timedOut ? `healthcheck timed out after ${timeoutMs} ms\n${output}` : output,
        timedOut,
      });
    });
  });
}

export interface HealthMonitorOptions {
  plan: HealthPlan;
  context: ProbeContext;
  startedAtMs: number;
  /** The status to resume from (an adopted task's last known one); default "starting". */
  initial?: Health;
  onChange: (status: Health, last: ProbeResult) => void;
}

/** Probes one task on its interval until stop(). */
export class HealthMonitor {
  private readonly tracker: HealthTracker;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  last: ProbeResult | undefined;

  constructor(private readonly options: HealthMonitorOptions) {
    this.tracker = new HealthTracker(options.plan, options.startedAtMs, options.initial);
    this.schedule();
  }

  get status(): Health {
    return this.tracker.status;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.probe(), this.options.plan.intervalMs);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    const startMs = Date.now();
    const result = await runProbe(
      this.options.plan.argv,
      this.options.context,
      this.options.plan.timeoutMs,
    );
    if (this.stopped) return;
    this.last = result;
    const before = this.tracker.status;
    const after = this.tracker.record(result.exitCode === 0 && !result.timedOut, startMs);
    if (after !== before) this.options.onChange(after, result);
    this.schedule();
  }
}
