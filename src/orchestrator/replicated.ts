// The replicated orchestrator: keeps Replicas slots of a service filled, one wanted task per
// slot (two briefly during a start-first update):
//   - per task, the supervisor (supervise.ts) shuts down and replaces ended or stranded tasks;
//   - a slot whose last task ended without restart stays empty until the template changes;
//   - too few slots: new tasks in the lowest free slot numbers; too many: slots are removed,
//     those not running first, then those on the busiest nodes, then the highest numbers
//     (their tasks get desired state 'remove'; the reaper deletes them once stopped);
//   - tasks of an older template are replaced by the rolling updater (update.ts).
import type { Service, Task } from '../store/index.ts';
import { type OrchestratorContext, timestampOf } from './context.ts';
import type { Plan } from './plan.ts';
import { isStopping, releaseHeld, superviseTask } from './supervise.ts';
import { newTask } from './task-factory.ts';
import { byCreation, hasEnded, isWanted } from './task-states.ts';
import { isOutdated, rollingUpdate, type UpdateUnit } from './update.ts';

interface SlotView extends UpdateUnit {
  slot: number;
  /** The last task ended and is not replaced: the slot stays empty for this template. */
  retired: boolean;
}

function slotViews(service: Service, tasks: readonly Task[], ctx: OrchestratorContext, plan: Plan) {
  const bySlot = new Map<number, Task[]>();
  for (const task of tasks) {
    if (task.Slot === undefined) continue;
    const list = bySlot.get(task.Slot) ?? [];
    list.push(task);
    bySlot.set(task.Slot, list);
  }
  const views: SlotView[] = [];
  for (const [slot, slotTasks] of bySlot) {
    slotTasks.sort(byCreation);
    const wanted: Task[] = [];
    const stopping = slotTasks.filter((task) => isStopping(task, ctx));
    let retired = false;
    for (const task of slotTasks) {
      if (!isWanted(task)) continue;
      const outcome = superviseTask(task, service, ctx, plan, { slot });
      if (outcome.kind === 'retired') retired = true;
      else if (outcome.kind === 'wanted') wanted.push(outcome.task);
    }
    if (wanted.length === 0 && !retired) {
      // Every task of the slot was shut down before: the slot is retired if its last task
      // ended on its own under this template and nothing replaced it.
      const last = slotTasks[slotTasks.length - 1]!;
      retired = last.DesiredState === 'shutdown' && hasEnded(last) && !isOutdated(last, service);
    }
    if (wanted.length > 0 || retired) {
      releaseHeld(wanted, stopping, service, ctx, plan);
      views.push({ key: `slot ${slot}`, slot, wanted, stopping, retired });
    }
  }
  return views.sort((a, b) => a.slot - b.slot);
}

/** Slots in the order they are given up when scaling down. */
function removalOrder(views: SlotView[]): SlotView[] {
  const perNode = new Map<string, number>();
  for (const view of views) {
    for (const task of view.wanted) {
      if (task.NodeID) perNode.set(task.NodeID, (perNode.get(task.NodeID) ?? 0) + 1);
    }
  }
  const running = (view: SlotView) => view.wanted.some((t) => t.Status.State === 'running');
  const load = (view: SlotView) =>
    Math.max(0, ...view.wanted.map((t) => (t.NodeID ? (perNode.get(t.NodeID) ?? 0) : 0)));
  return [...views].sort((a, b) => {
    if (running(a) !== running(b)) return running(a) ? 1 : -1;
    if (load(a) !== load(b)) return load(b) - load(a);
    return b.slot - a.slot;
  });
}

export function reconcileReplicated(
  service: Service,
  tasks: readonly Task[],
  ctx: OrchestratorContext,
  plan: Plan,
): void {
  const replicas = service.Spec.Mode.Replicated?.Replicas ?? 0;
  const timestamp = timestampOf(ctx.now);
  let active = slotViews(service, tasks, ctx, plan);
  if (active.length > replicas) {
    const removed = new Set(removalOrder(active).slice(0, active.length - replicas));
    for (const view of removed) {
      for (const task of view.wanted) plan.update(task, { DesiredState: 'remove' });
    }
    active = active.filter((view) => !removed.has(view));
  }
  if (active.length < replicas) {
    const used = new Set(active.map((view) => view.slot));
    let next = 1;
    for (let missing = replicas - active.length; missing > 0; missing--) {
      while (used.has(next)) next++;
      used.add(next);
      plan.create(newTask({ id: ctx.newId(), service, slot: next, timestamp }), timestamp);
    }
  }
  rollingUpdate(
    {
      service,
      units: active.filter((view) => view.wanted.length > 0),
      tasks,
      replace: (unit, desired) => {
        const slot = (unit as SlotView).slot;
        plan.create(
          newTask({
            id: ctx.newId(),
            service: plan.service(service),
            slot,
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
