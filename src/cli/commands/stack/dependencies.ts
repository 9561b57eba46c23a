// Shoal's depends_on at deploy time: before a service is created or updated, each of its
// dependencies must have running tasks (service_started), healthy ones (service_healthy: on
// Shoal a task with a healthcheck is RUNNING only once healthy, and the compose loader made sure
// the dependency has one), or completed ones (service_completed_successfully, for jobs).
// `dependencyStatus` is the pure check; `waitForDependency` polls /tasks with a deadline.
import type { DependencyCondition } from '../../../compose/index.ts';
import type { Service, Task } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import { type Daemon, filtersQuery } from '../service/index.ts';

/** How long a dependent waits for one dependency before the deploy stops with an error. */
export const DEPENDENCY_WAIT_MS = 5 * 60_000;
export const DEPENDENCY_POLL_MS = 500;

export interface DependencyStatus {
  satisfied: boolean;
  /** What was seen, for the progress line and the timeout error ("1/2 running"). */
  detail: string;
}

function wanted(service: Service, tasks: readonly Task[]): number {
  const mode = service.Spec.Mode;
  if (mode.Replicated) return mode.Replicated.Replicas;
  if (mode.ReplicatedJob) return mode.ReplicatedJob.TotalCompletions;
  // Global services: one per node the orchestrator placed a task on.
  return Math.max(1, tasks.filter((task) => task.DesiredState !== 'shutdown').length);
}

/** Whether the service's current tasks satisfy the condition. */
export function dependencyStatus(
  condition: DependencyCondition,
  service: Service,
  tasks: readonly Task[],
): DependencyStatus {
  const own = tasks.filter((task) => task.ServiceID === service.ID);
  const target = wanted(service, own);
  if (condition === 'service_completed_successfully') {
    const complete = own.filter((task) => task.Status.State === 'complete').length;
    return {
      satisfied: complete >= Math.max(1, target),
      detail: `${complete}/${Math.max(1, target)} completed`,
    };
  }
  const running = own.filter(
    (task) => task.DesiredState === 'running' && task.Status.State === 'running',
  ).length;
  const word = condition === 'service_healthy' ? 'healthy' : 'running';
  return { satisfied: running >= target, detail: `${running}/${target} ${word}` };
}

function lastError(tasks: readonly Task[]): string {
  const failed = tasks
    .filter((task) => task.Status.Err)
    .sort((a, b) => Date.parse(b.Status.Timestamp) - Date.parse(a.Status.Timestamp))[0];
  return failed ? `; last task error: ${failed.Status.Err}` : '';
}

export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: WaitClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Polls until the condition holds; throws CliError naming both services after the deadline. */
export async function waitForDependency(
  daemon: Daemon,
  dependent: string,
  dependency: Service,
  condition: DependencyCondition,
  clock: WaitClock,
  deadlineMs = DEPENDENCY_WAIT_MS,
): Promise<void> {
  const started = clock.now();
  let status: DependencyStatus = { satisfied: false, detail: 'no tasks yet' };
  let tasks: Task[] = [];
  for (;;) {
    tasks = await daemon.call<Task[]>('GET', '/tasks', {
      query: { filters: filtersQuery({ service: [dependency.ID] }) },
    });
    status = dependencyStatus(condition, dependency, tasks);
    if (status.satisfied) return;
    if (clock.now() - started >= deadlineMs) break;
    await clock.sleep(DEPENDENCY_POLL_MS);
  }
  throw new CliError(
    `service ${dependent} depends on ${dependency.Spec.Name} (${condition}), which is not ready after ${Math.round(deadlineMs / 1000)}s: ${status.detail}${lastError(tasks)}`,
  );
}
