// What one reconciliation decides: tasks to create, update and delete, the service's own update
// (its UpdateStatus, or a rollback of its spec), and when to look again (a restart delay or an
// update delay ending). A task created by the plan is handed back as a Task (Version 0) that
// later steps may change like a stored one; updates of one task merge into one change.
import type { Change, ObjectInput, Service, Task } from '../store/index.ts';

export class Plan {
  private readonly created = new Map<string, Task>();
  private readonly updated = new Map<string, { object: Task; expectedVersion: number }>();
  private readonly deleted = new Map<string, number>();
  private serviceUpdate: { object: Service; expectedVersion: number } | undefined;
  /** The earliest time (ms) something planned for later becomes due; undefined: nothing. */
  wakeAt: number | undefined;

  create(input: ObjectInput<'tasks'>, timestamp: string): Task {
    const task: Task = {
      ...input,
      Version: { Index: 0 },
      CreatedAt: timestamp,
      UpdatedAt: timestamp,
    };
    this.created.set(task.ID, task);
    return task;
  }

  isNew(task: Task): boolean {
    return this.created.has(task.ID);
  }

  /** The task as this plan leaves it. */
  current(task: Task): Task {
    return this.created.get(task.ID) ?? this.updated.get(task.ID)?.object ?? task;
  }

  update(task: Task, patch: Partial<Task>): void {
    if (this.deleted.has(task.ID)) throw new Error(`task ${task.ID} is deleted in this plan`);
    const fresh = this.created.get(task.ID);
    if (fresh !== undefined) {
      this.created.set(task.ID, { ...fresh, ...patch });
      return;
    }
    const pending = this.updated.get(task.ID);
    const object = { ...(pending?.object ?? task), ...patch };
    this.updated.set(task.ID, { object, expectedVersion: task.Version.Index });
  }

  delete(task: Task): void {
    if (this.created.delete(task.ID)) return;
    this.updated.delete(task.ID);
    this.deleted.set(task.ID, task.Version.Index);
  }

  isDeleted(task: Task): boolean {
    return this.deleted.has(task.ID);
  }

  /** Changes the service (UpdateStatus, or Spec for a rollback); merges like task updates. */
  updateService(service: Service, patch: Partial<Service>): void {
    const object = { ...(this.serviceUpdate?.object ?? service), ...patch };
    this.serviceUpdate = { object, expectedVersion: service.Version.Index };
  }

  /** The service as this plan leaves it. */
  service(service: Service): Service {
    return this.serviceUpdate?.object ?? service;
  }

  wake(at: number): void {
    if (this.wakeAt === undefined || at < this.wakeAt) this.wakeAt = at;
  }

  /**
   * The changes to propose. The service's change comes first so a batch split by size keeps
   * it with the first tasks.
   */
  changes(): Change[] {
    const changes: Change[] = [];
    if (this.serviceUpdate) {
      const { object, expectedVersion } = this.serviceUpdate;
      changes.push({ kind: 'update', table: 'services', object, expectedVersion });
    }
    for (const [id, expectedVersion] of this.deleted) {
      changes.push({ kind: 'delete', table: 'tasks', id, expectedVersion });
    }
    for (const { object, expectedVersion } of this.updated.values()) {
      changes.push({ kind: 'update', table: 'tasks', object, expectedVersion });
    }
    for (const task of this.created.values()) {
      const { Version: _v, CreatedAt: _c, UpdatedAt: _u, ...input } = task;
      changes.push({ kind: 'create', table: 'tasks', object: input });
    }
    return changes;
  }
}
