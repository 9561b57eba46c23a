// What `service create|update|scale|rollback` show while waiting (without -d), ported from
// docker's cli/command/service/progress/progress.go. A ProgressTracker is a deterministic
// state machine: it is fed each poll's service, up-to-date tasks and active nodes, with the
// time, and answers the progress messages docker would write (docker's progress.Progress) and
// whether to stop. No I/O here; progress-display.ts turns messages into terminal output and
// wait.ts polls the daemon every 200 ms as docker does.
import type { Service, Task } from '../../../store/index.ts';

/** docker's progress.Progress: a status `message`, or an `action` with an optional bar. */
export interface ProgressMessage {
  id: string;
  action?: string;
  message?: string;
  current?: number;
  total?: number;
  hideCounts?: boolean;
}

const NUMBERED_STATES: Readonly<Record<string, number>> = {
  new: 1,
  allocated: 2,
  pending: 3,
  assigned: 4,
  accepted: 5,
  preparing: 6,
  ready: 7,
  starting: 8,
  running: 9,
  // Not shown in progress output, but used for ordering.
  complete: 10,
  shutdown: 11,
  failed: 12,
  rejected: 13,
};

const MAX_PROGRESS = 9;
const MAX_PROGRESS_BARS = 20;
const MAX_JOB_PROGRESS = 10;

const numbered = (state: string | undefined) => NUMBERED_STATES[state ?? ''] ?? 0;
const terminalState = (state: string | undefined) => numbered(state) > NUMBERED_STATES.running!;

/** The widest state name shown (non-terminal ones, and "complete" for jobs): 9. */
const LONGEST_STATE = Math.max(
  ...Object.keys(NUMBERED_STATES)
    .filter((state) => !terminalState(state) || state === 'complete')
    .map((state) => state.length),
);

const padState = (state: string | undefined) => (state ?? '').padEnd(LONGEST_STATE);

/** docker's truncError: one line, at most 75 characters. */
export function truncateError(message: string): string {
  const line = message.replace(/\n/g, ' ');
  const characters = [...line];
  return characters.length > 75 ? `${characters.slice(0, 74).join('')}…` : line;
}

/** formatter.TruncateID. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon >= 0 ? id.slice(colon + 1) : id;
  return bare.slice(0, 12);
}

type ActiveNodes = ReadonlySet<string>;

interface Updater {
  update(
    service: Service,
    tasks: readonly Task[],
    active: ActiveNodes,
    rollback: boolean,
    out: ProgressMessage[],
  ): boolean;
}

function overallProgress(
  out: ProgressMessage[],
  numerator: number,
  denominator: number,
  rollback: boolean,
): void {
  out.push({
    id: 'overall progress',
    action: rollback
      ? `rolling back update: ${numerator} out of ${denominator} tasks`
      : `${numerator} out of ${denominator} tasks`,
  });
}

/** Among tasks sharing a key, docker keeps the lowest desired state, then the lowest state. */
function pickByKey<K extends string | number>(
  tasks: readonly Task[],
  keyOf: (task: Task) => K,
  active?: ActiveNodes,
): Map<K, Task> {
  const picked = new Map<K, Task>();
  for (const task of tasks) {
    if (numbered(task.DesiredState) === 0 || numbered(task.Status?.State) === 0) continue;
    const key = keyOf(task);
    const existing = picked.get(key);
    if (existing) {
      if (numbered(existing.DesiredState) < numbered(task.DesiredState)) continue;
      if (
        numbered(existing.DesiredState) === numbered(task.DesiredState) &&
        numbered(existing.Status.State) <= numbered(task.Status.State)
      ) {
        continue;
      }
    }
    if (active && task.NodeID && !active.has(task.NodeID)) continue;
    picked.set(key, task);
  }
  return picked;
}

/** Go map order is random; Shoal shows slots and nodes in order. */
function sortedEntries<K extends string | number, V>(map: Map<K, V>): [K, V][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

class ReplicatedUpdater implements Updater {
  private readonly slotMap = new Map<number, number>();
  private initialized = false;
  private done = false;

  update(
    service: Service,
    tasks: readonly Task[],
    active: ActiveNodes,
    rollback: boolean,
    out: ProgressMessage[],
  ) {
    const replicas = service.Spec.Mode.Replicated?.Replicas;
    if (replicas === undefined) throw new Error('no replica count');
    if (!this.initialized) {
      overallProgress(out, 0, replicas, rollback);
      if (replicas <= MAX_PROGRESS_BARS) {
        for (let slot = 1; slot <= replicas; slot++)
          out.push({ id: `${slot}/${replicas}`, action: ' ' });
      }
      this.initialized = true;
    }
    const bySlot = sortedEntries(pickByKey(tasks, (task) => task.Slot ?? 0, active));
    if (this.done && bySlot.some(([, task]) => task.Status.State !== 'running')) this.done = false;
    let running = 0;
    for (const [slot, task] of bySlot) {
      let mapped = this.slotMap.get(slot);
      if (mapped === undefined) {
        mapped = this.slotMap.size + 1;
        this.slotMap.set(slot, mapped);
      }
      if (!terminalState(task.DesiredState) && task.Status.State === 'running') running++;
      this.writeTask(task, mapped, replicas, out);
    }
    if (!this.done) {
      overallProgress(out, running, replicas, rollback);
      if (running === replicas) this.done = true;
    }
    return running === replicas;
  }

  private writeTask(task: Task, mappedSlot: number, replicas: number, out: ProgressMessage[]) {
    if (this.done || replicas > MAX_PROGRESS_BARS || mappedSlot > replicas) return;
    const id = `${mappedSlot}/${replicas}`;
    if (task.Status.Err) {
      out.push({ id, action: truncateError(task.Status.Err) });
      return;
    }
    if (!terminalState(task.DesiredState) && !terminalState(task.Status.State)) {
      out.push({
        id,
        action: padState(task.Status.State),
        current: numbered(task.Status.State),
        total: MAX_PROGRESS,
        hideCounts: true,
      });
    }
  }
}

class GlobalUpdater implements Updater {
  private initialized = false;
  private done = false;

  update(
    _service: Service,
    tasks: readonly Task[],
    active: ActiveNodes,
    rollback: boolean,
    out: ProgressMessage[],
  ) {
    const byNode = sortedEntries(pickByKey(tasks, (task) => task.NodeID ?? ''));
    // The orchestrator creates the tasks of all eligible nodes at once, so the up-to-date
    // tasks tell how many nodes the service runs on.
    const nodeCount = byNode.length;
    if (!this.initialized) {
      if (nodeCount === 0) {
        out.push({ id: 'overall progress', action: 'waiting for new tasks' });
        return false;
      }
      overallProgress(out, 0, nodeCount, rollback);
      this.initialized = true;
    }
    if (this.done && byNode.some(([, task]) => task.Status.State !== 'running')) this.done = false;
    let running = 0;
    for (const [nodeId, task] of byNode) {
      if (!active.has(nodeId)) continue;
      if (!terminalState(task.DesiredState) && task.Status.State === 'running') running++;
      this.writeTask(task, nodeCount, out);
    }
    if (!this.done) {
      overallProgress(out, running, nodeCount, rollback);
      if (running === nodeCount) this.done = true;
    }
    return running === nodeCount;
  }

  private writeTask(task: Task, nodeCount: number, out: ProgressMessage[]) {
    if (this.done || nodeCount > MAX_PROGRESS_BARS) return;
    const id = truncateId(task.NodeID ?? '');
    if (task.Status.Err) {
      out.push({ id, action: truncateError(task.Status.Err) });
      return;
    }
    if (!terminalState(task.DesiredState) && !terminalState(task.Status.State)) {
      out.push({
        id,
        action: padState(task.Status.State),
        current: numbered(task.Status.State),
        total: MAX_PROGRESS,
        hideCounts: true,
      });
    }
  }
}

const jobIteration = (service: Service) => service.JobStatus?.JobIteration.Index ?? 0;

class ReplicatedJobUpdater implements Updater {
  private initialized = false;
  private readonly concurrent: number;
  private readonly total: number;
  private readonly iteration: number;
  private readonly progressDigits: number;
  private readonly activeDigits: number;

  constructor(service: Service) {
    const job = service.Spec.Mode.ReplicatedJob!;
    this.concurrent = job.MaxConcurrent ?? 1;
    this.total = job.TotalCompletions ?? this.concurrent;
    this.iteration = jobIteration(service);
    this.progressDigits = String(this.total).length;
    this.activeDigits = String(this.concurrent).length;
  }

  update(
    _service: Service,
    tasks: readonly Task[],
    _active: ActiveNodes,
    _rollback: boolean,
    out: ProgressMessage[],
  ) {
    if (!this.initialized) {
      this.writeOverall(0, 0, out);
      if (this.total <= MAX_PROGRESS_BARS) {
        for (let index = 1; index <= this.total; index++)
          out.push({ id: `${index}/${this.total}`, action: ' ' });
      }
      this.initialized = true;
    }
    const bySlot = new Map<number, Task>();
    for (const task of tasks) {
      if (task.JobIteration === undefined || task.JobIteration.Index !== this.iteration) continue;
      if (numbered(task.DesiredState) === 0 || numbered(task.Status?.State) === 0) continue;
      const existing = bySlot.get(task.Slot ?? 0);
      if (!existing || numbered(existing.Status.State) > numbered(task.Status.State)) {
        bySlot.set(task.Slot ?? 0, task);
      }
    }
    let active = 0;
    let complete = 0;
    // Docker walks slots 0..n-1 (swarmkit numbers job slots from 0).
    for (let slot = 0; slot < bySlot.size; slot++) {
      const task = bySlot.get(slot);
      this.writeTask(task, slot, out);
      if (numbered(task?.Status.State) < NUMBERED_STATES.complete!) active++;
      if (task?.Status.State === 'complete') complete++;
    }
    this.writeOverall(active, complete, out);
    return complete === this.total;
  }

  private writeOverall(active: number, completed: number, out: ProgressMessage[]) {
    out.push({
      id: 'job progress',
      action: `${String(completed).padStart(this.progressDigits)} out of ${this.total} complete`,
      current: completed,
      total: this.total,
      hideCounts: true,
    });
    const desired = Math.min(this.total - completed, this.concurrent);
    out.push({
      id: 'active tasks',
      action: `${String(active).padStart(this.activeDigits)} out of ${String(desired).padStart(this.activeDigits)} tasks`,
    });
  }

  private writeTask(task: Task | undefined, slot: number, out: ProgressMessage[]) {
    if (this.total > MAX_PROGRESS_BARS) return;
    const id = `${(task?.Slot ?? slot) + 1}/${this.total}`;
    if (task?.Status.Err) {
      out.push({ id, action: truncateError(task.Status.Err) });
      return;
    }
    out.push({
      id,
      action: padState(task?.Status.State),
      current: numbered(task?.Status.State),
      total: MAX_JOB_PROGRESS,
      hideCounts: true,
    });
  }
}

class GlobalJobUpdater implements Updater {
  private initialized = false;
  private total = 0;
  private progressDigits = 1;
  private taskNodes = new Set<string>();

  update(
    service: Service,
    tasks: readonly Task[],
    active: ActiveNodes,
    _rollback: boolean,
    out: ProgressMessage[],
  ) {
    const iteration = jobIteration(service);
    if (!this.initialized) {
      if (tasks.length === 0 && active.size !== 0) {
        out.push({ id: 'job progress', action: 'waiting for tasks' });
        return false;
      }
      for (const task of tasks) {
        if (task.JobIteration?.Index === iteration) this.taskNodes.add(task.NodeID ?? '');
      }
      this.total = this.taskNodes.size;
      this.progressDigits = String(this.total).length;
      this.writeOverall(0, out);
      this.initialized = true;
    }
    const byNode = new Map<string, Task>();
    for (const task of tasks) {
      if (task.JobIteration?.Index !== iteration) continue;
      const node = task.NodeID ?? '';
      if (!this.taskNodes.has(node)) continue;
      const existing = byNode.get(node);
      if (!existing || numbered(existing.Status.State) > numbered(task.Status.State))
        byNode.set(node, task);
    }
    let complete = 0;
    for (const [, task] of sortedEntries(byNode)) {
      this.writeTask(task, out);
      if (task.Status.State === 'complete') complete++;
    }
    this.writeOverall(complete, out);
    return complete === this.total;
  }

  private writeOverall(complete: number, out: ProgressMessage[]) {
    out.push({
      id: 'job progress',
      action: `${String(complete).padStart(this.progressDigits)} out of ${this.total} complete`,
      current: complete,
      total: this.total,
      hideCounts: true,
    });
  }

  private writeTask(task: Task, out: ProgressMessage[]) {
    if (this.total > MAX_PROGRESS_BARS) return;
    const id = task.NodeID ?? '';
    if (task.Status.Err) {
      out.push({ id, action: truncateError(task.Status.Err) });
      return;
    }
    out.push({
      id,
      action: padState(task.Status.State),
      current: numbered(task.Status.State),
      total: MAX_JOB_PROGRESS,
      hideCounts: true,
    });
  }
}

function updaterFor(service: Service): Updater {
  const mode = service.Spec.Mode;
  if (mode.Replicated?.Replicas !== undefined) return new ReplicatedUpdater();
  if (mode.Global) return new GlobalUpdater();
  if (mode.ReplicatedJob) return new ReplicatedJobUpdater(service);
  if (mode.GlobalJob) return new GlobalJobUpdater();
  throw new Error('unrecognized service mode');
}

/** What a step decided: keep polling, stop quietly, or stop with docker's error. */
export type ProgressOutcome =
  | { kind: 'continue' }
  | { kind: 'done' }
  | { kind: 'error'; message: string };

export interface ProgressStep {
  messages: ProgressMessage[];
  outcome: ProgressOutcome;
}

const CONTINUE: ProgressOutcome = { kind: 'continue' };
const DONE: ProgressOutcome = { kind: 'done' };

/**
 * docker's ServiceProgress loop body, split where the loop makes its requests: first
 * `observeService` (after GET /services/{id}); when it says continue, `observeTasks` (after
 * GET /tasks and GET /nodes); then wait 200 ms and start again.
 */
export class ProgressTracker {
  private updater: Updater | undefined;
  private converged = false;
  private convergedAtMs: number | undefined;
  private monitorNs = 5e9;
  private rollback = false;
  private finalMessage: ProgressMessage | undefined;

  constructor(private readonly serviceId: string) {}

  observeService(service: Service, nowMs: number): ProgressStep {
    const messages: ProgressMessage[] = [];
    const monitor = (service.Spec.UpdateConfig as { Monitor?: number } | undefined)?.Monitor;
    if (monitor) this.monitorNs = monitor;
    try {
      this.updater ??= updaterFor(service);
    } catch (error) {
      return { messages, outcome: { kind: 'error', message: (error as Error).message } };
    }
    const status = service.UpdateStatus;
    switch (status?.State) {
      case 'updating':
        this.rollback = false;
        break;
      case 'completed':
        if (!this.converged) return { messages, outcome: DONE };
        break;
      case 'paused':
        return {
          messages,
          outcome: { kind: 'error', message: `service update paused: ${status.Message ?? ''}` },
        };
      case 'rollback_started':
        if (!this.rollback && status.Message)
          messages.push({ id: 'rollback', action: status.Message });
        this.rollback = true;
        break;
      case 'rollback_paused':
        return {
          messages,
          outcome: { kind: 'error', message: `service rollback paused: ${status.Message ?? ''}` },
        };
      default:
        // Docker's rollback_completed (not in Shoal's store type yet, but on the wire).
        if ((status?.State as string | undefined) === 'rollback_completed') {
          if (!this.converged)
            this.finalMessage = { id: 'rollback', message: status?.Message ?? '' };
          this.rollback = true;
        }
    }
    if (
      this.converged &&
      this.convergedAtMs !== undefined &&
      (nowMs - this.convergedAtMs) * 1e6 >= this.monitorNs
    ) {
      messages.push({ id: 'verify', action: 'Service converged' });
      if (this.finalMessage) messages.push(this.finalMessage);
      return { messages, outcome: DONE };
    }
    return { messages, outcome: CONTINUE };
  }

  observeTasks(
    service: Service,
    tasks: readonly Task[],
    activeNodes: ActiveNodes,
    nowMs: number,
  ): ProgressStep {
    const messages: ProgressMessage[] = [];
    try {
      this.converged = this.updater!.update(service, tasks, activeNodes, this.rollback, messages);
    } catch (error) {
      return { messages, outcome: { kind: 'error', message: (error as Error).message } };
    }
    if (this.converged) {
      // Jobs stay done once done: no verification.
      if (service.JobStatus) {
        messages.push({ id: '', message: 'job complete' });
        return { messages, outcome: DONE };
      }
      this.convergedAtMs ??= nowMs;
      // Docker computes `wait/time.Second + 1` a moment after taking the time, so a wait of
      // exactly N seconds reads N and a wait of zero is not shown.
      const waitNs = this.monitorNs - (nowMs - this.convergedAtMs) * 1e6;
      if (waitNs > 0) {
        messages.push({
          id: 'verify',
          action: `Waiting ${Math.ceil(waitNs / 1e9)} seconds to verify that tasks are stable...`,
        });
      }
    } else {
      if (this.convergedAtMs !== undefined)
        messages.push({ id: 'verify', action: 'Detected task failure' });
      this.convergedAtMs = undefined;
    }
    return { messages, outcome: CONTINUE };
  }

  /** Ctrl-C: the operation goes on in the swarm; only the display stops. */
  interrupted(): ProgressMessage[] {
    if (this.converged) return [];
    return [
      { id: '', message: 'Operation continuing in background.' },
      { id: '', message: `Use \`shoal service ps ${this.serviceId}\` to check progress.` },
    ];
  }
}
