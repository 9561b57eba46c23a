// One task on this node: drives its runtime object through swarm's states as the manager's
// desired state asks (swarmkit's exec.Do), reporting each state it reaches:
//   assigned → accepted → preparing (pull/check) → ready (prepared) → [desired running/complete]
//   starting → running (started; with a healthcheck only once healthy) → complete (exit 0,
//   "finished") or failed (non-zero exit, unhealthy, vanished); a refused prepare is rejected;
//   a desired state past complete stops it (stop signal, then SIGKILL after the grace period)
//   and reports shutdown. The runner never restarts a task: the orchestrator makes a new one.
// Steps run one at a time per task; new desired states and runtime events only kick the loop.
import { isAfter, stateIndex } from '../../orchestrator/task-states.ts';
import {
  type RunSpec,
  type RuntimeDriver,
  RuntimeError,
  type RuntimeStatus,
} from '../../runtime/driver.ts';
import type { Task, TaskState, TaskStatus } from '../../store/index.ts';

const DEFAULT_GRACE_MS = 10_000;

export interface TaskRunnerContext {
  /** The driver for this task's runtime, or an explanation of why none is available. */
  driver: RuntimeDriver | string;
  /** What the runtime has of the task already, when known (else the runner asks it). */
  runtime?: RuntimeStatus | null;
  spec: () => RunSpec;
  report: (taskId: string, status: TaskStatus) => void;
  now: () => number;
  log: (line: string) => void;
  /** Before a task is started: the mesh serves DNS and addresses on its networks. */
  beforeStart?: (spec: RunSpec) => Promise<void>;
  /** Before a running task is stopped: the mesh takes it out of rotation and drains it. */
  beforeStop?: (taskId: string, graceMs: number) => Promise<void>;
}

function hasHealthcheck(task: Task): boolean {
  const test = task.Spec.ContainerSpec?.Healthcheck?.Test;
  return test !== undefined && test.length > 0 && test[0] !== 'NONE';
}

export class TaskRunner {
  private task: Task;
  private status: TaskStatus;
  private runtime: RuntimeStatus | null = null;
  private busy = false;
  private again = false;
  private closed = false;

  constructor(
    task: Task,
    private readonly ctx: TaskRunnerContext,
  ) {
    this.task = task;
    this.status = task.Status;
    this.runtime = ctx.runtime ?? null;
  }

  get id(): string {
    return this.task.ID;
  }

  /** The manager's latest copy of the task. */
  get assigned(): Task {
    return this.task;
  }

  /** The driver running the task, or null when its runtime is missing on this node. */
  get driver(): RuntimeDriver | null {
    return typeof this.ctx.driver === 'string' ? null : this.ctx.driver;
  }

  current(): TaskStatus {
    return this.status;
  }

  /** What the runtime last said of the task (its address, for the mesh). */
  get runtimeStatus(): RuntimeStatus | null {
    return this.runtime;
  }

  /** The manager's latest copy of the task (its desired state). */
  update(task: Task): void {
    this.task = task;
    // The manager's copy may be further along (after an agent restart it is what we said).
    if (stateIndex(task.Status.State) > stateIndex(this.status.State)) this.status = task.Status;
    this.kick();
  }

  /** The runtime reported a change (exit, health). */
  observe(runtime: RuntimeStatus): void {
    this.runtime = runtime;
    this.kick();
  }

  /** Stops the loop; the task's runtime object is left as it is. */
  close(): void {
    this.closed = true;
  }

  /** The task left this node's set: stop and remove what it left behind. */
  async remove(): Promise<void> {
    this.closed = true;
    const driver = this.ctx.driver;
    if (typeof driver === 'string') return;
    if (this.status.State === 'running') await this.drain();
    await driver.stop(this.task.ID, this.graceMs());
    await driver.remove(this.task.ID);
  }

  kick(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      if (this.runtime === null && typeof this.ctx.driver !== 'string') {
        this.runtime = await this.ctx.driver.inspect(this.task.ID);
      }
      for (let steps = 0; steps < 20 && !this.closed; steps++) {
        this.again = false;
        const progressed = await this.step();
        if (!progressed && !this.again) break;
      }
    } catch (error) {
      this.ctx.log(`agent: task ${this.task.ID}: ${(error as Error).message}`);
    } finally {
      this.busy = false;
      if (this.again && !this.closed) this.kick();
    }
  }

  private report(state: TaskState, message: string, extra: Partial<TaskStatus> = {}): void {
    if (stateIndex(state) < stateIndex(this.status.State)) return;
    const status: TaskStatus = {
      Timestamp: new Date(this.ctx.now()).toISOString(),
      State: state,
      Message: message,
      ...extra,
    };
    const runtime = this.runtime;
    if (runtime && runtime.phase !== 'missing') {
      status.ContainerStatus = {
        ...(runtime.runtimeId ? { ContainerID: runtime.runtimeId } : {}),
        ...(runtime.pid ? { PID: runtime.pid } : {}),
        ...(runtime.exitCode !== undefined ? { ExitCode: runtime.exitCode } : {}),
      };
    }
    if (state === 'running' && runtime?.exposedPorts?.length) {
      status.ExposedPorts = [...runtime.exposedPorts];
    }
    if (state === 'running') {
      const hostPorts = (this.task.Endpoint?.Ports ?? []).filter(
        (port) => port.PublishMode === 'host' && port.PublishedPort,
      );
      if (hostPorts.length > 0) status.PortStatus = { Ports: hostPorts.map((p) => ({ ...p })) };
    }
    this.status = status;
    this.ctx.report(this.task.ID, status);
  }

  /** Out of rotation first; its open connections get up to the stop grace period. */
  private async drain(): Promise<void> {
    try {
      await this.ctx.beforeStop?.(this.task.ID, this.graceMs());
    } catch (error) {
      this.ctx.log(`agent: task ${this.task.ID}: draining: ${(error as Error).message}`);
    }
  }

  private graceMs(): number {
    const ns = this.task.Spec.ContainerSpec?.StopGracePeriod;
    return ns === undefined ? DEFAULT_GRACE_MS : Math.round(ns / 1e6);
  }

  /** One step towards what the manager wants; false when there is nothing to do now. */
  private async step(): Promise<boolean> {
    const state = this.status.State;
    const desired = this.task.DesiredState;
    if (isAfter(state, 'running')) return false; // ended: nothing more happens to it
    const driver = this.ctx.driver;
    if (isAfter(desired, 'complete')) {
      if (typeof driver !== 'string' && this.runtime && this.runtime.phase !== 'missing') {
        if (state === 'running') await this.drain();
        await driver.stop(this.task.ID, this.graceMs());
        this.runtime = await driver.inspect(this.task.ID);
      }
      this.report('shutdown', 'shutdown');
      return false;
    }
    if (typeof driver === 'string') {
      this.report('rejected', 'rejected', { Err: driver });
      return false;
    }
    switch (state) {
      case 'new':
      case 'pending':
      case 'assigned':
        this.report('accepted', 'accepted');
        return true;
      case 'accepted':
      case 'preparing': {
        this.report('preparing', 'preparing');
        try {
          await driver.prepare(this.ctx.spec());
        } catch (error) {
          this.report('rejected', 'preparing', { Err: (error as Error).message });
          return false;
        }
        this.report('ready', 'prepared');
        return true;
      }
      case 'ready':
        if (desired === 'ready') return false;
        this.report('starting', 'starting');
        return true;
      case 'starting':
        return this.starting(driver);
      case 'running':
        return this.running(driver);
      default:
        return false;
    }
  }

  private async starting(driver: RuntimeDriver): Promise<boolean> {
    const runtime = this.runtime;
    if (runtime === null || runtime.phase === 'missing' || runtime.phase === 'created') {
      try {
        const spec = this.ctx.spec();
        await this.ctx.beforeStart?.(spec);
        this.runtime = await driver.start(spec);
      } catch (error) {
        const retryable = error instanceof RuntimeError ? error.retryable : true;
        this.report(retryable ? 'failed' : 'rejected', 'starting', {
          Err: (error as Error).message,
        });
        return false;
      }
      return true;
    }
    if (runtime.phase === 'exited') return this.exited(runtime);
    if (!hasHealthcheck(this.task) || runtime.health === 'healthy') {
      this.report('running', 'started');
      return true;
    }
    if (runtime.health === 'unhealthy') return this.unhealthy(driver);
    return false; // health 'starting': wait for the runtime's next event
  }

  private async running(driver: RuntimeDriver): Promise<boolean> {
    const runtime = this.runtime;
    if (runtime === null) return false;
    if (runtime.phase === 'exited') return this.exited(runtime);
    if (runtime.phase === 'missing') {
      this.report('failed', 'started', { Err: 'task: the container was removed' });
      return false;
    }
    if (runtime.health === 'unhealthy') return this.unhealthy(driver);
    return false;
  }

  private exited(runtime: RuntimeStatus): boolean {
    const code = runtime.exitCode ?? -1;
    if (code === 0) {
      this.report('complete', 'finished');
    } else {
      const err = runtime.error ?? `task: non-zero exit (${code})`;
      this.report('failed', 'started', { Err: err });
    }
    return false;
  }

  private async unhealthy(driver: RuntimeDriver): Promise<boolean> {
    await driver.stop(this.task.ID, this.graceMs());
    this.runtime = await driver.inspect(this.task.ID);
    this.report('failed', 'started', { Err: 'task: container unhealthy' });
    return false;
  }
}
