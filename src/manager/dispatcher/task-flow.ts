// The dispatcher's task traffic on the leader: which tasks each node runs (its assignment set,
// pushed whenever it changes) and the status updates agents report (written in batches).
//
// A store watch on the tasks table names the nodes whose sets changed; the dispatcher pushes
// those sets on the nodes' sessions. Status updates are queued per task (the latest wins),
// flushed every FLUSH_MS as batches of at most MAX_CHANGES_PER_BATCH, and only when they move
// the task forward (swarm's order, never back) or change what the task shows: an agent that
// repeats itself costs no write.

import { stateIndex } from '../../orchestrator/index.ts';
import {
  type Change,
  ConflictError,
  canonicalJson,
  MAX_CHANGES_PER_BATCH,
  type Task,
  type TaskStatus,
  type Watcher,
} from '../../store/index.ts';
import type { ClusterState } from '../cluster-state.ts';
import { filesForTasks } from '../secrets/index.ts';
import {
  type AssignmentSet,
  MAX_ASSIGNED_DATA_BYTES,
  type TaskStatusUpdate,
} from './task-protocol.ts';

const FLUSH_MS = 50;
const NOTIFY_MS = 10;
/** Queued updates at most; beyond, the oldest are dropped (agents resend on reconnect). */
const MAX_QUEUED = 10_000;
const MAX_FLUSH_ATTEMPTS = 5;

export interface TaskFlowOptions {
  state: ClusterState;
  /** Called with the nodes whose assignment sets changed. */
  onAssignmentsChanged: (nodeIds: Set<string>) => void;
  log: (line: string) => void;
}

/** The task moves forward, or shows something new in the same state. */
export function isNewsFor(task: Task, status: TaskStatus): boolean {
  const current = stateIndex(task.Status.State);
  const next = stateIndex(status.State);
  if (next !== current) return next > current;
  const { Timestamp: _a, ...was } = task.Status;
  const { Timestamp: _b, ...now } = status;
  return canonicalJson(was) !== canonicalJson(now);
}

/** Whether an agent should hear of the task: it was assigned to its node. */
function isAssigned(task: Task): boolean {
  return (
    task.NodeID !== undefined && task.Status.State !== 'new' && task.Status.State !== 'pending'
  );
}

/** A task as its agent receives it (see assignmentsJson). */
export function assignedView(task: Task): Task {
  const ended = stateIndex(task.Status.State) > stateIndex('running');
  return {
    ...task,
    Version: { Index: 0 },
    UpdatedAt: task.CreatedAt,
    Status: ended
      ? task.Status
      : { Timestamp: task.CreatedAt, State: 'assigned', Message: 'assigned' },
  };
}

export class TaskFlow {
  private watcher: Watcher | null = null;
  private readonly changedNodes = new Set<string>();
  private notifyTimer: NodeJS.Timeout | null = null;
  private readonly queue = new Map<string, { nodeId: string; status: TaskStatus }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing = false;

  constructor(private readonly options: TaskFlowOptions) {}

  lead(): void {
    if (this.watcher !== null) return;
    this.watcher = this.options.state.store.watch({
      table: 'tasks',
      onEvent: (event) => {
        if (event.table !== 'tasks') return;
        if (event.object.NodeID) this.changedNodes.add(event.object.NodeID);
        if (event.oldObject?.NodeID) this.changedNodes.add(event.oldObject.NodeID);
        if (this.notifyTimer === null) {
          this.notifyTimer = setTimeout(() => this.notify(), NOTIFY_MS);
        }
      },
      onClose: (error) => {
        if (error) {
          // Fell behind: every node's set may have changed.
          this.watcher = null;
          for (const node of this.options.state.store.list('nodes')) this.changedNodes.add(node.ID);
          this.notify();
          this.lead();
        }
      },
    });
  }

  stepDown(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.notifyTimer = null;
    this.flushTimer = null;
    this.changedNodes.clear();
    this.queue.clear();
  }

  /**
   * The node's assignment set as JSON (compared by the dispatcher to what it sent). It holds
   * what the agent acts on: the specs and desired states, and a task's status only once it
   * ended (which never changes again). The status an agent itself reports, and the version and
   * time each report bumps, are left out, so an agent's own reports never make its set change
   * and come back to it: a set is pushed when a task is assigned, wanted otherwise, or ends.
   * The set also carries the secrets and configs of the tasks that may still run, and only
   * those (src/manager/secrets/distribution.ts), at most MAX_ASSIGNED_DATA_BYTES of them.
   */
  assignmentsJson(nodeId: string): string {
    const store = this.options.state.store;
    const assigned = store.find('tasks', { by: 'nodeId', value: nodeId }).filter(isAssigned);
    const set: AssignmentSet = { tasks: assigned.map(assignedView) };
    const files = filesForTasks(store, assigned, MAX_ASSIGNED_DATA_BYTES);
    if (files.secrets.length > 0) set.secrets = files.secrets;
    if (files.configs.length > 0) set.configs = files.configs;
    if (files.omitted.length > 0) set.omitted = files.omitted;
    return JSON.stringify(set);
  }

  report(nodeId: string, updates: TaskStatusUpdate[]): void {
    for (const update of updates) {
      this.queue.delete(update.ID);
      this.queue.set(update.ID, { nodeId, status: update.Status });
    }
    while (this.queue.size > MAX_QUEUED) {
      const oldest = this.queue.keys().next().value as string;
      this.queue.delete(oldest);
    }
    if (this.flushTimer === null && !this.flushing) {
      this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS);
    }
  }

  private notify(): void {
    this.notifyTimer = null;
    if (this.changedNodes.size === 0) return;
    const nodes = new Set(this.changedNodes);
    this.changedNodes.clear();
    this.options.onAssignmentsChanged(nodes);
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    if (!this.options.state.isLeader()) {
      this.queue.clear(); // the agents send them again to the new leader
      return;
    }
    this.flushing = true;
    try {
      for (let attempt = 1; this.queue.size > 0 && attempt <= MAX_FLUSH_ATTEMPTS; attempt++) {
        const entries = [...this.queue.entries()].slice(0, MAX_CHANGES_PER_BATCH);
        const changes: Change[] = [];
        for (const [taskId, { nodeId, status }] of entries) {
          this.queue.delete(taskId);
          const task = this.options.state.store.get('tasks', taskId);
          // Unknown tasks, or tasks of another node: the agent learns from its next set.
          if (task === undefined || task.NodeID !== nodeId || !isNewsFor(task, status)) continue;
          changes.push({
            kind: 'update',
            table: 'tasks',
            object: { ...task, Status: status },
            expectedVersion: task.Version.Index,
          });
        }
        if (changes.length === 0) continue;
        try {
          await this.options.state.propose(changes);
          attempt = 0;
        } catch (error) {
          // Put them back: after a conflict they are re-read at once, else tried again later.
          for (const change of changes) {
            if (change.kind !== 'update' || change.table !== 'tasks') continue;
            const { ID, NodeID, Status } = change.object;
            if (!this.queue.has(ID)) this.queue.set(ID, { nodeId: NodeID!, status: Status });
          }
          if (!(error instanceof ConflictError)) throw error;
        }
      }
    } catch (error) {
      this.options.log(`dispatcher: cannot write task statuses: ${(error as Error).message}`);
    } finally {
      this.flushing = false;
      if (this.queue.size > 0 && this.flushTimer === null) {
        this.flushTimer = setTimeout(() => void this.flush(), FLUSH_MS * 10);
      }
    }
  }
}
