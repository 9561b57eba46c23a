// A small world for the orchestrators' tests: a real Store, a clock, nodes, and a fake agent
// that moves tasks through their states. `settle()` runs reconciliation (and a trivial
// scheduler: round robin over ready, active nodes) until nothing changes.
import {
  type Change,
  type Node,
  type ObjectInput,
  type Service,
  type ServiceSpec,
  Store,
  type Task,
  type TaskState,
} from '../store/index.ts';
import { nodeInput } from '../store/test-support.ts';
import { reconcileService } from './reconcile.ts';

export class World {
  readonly store = new Store();
  now = Date.UTC(2026, 0, 1);
  historyLimit = 5;
  private index = 0;
  private ids = 0;
  private rr = 0;

  apply(changes: Change[]): void {
    if (changes.length === 0) return;
    const result = this.store.apply(++this.index, {
      timestamp: new Date(this.now).toISOString(),
      changes,
    });
    if (!result.ok) throw result.error;
  }

  newId = (): string => `t${String(++this.ids).padStart(4, '0')}`;

  addNode(id: string, patch: Partial<Node> = {}): void {
    this.apply([{ kind: 'create', table: 'nodes', object: { ...nodeInput(id, id), ...patch } }]);
  }

  updateNode(id: string, change: (node: Node) => Node): void {
    const node = this.store.get('nodes', id)!;
    this.apply([
      { kind: 'update', table: 'nodes', object: change(node), expectedVersion: node.Version.Index },
    ]);
  }

  createService(id: string, spec: Partial<ServiceSpec>): void {
    const object: ObjectInput<'services'> = {
      ID: id,
      Spec: {
        Name: id,
        Labels: {},
        TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
        Mode: { Replicated: { Replicas: 1 } },
        ...spec,
      },
      SpecVersion: { Index: 1 },
    };
    this.apply([{ kind: 'create', table: 'services', object }]);
  }

  updateService(id: string, change: (service: Service) => Service): void {
    const service = this.store.get('services', id)!;
    this.apply([
      {
        kind: 'update',
        table: 'services',
        object: { ...change(service), PreviousSpec: service.Spec },
        expectedVersion: service.Version.Index,
      },
    ]);
  }

  service(id: string): Service {
    return this.store.get('services', id)!;
  }

  tasks(serviceId: string): Task[] {
    return this.store.find('tasks', { by: 'serviceId', value: serviceId });
  }

  /** Tasks the orchestrator still wants (desired at most running, or complete for jobs). */
  wanted(serviceId: string): Task[] {
    return this.tasks(serviceId).filter(
      (t) =>
        ['ready', 'running', 'complete'].includes(t.DesiredState) && t.Status.State !== 'complete',
    );
  }

  setState(taskId: string, state: TaskState, extra: Partial<Task['Status']> = {}): void {
    const task = this.store.get('tasks', taskId)!;
    this.apply([
      {
        kind: 'update',
        table: 'tasks',
        object: {
          ...task,
          Status: {
            Timestamp: new Date(this.now).toISOString(),
            State: state,
            Message: state,
            ...extra,
          },
        },
        expectedVersion: task.Version.Index,
      },
    ]);
  }

  /** One reconciliation of a service; returns its wake time. */
  reconcile(serviceId: string): number | undefined {
    const plan = reconcileService(this.store.get('services', serviceId), this.tasks(serviceId), {
      now: this.now,
      newId: this.newId,
      nodes: new Map(this.store.list('nodes').map((n) => [n.ID, n])),
      historyLimit: this.historyLimit,
    });
    this.apply(plan.changes());
    return plan.wakeAt;
  }

  /** Allocates (nothing) and assigns new and pending tasks round robin (global ones keep their node). */
  schedule(): void {
    const nodes = this.store
      .list('nodes')
      .filter((n) => n.Status.State === 'ready' && n.Spec.Availability === 'active');
    const changes: Change[] = [];
    for (const task of this.store.find('tasks', (t) =>
      ['new', 'pending'].includes(t.Status.State),
    )) {
      const nodeId = task.NodeID ?? nodes[this.rr++ % Math.max(1, nodes.length)]?.ID;
      if (nodeId === undefined) continue;
      changes.push({
        kind: 'update',
        table: 'tasks',
        object: { ...task, NodeID: nodeId, Status: { ...task.Status, State: 'assigned' } },
        expectedVersion: task.Version.Index,
      });
    }
    this.apply(changes);
  }

  /** The fake agent: assigned tasks it may run become running; shut down ones stop. */
  runAgents(): void {
    for (const task of this.store.list('tasks')) {
      const state = task.Status.State;
      const ended = ['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove'].includes(
        state,
      );
      if (ended || task.NodeID === undefined || state === 'new' || state === 'pending') continue;
      const node = this.store.get('nodes', task.NodeID);
      if (node?.Status.State === 'down') continue;
      if (['shutdown', 'remove'].includes(task.DesiredState)) this.setState(task.ID, 'shutdown');
      else if (task.DesiredState === 'ready' && state !== 'ready') this.setState(task.ID, 'ready');
      else if (
        (task.DesiredState === 'running' || task.DesiredState === 'complete') &&
        state !== 'running'
      ) {
        this.setState(task.ID, 'running');
      }
    }
  }

  /** Reconciles, schedules and runs agents until nothing changes (bounded). */
  settle(serviceId: string, rounds = 20): number | undefined {
    let wake: number | undefined;
    for (let round = 0; round < rounds; round++) {
      const before = this.store.version;
      wake = this.reconcile(serviceId);
      this.schedule();
      this.runAgents();
      if (this.store.version === before) return wake;
    }
    throw new Error(`service ${serviceId} did not settle in ${rounds} rounds`);
  }
}
