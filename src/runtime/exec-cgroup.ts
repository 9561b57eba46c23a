// Best-effort resource limits for exec tasks through cgroup v2. When the unified hierarchy is
// mounted at the root (a `cgroup.controllers` file), writable, and offers the memory, cpu and
// pids controllers, each task with limits gets `<root>/shoal/<taskId>` with memory.max,
// memory.low (the reservation), cpu.max and pids.max, and its process is moved in right after
// it is spawned (children it forks before that instant stay outside: a documented gap, since
// Node cannot spawn into a cgroup). Otherwise tasks run without limits and the driver warns
// once; limits are never a reason for a task to fail.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskSpec } from '../store/index.ts';
import { errorText, type RuntimeLogger } from './logger.ts';

const CONTROLLERS = ['memory', 'cpu', 'pids'];
const CPU_PERIOD_US = 100_000;

type Resources = TaskSpec['Resources'];

/** The cgroup files and values for `resources`; empty when it asks for nothing. */
export function cgroupLimits(resources: Resources): Record<string, string> {
  const files: Record<string, string> = {};
  const limits = resources?.Limits;
  if (limits?.MemoryBytes) files['memory.max'] = String(limits.MemoryBytes);
  if (limits?.NanoCPUs) {
    // The kernel refuses quotas under 1 ms.
    const quota = Math.max(1000, Math.round((limits.NanoCPUs * CPU_PERIOD_US) / 1e9));
    files['cpu.max'] = `${quota} ${CPU_PERIOD_US}`;
  }
  if (limits?.Pids) files['pids.max'] = String(limits.Pids);
  const reservations = resources?.Reservations;
  if (reservations?.MemoryBytes && Object.keys(files).length > 0) {
    files['memory.low'] = String(reservations.MemoryBytes);
  }
  return files;
}

/** Whether memory.events of a cgroup counts an OOM kill. */
export function parseOomKills(memoryEvents: string): number {
  const match = /^oom_kill (\d+)$/m.exec(memoryEvents);
  return match === null ? 0 : Number(match[1]);
}

export class Cgroups {
  private readonly parent: string;
  private available: boolean | undefined;
  private warned = false;

  constructor(
    private readonly root: string,
    private readonly logger: RuntimeLogger,
  ) {
    this.parent = join(root, 'shoal');
  }

  /**
   * Puts `pid` in a new cgroup for `taskId` with the limits of `resources`; the cgroup's path,
   * or undefined when the task asks for no limits or the host cannot give them.
   */
  limit(taskId: string, pid: number, resources: Resources): string | undefined {
    const files = cgroupLimits(resources);
    if (Object.keys(files).length === 0 || !this.ensureParent()) return undefined;
    const path = join(this.parent, taskId);
    try {
      mkdirSync(path, { recursive: true });
      for (const [file, value] of Object.entries(files)) writeFileSync(join(path, file), value);
      writeFileSync(join(path, 'cgroup.procs'), String(pid));
      return path;
    } catch (error) {
      this.warnOnce(`exec: cannot apply cgroup limits (task ${taskId}): ${errorText(error)}`);
      this.removePath(path);
      return undefined;
    }
  }

  /** Whether the kernel OOM-killed a process of the cgroup at `path`. */
  oomKilled(path: string | undefined): boolean {
    if (path === undefined) return false;
    try {
      return parseOomKills(readFileSync(join(path, 'memory.events'), 'utf8')) > 0;
    } catch {
      return false;
    }
  }

  /** Removes a task's cgroup once its processes are gone (no-op when it has none). */
  remove(path: string | undefined): void {
    if (path?.startsWith(`${this.parent}/`)) this.removePath(path);
  }

  private removePath(path: string): void {
    try {
      rmdirSync(path);
    } catch {
      // Missing, or still has processes (it is retried on the next remove).
    }
  }

  private ensureParent(): boolean {
    if (this.available !== undefined) return this.available;
    this.available = false;
    const controllersFile = join(this.root, 'cgroup.controllers');
    if (!existsSync(controllersFile)) {
      this.warnOnce(`exec: no cgroup v2 hierarchy at ${this.root}: tasks run without limits`);
      return false;
    }
    try {
      const offered = readFileSync(controllersFile, 'utf8').trim().split(/\s+/);
      const missing = CONTROLLERS.filter((c) => !offered.includes(c));
      if (missing.length > 0) throw new Error(`controllers not offered: ${missing.join(' ')}`);
      const enable = CONTROLLERS.map((c) => `+${c}`).join(' ');
      writeFileSync(join(this.root, 'cgroup.subtree_control'), enable);
      mkdirSync(this.parent, { recursive: true });
      writeFileSync(join(this.parent, 'cgroup.subtree_control'), enable);
      this.available = true;
    } catch (error) {
      this.warnOnce(
        `exec: cgroup v2 at ${this.root} not usable, tasks run without limits: ${errorText(error)}`,
      );
    }
    return this.available;
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(message);
  }
}
