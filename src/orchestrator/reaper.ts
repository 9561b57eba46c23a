// The task reaper: deletes tasks nobody needs any more.
//   - Tasks of a removed service, and tasks scaled away (desired 'remove'): once they stopped,
//     or when they never reached a node, or their node is gone or down (its agent drops
//     containers it is no longer assigned when it comes back).
//   - History: per slot (or per node for global services) at most the cluster's
//     TaskHistoryRetentionLimit tasks are kept, the oldest stopped ones deleted first
//     (swarmkit's rule; a negative limit keeps everything).
import type { Task } from '../store/index.ts';
import type { OrchestratorContext } from './context.ts';
import type { Plan } from './plan.ts';
import { byCreation, hasEnded, isWanted } from './task-states.ts';

function canGo(task: Task, ctx: OrchestratorContext): boolean {
  if (hasEnded(task) || task.NodeID === undefined) return true;
  const node = ctx.nodes.get(task.NodeID);
  return node === undefined || node.Status.State === 'down';
}

/** Tasks whose service is gone: stop them, delete what has stopped. */
export function reapOrphans(tasks: readonly Task[], ctx: OrchestratorContext, plan: Plan): void {
  for (const task of tasks) {
    if (canGo(task, ctx)) plan.delete(task);
    else if (task.DesiredState !== 'remove') plan.update(task, { DesiredState: 'remove' });
  }
}

/** Deletes removed tasks that stopped, and history beyond the limit. */
export function reapHistory(tasks: readonly Task[], ctx: OrchestratorContext, plan: Plan): void {
  const groups = new Map<string, Task[]>();
  for (const stored of tasks) {
    if (plan.isDeleted(stored)) continue;
    const task = plan.current(stored);
    if (task.DesiredState === 'remove') {
      if (canGo(task, ctx)) plan.delete(stored);
      continue;
    }
    const key = task.Slot !== undefined ? `slot ${task.Slot}` : `node ${task.NodeID ?? ''}`;
    const group = groups.get(key) ?? [];
    group.push(stored);
    groups.set(key, group);
  }
  const limit = ctx.historyLimit;
  if (limit < 0) return;
  for (const group of groups.values()) {
    if (group.length <= limit) continue;
    group.sort(byCreation);
    let excess = group.length - limit;
    const newest = group[group.length - 1];
    for (const stored of group) {
      if (excess === 0) break;
      const task = plan.current(stored);
      if (isWanted(task) || !canGo(task, ctx)) continue;
      // A job's completion is what tells the job orchestrator the slot is done.
      if (stored === newest && task.DesiredState === 'complete') continue;
      plan.delete(stored);
      excess--;
    }
  }
}
