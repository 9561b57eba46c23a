// The leader's orchestration: the loop that runs the orchestrators and the scheduler.
export {
  Orchestration,
  type OrchestrationOptions,
  type OrchestrationStats,
} from './orchestration.ts';
export { ASSIGNED_MESSAGE, planScheduling } from './scheduling.ts';
