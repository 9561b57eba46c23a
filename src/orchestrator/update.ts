// The rolling updater: replaces the tasks of an older task template, a few units (slots, or
// nodes for global services) at a time, as swarmkit's updater does, from the store's state
// alone so a new leader carries on where the old one stopped:
//   - at most Parallelism units in progress (0: all), Delay between batches;
//   - stop-first: the old task is shut down and its replacement held 'ready' until it stopped;
//     start-first: the replacement runs first, then the old task is shut down;
//   - replacement tasks that fail during the update are failures; over MaxFailureRatio the
//     FailureAction applies: pause, continue, or rollback to PreviousSpec (with RollbackConfig);
//   - done once nothing is outdated and the last replacement ran for Monitor: completed.
import { canonicalJson, type Service, type Task, type UpdateConfig } from '../store/index.ts';
import { type OrchestratorContext, timestampOf } from './context.ts';
import type { Plan } from './plan.ts';
import { byCreation, endedInFailure, hasEnded } from './task-states.ts';

export interface UpdateUnit {
  /** "slot 3" or "node abc": for ordering and messages. */
  key: string;
  /** The unit's wanted tasks (desired state at most running). */
  wanted: Task[];
  /** Tasks the orchestrator shut down that have not stopped yet (on nodes still alive). */
  stopping: Task[];
}

const DEFAULT_MONITOR_NS = 5_000_000_000;

export function updateSettings(config: UpdateConfig | undefined) {
  return {
    parallelism: config?.Parallelism ?? 1,
    delayMs: Math.round((config?.Delay ?? 0) / 1e6),
    failureAction: config?.FailureAction ?? 'pause',
    monitorMs: Math.round((config?.Monitor ?? DEFAULT_MONITOR_NS) / 1e6),
    maxFailureRatio: config?.MaxFailureRatio ?? 0,
    order: config?.Order ?? 'stop-first',
  };
}

/** The task was made from another task template than the service's current one. */
export function isOutdated(task: Task, service: Service): boolean {
  // As swarmkit's IsTaskDirty: the template, or the endpoint (tasks run with their ports).
  return (
    canonicalJson(task.Spec) !== canonicalJson(service.Spec.TaskTemplate) ||
    canonicalJson(task.Endpoint?.Spec?.Ports ?? []) !==
      canonicalJson(service.Spec.EndpointSpec?.Ports ?? [])
  );
}

function isRollingBack(service: Service): boolean {
  return service.UpdateStatus?.State.startsWith('rollback') ?? false;
}

function isActiveUpdate(service: Service): boolean {
  const state = service.UpdateStatus?.State;
  return state === 'updating' || state === 'rollback_started';
}

/** Replacement tasks of this update run (made after it started, from the current template). */
function replacements(service: Service, tasks: readonly Task[]): Task[] {
  const started = service.UpdateStatus?.StartedAt ?? '';
  return tasks.filter((task) => task.CreatedAt >= started && !isOutdated(task, service));
}

export interface RollingUpdateInput {
  service: Service;
  units: UpdateUnit[];
  /** Every task of the service (failures are counted over them). */
  tasks: readonly Task[];
  /** Creates the replacement of a unit with the given desired state. */
  replace: (unit: UpdateUnit, desired: 'ready' | 'running') => void;
}

/** Plans the next step of the service's update, if it has one. */
export function rollingUpdate(input: RollingUpdateInput, ctx: OrchestratorContext, plan: Plan) {
  const service = plan.service(input.service);
  const rollingBack = isRollingBack(service);
  const settings = updateSettings(
    rollingBack ? service.Spec.RollbackConfig : service.Spec.UpdateConfig,
  );
  const now = ctx.now;
  const outdated = (task: Task) => isOutdated(task, service);

  const toStart: UpdateUnit[] = [];
  let inProgress = 0;
  for (const unit of input.units) {
    const fresh = unit.wanted.filter((task) => !outdated(task));
    const old = unit.wanted.filter(outdated);
    if (fresh.length === 0) {
      if (old.length > 0) toStart.push(unit);
      continue;
    }
    const running = fresh.some((task) => task.Status.State === 'running');
    if (old.length > 0 && running) {
      // start-first: the replacement runs; the old task may go.
      for (const task of old) plan.update(task, { DesiredState: 'shutdown' });
    }
    if (old.length > 0 || unit.stopping.length > 0 || !running) inProgress++;
  }

  // Only outdated tasks start an update; new services and scaling never do.
  if (toStart.length === 0 && (inProgress === 0 || !isActiveUpdate(service))) {
    finishIfMonitored(service, input.tasks, settings.monitorMs, ctx, plan);
    return;
  }
  const state = service.UpdateStatus?.State;
  if (state === 'paused' || state === 'rollback_paused') return;
  let current = service;
  if (!isActiveUpdate(service)) {
    current = {
      ...service,
      UpdateStatus: {
        State: 'updating',
        StartedAt: timestampOf(now),
        Message: 'update in progress',
      },
    };
    plan.updateService(input.service, { UpdateStatus: current.UpdateStatus });
  }

  const failed = replacements(current, input.tasks).filter((t) => hasEnded(t) && endedInFailure(t));
  if (failed.length > 0 && settings.failureAction !== 'continue') {
    const ratio = failed.length / Math.max(1, input.units.length);
    if (ratio > settings.maxFailureRatio) {
      const culprit = failed.sort(byCreation)[failed.length - 1]!;
      onFailure(input.service, current, culprit, settings.failureAction, rollingBack, ctx, plan);
      return;
    }
  }

  let capacity =
    settings.parallelism === 0 ? Number.POSITIVE_INFINITY : settings.parallelism - inProgress;
  if (capacity > 0 && settings.delayMs > 0) {
    const last = lastStart(current, input.tasks);
    if (last !== undefined && now < last + settings.delayMs) {
      plan.wake(last + settings.delayMs);
      capacity = 0;
    }
  }
  for (const unit of toStart) {
    if (capacity <= 0) break;
    capacity--;
    if (settings.order === 'start-first') {
      input.replace(unit, 'running');
    } else {
      for (const task of unit.wanted) plan.update(task, { DesiredState: 'shutdown' });
      const stillRunning = unit.wanted.some((task) => task.NodeID !== undefined && !hasEnded(task));
      input.replace(unit, stillRunning ? 'ready' : 'running');
    }
  }
}

/** When the latest replacement of this update started running (ms), if any did. */
function lastStart(service: Service, tasks: readonly Task[]): number | undefined {
  let last: number | undefined;
  for (const task of replacements(service, tasks)) {
    if (task.Status.State !== 'running') continue;
    const at = Date.parse(task.Status.Timestamp);
    if (last === undefined || at > last) last = at;
  }
  return last;
}

function finishIfMonitored(
  service: Service,
  tasks: readonly Task[],
  monitorMs: number,
  ctx: OrchestratorContext,
  plan: Plan,
) {
  if (!isActiveUpdate(service)) return;
  const last = lastStart(service, tasks);
  if (last !== undefined && ctx.now < last + monitorMs) {
    plan.wake(last + monitorMs);
    return;
  }
  const rollingBack = isRollingBack(service);
  plan.updateService(service, {
    UpdateStatus: {
      ...service.UpdateStatus,
      State: rollingBack ? 'rollback_completed' : 'completed',
      CompletedAt: timestampOf(ctx.now),
      Message: rollingBack ? 'rollback completed' : 'update completed',
    },
  });
}

function onFailure(
  stored: Service,
  service: Service,
  culprit: Task,
  action: 'pause' | 'rollback' | 'continue',
  rollingBack: boolean,
  ctx: OrchestratorContext,
  plan: Plan,
) {
  const startedAt = service.UpdateStatus?.StartedAt;
  if (action === 'rollback' && !rollingBack && stored.PreviousSpec !== undefined) {
    plan.updateService(stored, {
      Spec: stored.PreviousSpec,
      PreviousSpec: stored.Spec,
      SpecVersion: { Index: (stored.SpecVersion?.Index ?? 0) + 1 },
      UpdateStatus: {
        State: 'rollback_started',
        StartedAt: timestampOf(ctx.now),
        Message: `update rolled back due to failure or early termination of task ${culprit.ID}`,
      },
    });
    return;
  }
  plan.updateService(stored, {
    UpdateStatus: {
      State: rollingBack ? 'rollback_paused' : 'paused',
      StartedAt: startedAt,
      Message: `${rollingBack ? 'rollback' : 'update'} paused due to failure or early termination of task ${culprit.ID}`,
    },
  });
}
