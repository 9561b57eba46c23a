// Jobs (replicated-job, global-job): tasks that run to completion, desired state 'complete'.
// A job iteration (Service.JobStatus.JobIteration, bumped by every update of the service)
// owns its tasks; tasks of older iterations that still run are shut down.
//   - replicated-job: TotalCompletions successful tasks, at most MaxConcurrent at a time;
//   - global-job: one successful task per eligible node (ready, active, meeting constraints);
//   - a failed task is replaced per restart policy (default on-failure), in its slot or node.
import { matchesConstraints, parseConstraints } from '../scheduler/index.ts';
import type { Service, Task } from '../store/index.ts';
import { isOnLostNode, type OrchestratorContext, timestampOf } from './context.ts';
import type { Plan } from './plan.ts';
import { restartDecision, restartPolicy } from './restart.ts';
import { newTask } from './task-factory.ts';
import { hasEnded } from './task-states.ts';

function iterationOf(service: Service): number {
  return service.JobStatus?.JobIteration.Index ?? 0;
}

/** A job task still meant to run to completion (desired 'ready' or 'complete'). */
function isPursued(task: Task): boolean {
  return task.DesiredState === 'complete' || task.DesiredState === 'ready';
}

/**
 * Supervises the current iteration's tasks; returns the keys (slot or node) that are done or
 * busy, so the caller only starts tasks elsewhere.
 */
function supervise(
  service: Service,
  tasks: readonly Task[],
  ctx: OrchestratorContext,
  plan: Plan,
  keyOf: (task: Task) => string,
) {
  const iteration = iterationOf(service);
  const done = new Set<string>();
  const busy = new Set<string>();
  const timestamp = timestampOf(ctx.now);
  for (const task of tasks) {
    const current = (task.JobIteration?.Index ?? 0) === iteration;
    if (!current) {
      if (!hasEnded(task) && task.DesiredState !== 'shutdown' && task.DesiredState !== 'remove') {
        plan.update(task, { DesiredState: 'shutdown' });
      }
      continue;
    }
    const key = keyOf(task);
    if (task.Status.State === 'complete') {
      done.add(key);
      continue;
    }
    if (!isPursued(task)) continue;
    if (task.DesiredState === 'ready') {
      const due = Date.parse(task.CreatedAt) + restartPolicy(service).delayMs;
      if (ctx.now >= due) plan.update(task, { DesiredState: 'complete' });
      else plan.wake(due);
      busy.add(key);
      continue;
    }
    const lost = isOnLostNode(task, ctx.nodes);
    if (!hasEnded(task) && !lost) {
      busy.add(key);
      continue;
    }
    plan.update(task, { DesiredState: 'shutdown' });
    if (lost) continue; // started again elsewhere (replicated) or not at all (global)
    const decision = restartDecision(task, service, ctx.now);
    if (!decision.restart) {
      done.add(key); // failed for good: counts as finished, as swarm does
      continue;
    }
    plan.create(
      newTask({
        id: ctx.newId(),
        service,
        slot: task.Slot,
        nodeId: service.Spec.Mode.GlobalJob !== undefined ? task.NodeID : undefined,
        desiredState: decision.delayMs > 0 ? 'ready' : 'complete',
        timestamp,
        restartHistory: decision.history,
      }),
      timestamp,
    );
    if (decision.delayMs > 0) plan.wake(ctx.now + decision.delayMs);
    busy.add(key);
  }
  return { done, busy };
}

export function reconcileReplicatedJob(
  service: Service,
  tasks: readonly Task[],
  ctx: OrchestratorContext,
  plan: Plan,
): void {
  const job = service.Spec.Mode.ReplicatedJob!;
  const total = job.TotalCompletions ?? 1;
  const maxConcurrent = job.MaxConcurrent || total;
  const { done, busy } = supervise(service, tasks, ctx, plan, (task) => String(task.Slot ?? 0));
  const timestamp = timestampOf(ctx.now);
  let room = Math.min(maxConcurrent - busy.size, total - done.size - busy.size);
  // Job slots count from 0, as swarmkit's (the docker CLI shows slot+1 of N).
  for (let slot = 0; slot < total && room > 0; slot++) {
    const key = String(slot);
    if (done.has(key) || busy.has(key)) continue;
    plan.create(
      newTask({ id: ctx.newId(), service, slot, desiredState: 'complete', timestamp }),
      timestamp,
    );
    room--;
  }
}

export function reconcileGlobalJob(
  service: Service,
  tasks: readonly Task[],
  ctx: OrchestratorContext,
  plan: Plan,
): void {
  const { done, busy } = supervise(service, tasks, ctx, plan, (task) => task.NodeID ?? '');
  const constraints = parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints ?? []);
  const timestamp = timestampOf(ctx.now);
  for (const node of ctx.nodes.values()) {
    if (done.has(node.ID) || busy.has(node.ID)) continue;
    if (node.Status.State !== 'ready' || node.Spec.Availability !== 'active') continue;
    if (!matchesConstraints(node, constraints)) continue;
    plan.create(
      newTask({ id: ctx.newId(), service, nodeId: node.ID, desiredState: 'complete', timestamp }),
      timestamp,
    );
  }
}
