// The allocator's step between the orchestrators and the scheduler (swarm's flow): a task is
// born NEW; it becomes PENDING (the scheduler's input) only with an address on each of its
// networks, written in the same batch as the state change. A task whose addresses cannot be
// had stays NEW with the reason in Status.Err, and is tried again on later passes. Pure: the
// cluster's state and the changes to propose in, one bounded batch out.
import { NEW_MESSAGE, PENDING_MESSAGE } from '../../orchestrator/index.ts';
import type { Change, Network, Service, Task } from '../../store/index.ts';
import { AddressBook, type AllocatorState } from './address-book.ts';
import { allocateTaskAttachments, attachedNetworkIds, ingressNetwork } from './attachments.ts';
import { AllocationError } from './errors.ts';
import { networkWrites } from './fence.ts';

export interface AllocatedBatch {
  /** At most `maxChanges` changes: the input's, allocated, then the network writes. */
  batch: Change[];
  /** How many changes of the input the batch took (or dropped as no-ops). */
  consumed: number;
}

type TaskChange = Extract<Change, { table: 'tasks'; kind: 'create' | 'update' }>;

/** Desired states of tasks that are to run: the scheduler's (jobs' tasks are desired complete). */
const TO_RUN = new Set(['running', 'ready', 'complete']);

function waitsForAddresses(task: Pick<Task, 'Status' | 'DesiredState'>): boolean {
  return task.Status.State === 'new' && TO_RUN.has(task.DesiredState);
}

function waitsForAllocation(change: Change): change is TaskChange {
  if (change.table !== 'tasks' || change.kind === 'delete') return false;
  return waitsForAddresses(change.object);
}

/** Tasks in the store that still wait for addresses, as changes for `allocateBatch`. */
export function waitingTasks(tasks: readonly Task[]): Change[] {
  return tasks.filter(waitsForAddresses).map((task) => ({
    kind: 'update',
    table: 'tasks',
    object: task,
    expectedVersion: task.Version.Index,
  }));
}

/**
 * Takes changes from the front of `changes` into one batch of at most `maxChanges`,
 * allocating each NEW task on the way, and adds the network writes that fence it. A change
 * straight from `waitingTasks` that still cannot be allocated, for the same reason as
 * before, is dropped (nothing to write).
 */
export function allocateBatch(
  state: AllocatorState,
  changes: readonly Change[],
  maxChanges: number,
  timestamp: string,
): AllocatedBatch {
  const networks = new Map<string, Network>(state.networks.map((n) => [n.ID, n]));
  const services = new Map<string, Service>(state.services.map((s) => [s.ID, s]));
  const stored = new Map<string, Task>(state.tasks.map((t) => [t.ID, t]));
  const ingressId = ingressNetwork(networks.values())?.ID;
  let book: AddressBook | undefined;
  const touched = new Set<string>();
  const batch: Change[] = [];
  let consumed = 0;
  let allocatedAny = false;
  for (const change of changes) {
    if (!waitsForAllocation(change)) {
      if (batch.length + 1 + writesBound(touched) > maxChanges && batch.length > 0) break;
      batch.push(change);
      consumed++;
      continue;
    }
    const task = change.object as Task;
    const service = services.get(task.ServiceID);
    const ids = service ? attachedNetworkIds(task.Spec, service.Spec, ingressId) : [];
    const prospective = new Set([...touched, ...ids]);
    if (batch.length + 1 + writesBound(prospective) > maxChanges && batch.length > 0) break;
    consumed++;
    if (service === undefined) {
      batch.push(change);
      continue;
    }
    book ??= AddressBook.fromState(state);
    const outcome = allocateTask(book, task, service, networks, ingressId, timestamp);
    // Even a failed attempt may have moved cursors: count its networks as written.
    for (const id of ids) touched.add(id);
    if (outcome.ok) {
      allocatedAny ||= ids.length > 0;
      batch.push({ ...change, object: outcome.task } as TaskChange);
      continue;
    }
    const unchanged =
      change.kind === 'update' &&
      change.object === stored.get(task.ID) &&
      task.Status.Err === outcome.reason;
    if (unchanged) continue;
    batch.push({ ...change, object: outcome.task } as TaskChange);
  }
  if (allocatedAny) batch.push(...networkWrites(networks, book));
  return { batch, consumed };
}

/** Upper bound of the network writes: each network whose cursor moved, and the fence. */
function writesBound(touched: ReadonlySet<string>): number {
  return touched.size === 0 ? 0 : touched.size + 1;
}

type Outcome = { ok: true; task: Task } | { ok: false; task: Task; reason: string };

function allocateTask(
  book: AddressBook,
  task: Task,
  service: Service,
  networks: ReadonlyMap<string, Network>,
  ingressId: string | undefined,
  timestamp: string,
): Outcome {
  try {
    const attachments = allocateTaskAttachments(book, task.Spec, service.Spec, networks, ingressId);
    const allocated: Task = {
      ...task,
      Status: { Timestamp: timestamp, State: 'pending', Message: PENDING_MESSAGE },
    };
    if (attachments.length > 0) allocated.NetworksAttachments = attachments;
    else delete allocated.NetworksAttachments;
    return { ok: true, task: allocated };
  } catch (error) {
    if (!(error instanceof AllocationError)) throw error;
    const reason = error.message;
    return {
      ok: false,
      reason,
      task: {
        ...task,
        Status: { Timestamp: timestamp, State: 'new', Message: NEW_MESSAGE, Err: reason },
      },
    };
  }
}
