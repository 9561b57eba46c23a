// /services endpoints, shaped as the Docker Engine API (v1.41) answers them.
import { ServiceControl } from '../../manager/services/index.ts';
import type { Service, ServiceSpec, Store, Task } from '../../store/index.ts';
import { BadRequestError } from '../errors.ts';
import { labelFilterMatches, parseFilters, queryBool, queryInt } from '../request.ts';
import { empty, json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';
import { serviceSpecFromRequest } from './service-input.ts';

const SERVICE_FILTERS = ['id', 'label', 'mode', 'name'];

function modeName(service: Service): string {
  const mode = service.Spec.Mode;
  if (mode.Global) return 'global';
  if (mode.ReplicatedJob) return 'replicated-job';
  if (mode.GlobalJob) return 'global-job';
  return 'replicated';
}

function matches(service: Service, filters: Map<string, string[]>): boolean {
  const any = (name: string, test: (value: string) => boolean) => {
    const values = filters.get(name);
    return values === undefined || values.some(test);
  };
  return (
    any('id', (v) => service.ID.startsWith(v)) &&
    any('name', (v) => service.Spec.Name.startsWith(v)) &&
    any('mode', (v) => modeName(service) === v) &&
    any('label', (v) => labelFilterMatches(service.Spec.Labels ?? {}, v))
  );
}

/** Docker's ServiceStatus: running tasks on live nodes, desired and completed tasks. */
export function serviceStatus(store: Store, service: Service) {
  const tasks = store.find('tasks', { by: 'serviceId', value: service.ID });
  const nodeUp = (task: Task) =>
    task.NodeID !== undefined && store.get('nodes', task.NodeID)?.Status.State !== 'down';
  let running = 0;
  let completed = 0;
  let globalDesired = 0;
  for (const task of tasks) {
    const wanted = task.DesiredState === 'running' || task.DesiredState === 'complete';
    if (task.Status.State === 'complete' && task.DesiredState === 'complete') completed++;
    if (!wanted) continue;
    if (task.DesiredState === 'running' || task.Status.State !== 'complete') globalDesired++;
    if (task.Status.State === 'running' && nodeUp(task)) running++;
  }
  const mode = service.Spec.Mode;
  let desired = globalDesired;
  if (mode.Replicated) desired = mode.Replicated.Replicas;
  if (mode.ReplicatedJob) {
    const total = mode.ReplicatedJob.TotalCompletions ?? 1;
    const concurrent = mode.ReplicatedJob.MaxConcurrent || total;
    desired = Math.max(0, Math.min(concurrent, total - completed));
  }
  return { RunningTasks: running, DesiredTasks: desired, CompletedTasks: completed };
}

/**
 * What Docker shows of a service: without Shoal's internal spec counter, with the endpoint mode
 * dockerd fills in (`vip`) when the spec left it out, and no empty list of published ports.
 * Only the endpoint is filled in: a default written into the task template would come back in
 * the next update from the CLI and make every task look outdated.
 */
export function serviceView(service: Service): Service {
  const { SpecVersion: _internal, ...view } = service;
  const spec = { ...view.Spec, EndpointSpec: { Mode: 'vip' as const, ...view.Spec.EndpointSpec } };
  if (view.Endpoint === undefined) return { ...view, Spec: spec } as Service;
  const { Ports: ports, ...endpoint } = view.Endpoint;
  return {
    ...view,
    Spec: spec,
    Endpoint: {
      ...endpoint,
      Spec: { Mode: 'vip', ...endpoint.Spec },
      ...(ports !== undefined && ports.length > 0 ? { Ports: ports } : {}),
    },
  } as Service;
}

/** A published port of a service that a node could not open (a Shoal extension). */
export interface ServicePortConflict {
  NodeID: string;
  Protocol: 'tcp' | 'udp';
  PublishedPort: number;
  Message: string;
}

/** The port conflicts live nodes report, by service ID. */
export function portConflictsByService(store: Store): Map<string, ServicePortConflict[]> {
  const byService = new Map<string, ServicePortConflict[]>();
  for (const node of store.list('nodes')) {
    if (node.Status.State === 'down') continue;
    for (const conflict of node.Status.PortConflicts ?? []) {
      let list = byService.get(conflict.ServiceID);
      if (list === undefined) {
        list = [];
        byService.set(conflict.ServiceID, list);
      }
      list.push({
        NodeID: node.ID,
        Protocol: conflict.Protocol,
        PublishedPort: conflict.PublishedPort,
        Message: conflict.Message,
      });
    }
  }
  return byService;
}

/** serviceView, with the published ports some node could not open (only when there are). */
function serviceViewWithConflicts(
  service: Service,
  conflicts: Map<string, ServicePortConflict[]>,
): Service & { PortConflicts?: ServicePortConflict[] } {
  const found = conflicts.get(service.ID);
  const view = serviceView(service);
  return found === undefined ? view : { ...view, PortConflicts: found };
}

export function addServiceRoutes(router: Router, control: SwarmControl, newId: () => string): void {
  const services = () => new ServiceControl(requireManager(control), newId);

  router.get('/services', (context) => {
    const cluster = requireManager(control);
    const filters = parseFilters(context.query, SERVICE_FILTERS);
    const withStatus = queryBool(context.query, 'status');
    const list = cluster.store.list('services').filter((service) => matches(service, filters));
    const conflicts = portConflictsByService(cluster.store);
    return json(
      200,
      list.map((service) =>
        withStatus
          ? {
              ...serviceViewWithConflicts(service, conflicts),
              ServiceStatus: serviceStatus(cluster.store, service),
            }
          : serviceViewWithConflicts(service, conflicts),
      ),
    );
  });

  router.post('/services/create', async (context) => {
    const spec = serviceSpecFromRequest(await context.body<ServiceSpec>());
    if (spec === undefined || spec === null)
      throw new BadRequestError('a service spec is required');
    return json(201, await services().create(spec));
  });

  router.get('/services/{id}', (context) => {
    const service = services().find(context.params.id!);
    const conflicts = portConflictsByService(requireManager(control).store);
    return json(200, serviceViewWithConflicts(service, conflicts));
  });

  router.post('/services/{id}/update', async (context) => {
    const version = queryInt(context.query, 'version');
    if (version === undefined) throw new BadRequestError('the version of the service is required');
    const rollback = context.query.get('rollback');
    if (rollback !== null && rollback !== '' && rollback !== 'previous') {
      throw new BadRequestError(`unrecognized rollback option ${rollback}`);
    }
    const spec = serviceSpecFromRequest((await context.body<ServiceSpec>()) ?? ({} as ServiceSpec));
    const control = services();
    return json(
      200,
      await control.update(context.params.id!, version, spec, rollback === 'previous'),
    );
  });

  router.delete('/services/{id}', async (context) => {
    await services().remove(context.params.id!);
    return empty(200);
  });
}
