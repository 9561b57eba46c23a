// The global orchestrator: one wanted task per eligible node. A node is eligible for a new task
// when it is ready, active and meets the service's constraints; a node keeps its task while it
// is not drained, not down and still meets the constraints (so a label removed from a node, or
// a drain, shuts the task down there). Ended tasks restart on the same node per policy; tasks
// of an older template are replaced node by node by the rolling updater.
import { matchesConstraints, parseConstraints } from '../scheduler/index.ts';
import type { Node, Service, Task } from '../store/index.ts';
import { nodeKeepsTasks, type OrchestratorContext, timestampOf } from './context.ts';
import type { Plan } from './plan.ts';
import { isStopping, releaseHeld, superviseTask } from './supervise.ts';
import { newTask } from './task-factory.ts';
import { byCreation, isWanted } from './task-states.ts';
import { isOutdated, rollingUpdate, type UpdateUnit } from './update.ts';

interface NodeView extends UpdateUnit {
  nodeId: string;
}

export function reconcileGlobal(
  service: Service,
  tasks: readonly Task[],
  ctx: OrchestratorContext,
  plan: Plan,
): void {
  const timestamp = timestampOf(ctx.now);
  const constraints = parseConstraints(service.Spec.TaskTemplate.Placement?.Constraints ?? []);
  const fits = (node: Node) => matchesConstraints(node, constraints);
  const byNode = new Map<string, Task[]>();
  for (const task of tasks) {
    if (task.NodeID === undefined) continue;
    const list = byNode.get(task.NodeID) ?? [];
    list.push(task);
    byNode.set(task.NodeID, list);
  }
  const units: NodeView[] = [];
  for (const [nodeId, nodeTasks] of byNode) {
    nodeTasks.sort(byCreation);
    const node = ctx.nodes.get(nodeId);
    const keep = nodeKeepsTasks(node) && node !== undefined && fits(node);
    const wanted: Task[] = [];
    for (const task of nodeTasks) {
      if (!isWanted(task)) continue;
      if (!keep) {
        plan.update(task, { DesiredState: 'shutdown' });
        continue;
      }
      const outcome = superviseTask(task, service, ctx, plan, { nodeId });
      if (outcome.kind === 'wanted') wanted.push(outcome.task);
    }
    if (wanted.length > 0) {
      const stopping = nodeTasks.filter((task) => isStopping(task, ctx));
      releaseHeld(wanted, stopping, service, ctx, plan);
      units.push({ key: `node ${nodeId}`, nodeId, wanted, stopping });
    }
  }
  const covered = new Set(byNode.keys());
  for (const node of ctx.nodes.values()) {
    if (covered.has(node.ID)) {
      // A node whose tasks all ended without restart keeps none; one that lost its task to a
      // drain gets a new one once it is active again.
      const hasWanted = units.some((unit) => unit.nodeId === node.ID);
      const history = byNode.get(node.ID) ?? [];
      const last = history[history.length - 1];
      const retired =
        last !== undefined &&
        last.DesiredState === 'shutdown' &&
        endedOnItsOwn(last) &&
        !isOutdated(last, service);
      if (hasWanted || retired) continue;
    }
    if (node.Status.State !== 'ready' || node.Spec.Availability !== 'active' || !fits(node))
      continue;
    plan.create(newTask({ id: ctx.newId(), service, nodeId: node.ID, timestamp }), timestamp);
  }
  rollingUpdate(
    {
      service,
      units,
      tasks,
      replace: (unit, desired) => {
        const nodeId = (unit as NodeView).nodeId;
        plan.create(
          newTask({
            id: ctx.newId(),
            service: plan.service(service),
            nodeId,
            desiredState: desired,
            timestamp,
          }),
          timestamp,
        );
      },
    },
    ctx,
    plan,
  );
}

/** The task completed or failed by itself (not stopped by the orchestrator for a reason). */
function endedOnItsOwn(task: Task): boolean {
  return (
    task.Status.State === 'complete' ||
    task.Status.State === 'failed' ||
    task.Status.State === 'rejected'
  );
}
