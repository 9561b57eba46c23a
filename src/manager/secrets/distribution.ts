// Which secrets and configs a node receives: those its assigned tasks reference while they may
// still run, and no others (a node that runs no task using a secret never sees it). Bounded by
// a byte budget on their data: past it, references are listed as omitted so the agent can say
// why a task cannot get its files.

import { hasEnded, isAfter } from '../../orchestrator/index.ts';
import type { Store, Task } from '../../store/index.ts';

/** A secret or config as an agent receives it (the dispatcher's AssignedFileObject). */
export interface AssignedFileObject {
  ID: string;
  Name: string;
  /** Base64. */
  Data: string;
  Templating?: { Name: string };
}

/** The files part of an assignment set. */
export interface AssignedFiles {
  secrets: AssignedFileObject[];
  configs: AssignedFileObject[];
  /** IDs of referenced objects left out: over the byte budget. */
  omitted: string[];
}

/** Tasks that may yet start or run, so need their files: not ended, not wanted stopped. */
function mayRun(task: Task): boolean {
  return !hasEnded(task) && !isAfter(task.DesiredState, 'complete');
}

/**
 * The secrets and configs `tasks` reference, sorted by ID (a stable set compares equal), data
 * at most `bytesMax` in all (base64 length).
 */
export function filesForTasks(
  store: Store,
  tasks: readonly Task[],
  bytesMax: number,
): AssignedFiles {
  const secretIds = new Set<string>();
  const configIds = new Set<string>();
  for (const task of tasks) {
    if (!mayRun(task)) continue;
    const container = task.Spec.ContainerSpec;
    for (const ref of container?.Secrets ?? []) if (ref.SecretID) secretIds.add(ref.SecretID);
    for (const ref of container?.Configs ?? []) if (ref.ConfigID) configIds.add(ref.ConfigID);
  }
  const files: AssignedFiles = { secrets: [], configs: [], omitted: [] };
  let budget = bytesMax;
  const take = (list: AssignedFileObject[], object: AssignedFileObject | undefined) => {
    if (object === undefined) return;
    if (object.Data.length > budget) {
      files.omitted.push(object.ID);
      return;
    }
    budget -= object.Data.length;
    list.push(object);
  };
  for (const id of [...secretIds].sort()) {
    const secret = store.get('secrets', id);
    take(files.secrets, secret && assigned(secret.ID, secret.Spec));
  }
  for (const id of [...configIds].sort()) {
    const config = store.get('configs', id);
    take(files.configs, config && assigned(config.ID, config.Spec));
  }
  return files;
}

function assigned(
  id: string,
  spec: { Name: string; Data?: string; Templating?: Record<string, unknown> },
): AssignedFileObject {
  const object: AssignedFileObject = { ID: id, Name: spec.Name, Data: spec.Data ?? '' };
  const driver = spec.Templating?.Name;
  if (typeof driver === 'string') object.Templating = { Name: driver };
  return object;
}
