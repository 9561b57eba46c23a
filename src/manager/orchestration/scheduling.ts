// The scheduler's pass on the leader: reads pending tasks from the store, asks the pure
// scheduler (src/scheduler) where they go, and turns the decisions into task changes. Tasks
// whose node is fixed (global services) are checked against that node alone. A reason why a
// task fits nowhere is written only when it changed, so an unschedulable task costs no writes
// while nothing changes.

import { hasEnded, PENDING_MESSAGE } from '../../orchestrator/index.ts';
import { schedule } from '../../scheduler/index.ts';
import type { Change, Service, Store, Task } from '../../store/index.ts';

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';

/** Tasks that hold resources and ports on their node (not yet when still new or pending). */
function holdsNode(task: Task): boolean {
  const waiting = task.Status.State === 'new' || task.Status.State === 'pending';
  return task.NodeID !== undefined && !waiting && !hasEnded(task);
}

function isSchedulable(task: Task): boolean {
  return (
    task.Status.State === 'pending' &&
    (task.DesiredState === 'running' ||
      task.DesiredState === 'ready' ||
      task.DesiredState === 'complete')
  );
}

export function planScheduling(store: Store, timestamp: string, random: () => number): Change[] {
  const pending = store.find('tasks', (task) => isSchedulable(task));
  if (pending.length === 0) return [];
  const nodes = store.list('nodes');
  const placed = store.find('tasks', holdsNode);
  // Every service: placed tasks' host ports come from their services' endpoints.
  const services = new Map<string, Service>(store.list('services').map((s) => [s.ID, s]));
  const byId = new Map(pending.map((task) => [task.ID, task]));
  const changes: Change[] = [];
  // Tasks with a NodeID (global services) are checked against that node only.
  const decisions = schedule({ nodes, placed, pending, services, random });
  for (const { taskId, nodeId } of decisions.placed) {
    const task = byId.get(taskId)!;
    changes.push({
      kind: 'update',
      table: 'tasks',
      expectedVersion: task.Version.Index,
      object: {
        ...task,
        NodeID: nodeId,
        Status: { Timestamp: timestamp, State: 'assigned', Message: ASSIGNED_MESSAGE },
      },
    });
  }
  for (const { taskId, reason } of decisions.unplaced) {
    // Written only when the reason changed: an unschedulable task costs nothing while idle.
    const task = byId.get(taskId)!;
    if (task.Status.Err === reason) continue;
    changes.push({
      kind: 'update',
      table: 'tasks',
      expectedVersion: task.Version.Index,
      object: {
        ...task,
        Status: { ...task.Status, Timestamp: timestamp, Message: PENDING_MESSAGE, Err: reason },
      },
    });
  }
  return changes;
}
