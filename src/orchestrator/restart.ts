// The restart supervisor's decision for a task that ended while still wanted: replace it or
// not, after which delay, and the failure history the replacement carries (so MaxAttempts
// holds across replacements and leader changes, unlike swarmkit's in-memory history).
import type { Service, Task } from '../store/index.ts';
import { endedInFailure } from './task-states.ts';

/** Docker's defaults: restart on any exit, 5 s apart, forever. */
export const DEFAULT_RESTART_DELAY_NS = 5_000_000_000;

export interface RestartDecision {
  restart: boolean;
  /** Milliseconds to hold the replacement back ('ready' until then). */
  delayMs: number;
  /** Failure times within the window, the replacement's RestartHistory. */
  history: string[];
}

function isJob(service: Service): boolean {
  return service.Spec.Mode.ReplicatedJob !== undefined || service.Spec.Mode.GlobalJob !== undefined;
}

export function restartPolicy(service: Service) {
  const policy = service.Spec.TaskTemplate.RestartPolicy ?? {};
  return {
    // Jobs run to completion: they restart on failure only.
    condition: policy.Condition ?? (isJob(service) ? 'on-failure' : 'any'),
    delayMs: Math.max(0, Math.round((policy.Delay ?? DEFAULT_RESTART_DELAY_NS) / 1e6)),
    maxAttempts: policy.MaxAttempts ?? 0,
    windowMs: Math.max(0, Math.round((policy.Window ?? 0) / 1e6)),
  };
}

/**
 * For a task that ended (complete, failed, rejected, ...) while its desired state was still
 * running. `now` in ms.
 */
export function restartDecision(task: Task, service: Service, now: number): RestartDecision {
  const policy = restartPolicy(service);
  const failed = endedInFailure(task) || (task.Status.ContainerStatus?.ExitCode ?? 0) !== 0;
  const windowStart = policy.windowMs > 0 ? now - policy.windowMs : Number.NEGATIVE_INFINITY;
  const history = (task.RestartHistory ?? []).filter((at) => Date.parse(at) >= windowStart);
  history.push(task.Status.Timestamp);
  // Bounded: only the last MaxAttempts matter (or a few when unlimited, for `inspect`).
  const keep = policy.maxAttempts > 0 ? policy.maxAttempts : 10;
  const bounded = history.slice(-keep);
  const no = { restart: false, delayMs: 0, history: bounded };
  if (policy.condition === 'none') return no;
  if (policy.condition === 'on-failure' && !failed) return no;
  if (policy.maxAttempts > 0 && history.length > policy.maxAttempts) return no;
  return { restart: true, delayMs: policy.delayMs, history: bounded };
}
