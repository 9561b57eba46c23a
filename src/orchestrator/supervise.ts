// The per-task part every service orchestrator shares: a wanted task that ended is shut down
// and (per its restart policy) replaced; a wanted task on a lost node is shut down and replaced
// at once; a replacement held 'ready' is released once its restart delay passed, or, for an
// update's stop-first replacement, once the task it replaces stopped.
import { matchesConstraints, parseConstraints } from '../scheduler/index.ts';
import type { Service, Task } from '../store/index.ts';
import { isOnLostNode, type OrchestratorContext, timestampOf } from './context.ts';
import type { Plan } from './plan.ts';
import { restartDecision, restartPolicy } from './restart.ts';
import { newTask } from './task-factory.ts';
import { hasEnded, isWanted } from './task-states.ts';

export interface Placement {
  slot?: number;
  nodeId?: string;
}

/** What became of a wanted task: still wanted (itself or its replacement), or retired. */
export type Supervised = { kind: 'wanted'; task: Task } | { kind: 'retired' } | { kind: 'gone' };

export function superviseTask(
  task: Task,
  service: Service,
  ctx: OrchestratorContext,
  plan: Plan,
  where: Placement,
): Supervised {
  const timestamp = timestampOf(ctx.now);
  if (hasEnded(task)) {
    plan.update(task, { DesiredState: 'shutdown' });
    const decision = restartDecision(task, service, ctx.now);
    if (!decision.restart) return { kind: 'retired' };
    const replacement = plan.create(
      newTask({
        id: ctx.newId(),
        service,
        ...where,
        desiredState: decision.delayMs > 0 ? 'ready' : 'running',
        timestamp,
        restartHistory: decision.history,
      }),
      timestamp,
    );
    if (decision.delayMs > 0) plan.wake(ctx.now + decision.delayMs);
    return { kind: 'wanted', task: replacement };
  }
  if (isOnLostNode(task, ctx.nodes) || violatesConstraints(task, service, ctx)) {
    plan.update(task, { DesiredState: 'shutdown' });
    // A global task belongs to its node: the global orchestrator decides about that node.
    if (where.nodeId !== undefined) return { kind: 'gone' };
    const replacement = plan.create(
      newTask({ id: ctx.newId(), service, ...where, timestamp }),
      timestamp,
    );
    return { kind: 'wanted', task: replacement };
  }
  return { kind: 'wanted', task };
}

/**
 * Swarmkit's constraint enforcer: a task whose node no longer meets the service's placement
 * constraints (a label removed, a role changed) is shut down and placed again.
 */
function violatesConstraints(task: Task, service: Service, ctx: OrchestratorContext): boolean {
  const expressions = service.Spec.TaskTemplate.Placement?.Constraints ?? [];
  if (expressions.length === 0 || task.NodeID === undefined) return false;
  const node = ctx.nodes.get(task.NodeID);
  if (node === undefined) return false;
  return !matchesConstraints(node, parseConstraints(expressions));
}

/** Tasks shut down by the orchestrator that have not stopped yet, on nodes still alive. */
export function isStopping(task: Task, ctx: OrchestratorContext): boolean {
  return (
    !isWanted(task) &&
    !hasEnded(task) &&
    task.NodeID !== undefined &&
    !isOnLostNode(task, ctx.nodes)
  );
}

/** Releases a unit's tasks held 'ready' whose wait is over. */
export function releaseHeld(
  wanted: readonly Task[],
  stopping: readonly Task[],
  service: Service,
  ctx: OrchestratorContext,
  plan: Plan,
): void {
  for (const task of wanted) {
    const current = plan.current(task);
    if (current.DesiredState !== 'ready') continue;
    if ((current.RestartHistory?.length ?? 0) > 0) {
      const due = Date.parse(current.CreatedAt) + restartPolicy(service).delayMs;
      if (ctx.now >= due) plan.update(task, { DesiredState: 'running' });
      else plan.wake(due);
    } else if (stopping.length === 0) {
      plan.update(task, { DesiredState: 'running' });
    }
  }
}
