// The orchestrators: pure functions from a service, its tasks and the nodes to a plan of task
// changes. The manager's leader runs them (src/manager/orchestration.ts) and proposes the plans.
export { nodeKeepsTasks, type OrchestratorContext, timestampOf } from './context.ts';
export { Plan } from './plan.ts';
export { reconcileService } from './reconcile.ts';
export { DEFAULT_RESTART_DELAY_NS, restartPolicy } from './restart.ts';
export { NEW_MESSAGE, newTask, PENDING_MESSAGE } from './task-factory.ts';
export {
  byCreation,
  endedInFailure,
  hasEnded,
  isAfter,
  isRunnable,
  isWanted,
  stateIndex,
} from './task-states.ts';
export { isOutdated, updateSettings } from './update.ts';
