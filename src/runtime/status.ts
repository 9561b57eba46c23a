// RuntimeStatus helpers both drivers share: the status of a task a driver does not have, the
// test for "did anything watch() reports change", and the listener set behind watch().
import type { RuntimeStatus } from './driver.ts';

/** The status of a task the driver has nothing for. */
export function missingStatus(taskId: string): RuntimeStatus {
  return { taskId, phase: 'missing', health: 'none' };
}

/** Whether two statuses agree on what watch() reports (phase, health, which run, the exit). */
export function sameReport(a: RuntimeStatus | undefined, b: RuntimeStatus): boolean {
  return (
    a !== undefined &&
    a.phase === b.phase &&
    a.health === b.health &&
    a.runtimeId === b.runtimeId &&
    a.startedAt === b.startedAt &&
    a.exitCode === b.exitCode
  );
}

/**
 * The listeners of watch(), with the last status reported per task so that each change is
 * reported once. The map holds one entry per task the driver has seen and forgets it on
 * `forget` (remove), so it is bounded by the node's tasks.
 */
export class StatusListeners {
  private readonly listeners = new Set<(status: RuntimeStatus) => void>();
  private readonly last = new Map<string, RuntimeStatus>();

  constructor(private readonly onError: (error: unknown) => void) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (status: RuntimeStatus) => void): () => void {
    // A wrapper per call, so that the same function watched twice is two subscriptions.
    const entry = (status: RuntimeStatus) => listener(status);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Reports `status` unless it is what was reported last for its task. */
  emit(status: RuntimeStatus): void {
    if (sameReport(this.last.get(status.taskId), status)) return;
    // A missing task is reported once and then forgotten, which keeps the map bounded.
    if (status.phase === 'missing') this.last.delete(status.taskId);
    else this.last.set(status.taskId, status);
    for (const listener of [...this.listeners]) {
      try {
        listener({ ...status });
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Remembers `status` as reported without reporting it (a task found at start-up). */
  seen(status: RuntimeStatus): void {
    this.last.set(status.taskId, status);
  }

  forget(taskId: string): void {
    this.last.delete(taskId);
  }

  clear(): void {
    this.listeners.clear();
    this.last.clear();
  }
}
