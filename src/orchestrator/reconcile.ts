// One service's reconciliation: the orchestrator of its mode, then the reaper, as one plan.
import type { Service, Task } from '../store/index.ts';
import type { OrchestratorContext } from './context.ts';
import { reconcileGlobal } from './global.ts';
import { reconcileGlobalJob, reconcileReplicatedJob } from './jobs.ts';
import { Plan } from './plan.ts';
import { reapHistory, reapOrphans } from './reaper.ts';
import { reconcileReplicated } from './replicated.ts';

/**
 * Plans what the service's tasks need now. `service` undefined: the service was removed and
 * its tasks go. Tasks must be all (and only) the service's tasks.
 */
export function reconcileService(
  service: Service | undefined,
  tasks: readonly Task[],
  ctx: OrchestratorContext,
): Plan {
  const plan = new Plan();
  if (service === undefined) {
    reapOrphans(tasks, ctx, plan);
    return plan;
  }
  const mode = service.Spec.Mode;
  if (mode.Global !== undefined) reconcileGlobal(service, tasks, ctx, plan);
  else if (mode.Replicated !== undefined) reconcileReplicated(service, tasks, ctx, plan);
  else if (mode.ReplicatedJob !== undefined) reconcileReplicatedJob(service, tasks, ctx, plan);
  else if (mode.GlobalJob !== undefined) reconcileGlobalJob(service, tasks, ctx, plan);
  reapHistory(tasks, ctx, plan);
  return plan;
}
