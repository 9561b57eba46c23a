// /tasks endpoints, shaped as the Docker Engine API (v1.41) answers them.
import { isOutdated } from '../../orchestrator/index.ts';
import type { Store, Task } from '../../store/index.ts';
import { NotFoundError } from '../errors.ts';
import { labelFilterMatches, parseFilters } from '../request.ts';
import { json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';

const TASK_FILTERS = ['_up-to-date', 'desired-state', 'id', 'label', 'name', 'node', 'service'];

/** What `docker service ps` calls a task: service.slot, or service.node for global tasks. */
function taskName(task: Task): string {
  return `${task.ServiceAnnotations?.Name ?? task.ServiceID}.${task.Slot ?? task.NodeID ?? ''}`;
}

function serviceIds(store: Store, reference: string): Set<string> {
  const ids = new Set<string>();
  const exact = store.get('services', reference);
  if (exact) ids.add(exact.ID);
  for (const by of ['name', 'idPrefix'] as const) {
    for (const service of store.find('services', { by, value: reference })) ids.add(service.ID);
  }
  // Tasks of a removed service are still found by its ID.
  ids.add(reference);
  return ids;
}

function nodeIds(store: Store, reference: string): Set<string> {
  const ids = new Set<string>([reference]);
  for (const by of ['name', 'idPrefix'] as const) {
    for (const node of store.find('nodes', { by, value: reference })) ids.add(node.ID);
  }
  return ids;
}

export function addTaskRoutes(router: Router, control: SwarmControl): void {
  router.get('/tasks', (context) => {
    const store = requireManager(control).store;
    const filters = parseFilters(context.query, TASK_FILTERS);
    const services = filters.get('service')?.map((ref) => serviceIds(store, ref));
    const nodes = filters.get('node')?.map((ref) => nodeIds(store, ref));
    const any = (name: string, test: (value: string) => boolean) => {
      const values = filters.get(name);
      return values === undefined || values.some(test);
    };
    const upToDate = (task: Task) => {
      const service = store.get('services', task.ServiceID);
      return service !== undefined && !isOutdated(task, service);
    };
    const tasks = store.list('tasks').filter(
      (task) =>
        (services === undefined || services.some((ids) => ids.has(task.ServiceID))) &&
        (nodes === undefined ||
          nodes.some((ids) => task.NodeID !== undefined && ids.has(task.NodeID))) &&
        any('id', (v) => task.ID.startsWith(v)) &&
        any('name', (v) => taskName(task).startsWith(v)) &&
        any('desired-state', (v) => task.DesiredState === v) &&
        // As swarmkit: the task's labels and its service's (how `docker stack ps` finds a
        // stack's tasks by com.docker.stack.namespace).
        any('label', (v) =>
          labelFilterMatches({ ...task.ServiceAnnotations?.Labels, ...task.Labels }, v),
        ) &&
        any('_up-to-date', (v) => (v === 'true' || v === '1') === upToDate(task)),
    );
    return json(200, tasks.map(taskView));
  });

  router.get('/tasks/{id}', (context) => {
    const store = requireManager(control).store;
    const id = context.params.id!;
    const task =
      store.get('tasks', id) ?? onlyOne(store.find('tasks', { by: 'idPrefix', value: id }));
    if (!task) throw new NotFoundError(`task ${id} not found`);
    return json(200, taskView(task));
  });
}

/**
 * What Docker shows of a task: swarmkit's task without the fields Docker's API type leaves out
 * (the service's annotations and spec version, which Shoal keeps for the agents and scheduler).
 */
export function taskView(task: Task): Omit<Task, 'ServiceAnnotations' | 'SpecVersion'> {
  const { ServiceAnnotations: _annotations, SpecVersion: _version, ...view } = task;
  return view;
}

function onlyOne(tasks: Task[]): Task | undefined {
  return tasks.length === 1 ? tasks[0] : undefined;
}
