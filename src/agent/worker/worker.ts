// The agent's worker: runs the tasks the managers assign to this node.
//
// Each assignment set (the node's whole list, pushed by the leader's dispatcher) is persisted
// to `tasks.json` (only when it changed) and reconciled: a TaskRunner per task, created,
// updated with the new desired state, or removed (with its container or process) when the
// task left the set. After a restart the persisted set is loaded first, so tasks keep being
// supervised while no manager answers, and runtime objects are adopted, never duplicated.
// Status changes are handed to `report`; `statuses()` gives them all again for a new session.
// Secrets and configs in a set are held in memory only (tasks.json has the tasks alone) and
// written per task to memory-backed files (task-file-store.ts), removed once the task ended
// or left the node.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AssignmentSet, TaskStatusUpdate } from '../../manager/dispatcher/task-protocol.ts';
import type { Endpoint, LocalEndpoints } from '../../mesh/index.ts';
import { isAfter } from '../../orchestrator/task-states.ts';
import type { RunSpec } from '../../runtime/driver.ts';
import { type RuntimeDriver, type RuntimeStatus, runtimeOf } from '../../runtime/driver.ts';
import { missingStatus } from '../../runtime/status.ts';
import type { RuntimeName, Task, TaskStatus } from '../../store/index.ts';
import { describeNode } from '../description.ts';
import { runSpecOf } from './run-spec.ts';
import { TaskFileStore } from './task-file-store.ts';
import { taskNetworks } from './task-networks.ts';
import { TaskPorts } from './task-ports.ts';
import { TaskRunner } from './task-runner.ts';

export const TASKS_FILE = 'tasks.json';
/** Tasks a node accepts in one set (beyond: refused, the set is kept as it was). */
export const MAX_TASKS_PER_NODE = 5_000;

export interface WorkerOptions {
  nodeId: string;
  hostname: string;
  drivers: Partial<Record<RuntimeName, RuntimeDriver>>;
  /** Where tasks.json lives (the node's data dir). */
  dir: string;
  report: (updates: TaskStatusUpdate[]) => void;
  now?: () => number;
  log?: (line: string) => void;
  /** Called before a task's runtime object starts (the mesh serves its networks). */
  beforeStart?: (spec: RunSpec) => Promise<void>;
  /** Called before a running task is stopped (the mesh drains it); bounded by `graceMs`. */
  beforeStop?: (taskId: string, graceMs: number) => Promise<void>;
  /** Memory-backed root for tasks' secret and config files (default: see memory-dir.ts). */
  filesRoot?: string;
}

export class Worker implements LocalEndpoints {
  private readonly runners = new Map<string, TaskRunner>();
  private readonly unwatch: (() => void)[] = [];
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private persisted = '';
  /** Sets are applied in order, once the runtimes were listed. */
  private ready: Promise<void> = Promise.resolve();
  /** What the runtimes ran when the worker started, by task (taken by the task's runner). */
  private readonly existing = new Map<string, RuntimeStatus>();
  /** Every runtime could be listed: a task not found there has nothing to adopt. */
  private listedAll = true;
  private cleaned = false;
  private stopped = false;

  private readonly ports: TaskPorts;
  private readonly files: TaskFileStore;
  /** A set came from a manager since the start (so it held the tasks' objects). */
  private heardFromManager = false;

  constructor(private readonly options: WorkerOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    this.ports = new TaskPorts(options.dir, this.log);
    const platform = describeNode({ version: '' }).Platform;
    this.files = new TaskFileStore({
      nodeId: options.nodeId,
      ...(options.filesRoot ? { root: options.filesRoot } : {}),
      facts: () => ({ nodeId: options.nodeId, hostname: options.hostname, platform }),
      log: this.log,
    });
  }

  /** Where a running task of this node answers on `targetPort` (the routing mesh asks). */
  endpoint(taskId: string, targetPort: number): Endpoint | string {
    const runner = this.runners.get(taskId);
    if (runner === undefined) return `task ${taskId} is not on this node`;
    if (runner.current().State !== 'running') return `task ${taskId} is not running`;
    const exec = this.ports.execEndpoint(taskId, targetPort);
    if (exec !== undefined) return exec;
    const address = runner.runtimeStatus?.address;
    if (address === undefined) return `task ${taskId} has no address for port ${targetPort}`;
    return { host: address, port: targetPort };
  }

  private specOf(task: Task, node: { nodeId: string; hostname: string }): RunSpec {
    const spec = runSpecOf(task, node);
    const env = this.ports.env(task.ID);
    if (env.length > 0) spec.env = [...(spec.env ?? []), ...env];
    const hostPorts = this.ports.hostPorts(task);
    if (hostPorts.length > 0) spec.hostPorts = hostPorts;
    if (runtimeOf(spec.container) === 'docker') {
      const networks = taskNetworks(task);
      if (networks.length > 0) spec.networks = networks;
    }
    const files = this.files.materialise(task);
    if (files !== undefined) spec.files = files;
    return spec;
  }

  /**
   * Watches the runtimes, learns what they already run (one listing per runtime, so new tasks
   * need no lookup of their own), and resumes the persisted set.
   */
  start(): void {
    for (const driver of Object.values(this.options.drivers)) {
      if (driver === undefined) continue;
      this.unwatch.push(driver.watch((status) => this.runners.get(status.taskId)?.observe(status)));
    }
    this.ready = this.learnExisting().then(() => this.resume());
  }

  private async learnExisting(): Promise<void> {
    for (const driver of Object.values(this.options.drivers)) {
      if (driver === undefined) continue;
      try {
        for (const status of await driver.list()) this.existing.set(status.taskId, status);
      } catch (error) {
        this.listedAll = false;
        this.log(`agent: cannot list ${driver.name} tasks: ${(error as Error).message}`);
      }
    }
  }

  private resume(): void {
    const file = join(this.options.dir, TASKS_FILE);
    if (!existsSync(file) || this.stopped) return;
    try {
      const text = readFileSync(file, 'utf8');
      this.persisted = text;
      this.apply(JSON.parse(text) as AssignmentSet);
      this.log(`agent: resumed ${this.runners.size} task(s) from ${file}`);
    } catch (error) {
      this.log(`agent: ignoring ${file}: ${(error as Error).message}`);
    }
  }

  /** Stops supervising; tasks keep running and are adopted on the next start. */
  stop(): void {
    this.stopped = true;
    for (const unwatch of this.unwatch.splice(0)) unwatch();
    for (const runner of this.runners.values()) runner.close();
    this.runners.clear();
  }

  /** A new set from the leader. */
  setAssignments(set: AssignmentSet): void {
    if (this.stopped) return;
    if (set.tasks.length > MAX_TASKS_PER_NODE) {
      this.log(`agent: refusing ${set.tasks.length} tasks (at most ${MAX_TASKS_PER_NODE})`);
      return;
    }
    this.ready = this.ready.then(() => {
      if (this.stopped) return;
      this.heardFromManager = true;
      this.files.hold(set);
      this.persist({ tasks: set.tasks });
      this.apply(set);
      if (!this.cleaned) {
        this.cleaned = true;
        const keep = new Set(set.tasks.map((task) => task.ID));
        this.files.retain(keep);
        void this.removeStrays(keep);
      }
    });
  }

  /**
   * Stops and removes every task of this node (the node leaves the swarm): those supervised
   * and any the runtimes still hold, with their secret and config files. Forgets the persisted
   * set.
   */
  async removeAll(): Promise<void> {
    const runners = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(
      runners.map((runner) =>
        runner
          .remove()
          .catch((error: Error) => this.log(`agent: removing task ${runner.id}: ${error.message}`)),
      ),
    );
    await this.removeStrays(new Set());
    for (const runner of runners) {
      await this.releaseNetworks(runner).catch((error: Error) =>
        this.log(`agent: removing the networks of task ${runner.id}: ${error.message}`),
      );
    }
    this.files.removeAll();
    rmSync(join(this.options.dir, TASKS_FILE), { force: true });
    this.persisted = '';
  }

  /** Every task's current status, for a new session. */
  statuses(): TaskStatusUpdate[] {
    return [...this.runners.values()].map((runner) => ({
      ID: runner.id,
      Status: runner.current(),
    }));
  }

  /** A task of this node and the driver that runs it, for its logs. */
  taskOf(taskId: string): { task: Task; driver: RuntimeDriver | null } | undefined {
    const runner = this.runners.get(taskId);
    return runner === undefined ? undefined : { task: runner.assigned, driver: runner.driver };
  }

  /** Tasks this worker supervises. */
  get size(): number {
    return this.runners.size;
  }

  private persist(set: AssignmentSet): void {
    const text = JSON.stringify(set);
    if (text === this.persisted) return;
    const file = join(this.options.dir, TASKS_FILE);
    try {
      writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      this.persisted = text;
    } catch (error) {
      this.log(`agent: cannot persist assignments: ${(error as Error).message}`);
    }
  }

  private apply(set: AssignmentSet): void {
    const listed = new Set<string>();
    for (const task of set.tasks) {
      listed.add(task.ID);
      const runner = this.runners.get(task.ID);
      if (runner) runner.update(task);
      else this.add(task);
    }
    this.ports.retain(listed);
    for (const [id, runner] of this.runners) {
      if (listed.has(id)) continue;
      this.runners.delete(id);
      runner
        .remove()
        .then(() => this.files.remove(id))
        .then(() => this.releaseNetworks(runner))
        .catch((error: Error) => this.log(`agent: removing task ${id}: ${error.message}`));
    }
  }

  /** The networks of a removed task that no task of this node uses any more go. */
  private async releaseNetworks(removed: TaskRunner): Promise<void> {
    const driver = removed.driver;
    if (driver?.releaseNetwork === undefined) return;
    const inUse = new Set<string>();
    for (const runner of this.runners.values()) {
      for (const network of taskNetworks(runner.assigned)) inUse.add(network.id);
    }
    for (const network of taskNetworks(removed.assigned)) {
      if (!inUse.has(network.id)) await driver.releaseNetwork(network.id);
    }
  }

  private add(task: Task): void {
    const runtime = task.Spec.ContainerSpec ? runtimeOf(task.Spec.ContainerSpec) : 'docker';
    const driver =
      this.options.drivers[runtime] ??
      (runtime === 'docker'
        ? 'no Docker Engine on this node: use an exec: image or start dockerd'
        : `no ${runtime} runtime on this node`);
    const node = { nodeId: this.options.nodeId, hostname: this.options.hostname };
    const found = this.existing.get(task.ID);
    this.existing.delete(task.ID);
    const known = found ?? (this.listedAll ? missingStatus(task.ID) : null);
    const runner = new TaskRunner(task, {
      driver,
      runtime: known,
      spec: () => this.specOf(task, node),
      ...(this.options.beforeStop ? { beforeStop: this.options.beforeStop } : {}),
      ...(this.options.beforeStart ? { beforeStart: this.options.beforeStart } : {}),
      report: (taskId: string, status: TaskStatus) => {
        // An ended task's process is gone: its secrets and configs need not stay around.
        if (isAfter(status.State, 'running')) this.files.remove(taskId);
        this.options.report([{ ID: taskId, Status: status }]);
      },
      now: this.now,
      log: this.log,
    });
    this.runners.set(task.ID, runner);
    // Exec tasks learn their ports in their environment: assigned before the first step.
    void this.ports
      .assign(task)
      .catch((error: Error) => this.log(`agent: task ${task.ID}: no port: ${error.message}`))
      // A task resumed before a manager sent its secrets and configs again waits for them.
      .finally(() => {
        if (this.heardFromManager || this.files.available(task)) runner.kick();
      });
  }

  /** Runtime objects of tasks this node no longer has (removed while the agent was away). */
  private async removeStrays(keep: Set<string>): Promise<void> {
    for (const driver of Object.values(this.options.drivers)) {
      if (driver === undefined) continue;
      try {
        for (const status of await driver.list()) {
          if (keep.has(status.taskId) || this.runners.has(status.taskId)) continue;
          this.log(`agent: removing task ${status.taskId}, no longer assigned to this node`);
          await driver.stop(status.taskId, 10_000);
          await driver.remove(status.taskId);
        }
      } catch (error) {
        this.log(`agent: cannot list ${driver.name} tasks: ${(error as Error).message}`);
      }
    }
  }
}
