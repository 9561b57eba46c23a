// Task states in swarm's order and the questions every orchestrator asks of a task. A task's
// Status.State and DesiredState only move forward (src/store enforces nothing here; the
// dispatcher and the orchestrators do).
import { TASK_STATES, type Task, type TaskState } from '../store/index.ts';

const ORDER = new Map<TaskState, number>(TASK_STATES.map((state, index) => [state, index]));

export function stateIndex(state: TaskState): number {
  const index = ORDER.get(state);
  if (index === undefined) throw new Error(`unknown task state ${String(state)}`);
  return index;
}

/** `a` comes after `b` in swarm's order. */
export function isAfter(a: TaskState, b: TaskState): boolean {
  return stateIndex(a) > stateIndex(b);
}

/** The task ended, by itself or by being stopped: complete, shutdown, failed, rejected, ... */
export function hasEnded(task: Pick<Task, 'Status'>): boolean {
  return isAfter(task.Status.State, 'running');
}

/** The orchestrators still want it to run (or to get ready to run). */
export function isWanted(task: Pick<Task, 'DesiredState'>): boolean {
  return !isAfter(task.DesiredState, 'running');
}

/** Wanted and not ended: it holds (or will hold) its slot. */
export function isRunnable(task: Pick<Task, 'Status' | 'DesiredState'>): boolean {
  return isWanted(task) && !hasEnded(task);
}

/** Ended with an exit the restart condition 'on-failure' counts as a failure. */
export function endedInFailure(task: Pick<Task, 'Status'>): boolean {
  const state = task.Status.State;
  return state === 'failed' || state === 'rejected' || state === 'orphaned';
}

/** Creation order: CreatedAt, then ID (stable for equal timestamps). */
export function byCreation(a: Task, b: Task): number {
  if (a.CreatedAt !== b.CreatedAt) return a.CreatedAt < b.CreatedAt ? -1 : 1;
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}
