// /networks endpoints as dockerd answers them in swarm mode for swarm-scoped networks: list
// (with Docker's filters), inspect, create (201 {Id, Warning}), delete (204). A worker serves
// its local networks in Docker; Shoal manages none there, so it lists none and finds none,
// while creating and removing answer Docker's "This node is not a swarm manager" (503).
import {
  NetworkControl,
  NetworkError,
  networkPeers,
  networkResource,
  PREDEFINED_NETWORK_NAMES,
} from '../../manager/networks/index.ts';
import type { Network, Store } from '../../store/index.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.ts';
import { labelFilterMatches, parseFilters } from '../request.ts';
import type { RequestContext } from '../router.ts';
import { empty, json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';

const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];
/** A filter value is a regular expression in dockerd; longer ones are refused. */
const FILTER_PATTERN_MAX = 256;

/** Docker's filters.Match: the exact value, or the value as a regular expression. */
function matchesPattern(source: string, pattern: string): boolean {
  if (source === pattern) return true;
  if (pattern.length > FILTER_PATTERN_MAX) return false;
  try {
    return new RegExp(pattern).test(source);
  } catch {
    return false;
  }
}

function usedByService(store: Store, network: Network): boolean {
  return store
    .list('services')
    .some((service) =>
      (service.Spec.TaskTemplate.Networks ?? []).some((n) => n.Target === network.ID),
    );
}

function checkFilterValues(filters: Map<string, string[]>): void {
  for (const value of filters.get('type') ?? []) {
    if (value !== 'custom' && value !== 'builtin') {
      throw new BadRequestError(`invalid filter 'type=${value}': use custom or builtin`);
    }
  }
  for (const value of filters.get('dangling') ?? []) {
    if (!['true', '1', 'false', '0'].includes(value.toLowerCase())) {
      throw new BadRequestError(`invalid filter 'dangling=${value}': use true or false`);
    }
  }
}

function matches(store: Store, network: Network, filters: Map<string, string[]>): boolean {
  const any = (name: string, test: (value: string) => boolean) => {
    const values = filters.get(name);
    return values === undefined || values.some(test);
  };
  const builtin = PREDEFINED_NETWORK_NAMES.has(network.Spec.Name);
  return (
    any('name', (v) => matchesPattern(network.Spec.Name, v)) &&
    any('id', (v) => matchesPattern(network.ID, v)) &&
    any('driver', (v) => (network.DriverState?.Name ?? 'overlay') === v) &&
    any('scope', (v) => v === 'swarm') &&
    any('label', (v) => labelFilterMatches(network.Spec.Labels ?? {}, v)) &&
    any('type', (v) => (v === 'builtin') === builtin) &&
    any(
      'dangling',
      (v) => ['true', '1'].includes(v.toLowerCase()) !== usedByService(store, network),
    )
  );
}

/** Network errors with the status Docker answers (403 has no store code). */
function apiError(error: unknown): unknown {
  if (error instanceof NetworkError && error.code === 'permission_denied') {
    return new ForbiddenError(error.message, { cause: error });
  }
  return error;
}

function resource(store: Store, network: Network) {
  const nodes = new Map(store.list('nodes').map((node) => [node.ID, node]));
  return networkResource(network, networkPeers(network, store.list('tasks'), nodes));
}

/** A manager's network control; undefined on a worker (or a node outside a swarm). */
function controlOf(control: SwarmControl, newId: () => string): NetworkControl | undefined {
  if (control.cluster === null && control.state !== 'locked') return undefined;
  return new NetworkControl(requireManager(control), newId);
}

export function addNetworkRoutes(router: Router, control: SwarmControl, newId: () => string) {
  router.get('/networks', (context) => {
    const filters = parseFilters(context.query, NETWORK_FILTERS);
    checkFilterValues(filters);
    const networks = controlOf(control, newId);
    if (networks === undefined) return json(200, []);
    const store = requireManager(control).store;
    const list = networks.list().filter((network) => matches(store, network, filters));
    return json(
      200,
      list.map((network) => resource(store, network)),
    );
  });

  router.get('/networks/{id}', (context: RequestContext) => {
    const id = context.params.id!;
    const networks = controlOf(control, newId);
    const scope = context.query.get('scope');
    if (networks === undefined || (scope !== null && scope !== '' && scope !== 'swarm')) {
      throw new NotFoundError(`network ${id} not found`);
    }
    try {
      return json(200, resource(requireManager(control).store, networks.find(id)));
    } catch (error) {
      throw apiError(error);
    }
  });

  router.post('/networks/create', async (context) => {
    const body = await context.body();
    const networks = new NetworkControl(requireManager(control), newId);
    try {
      return json(201, await networks.create(body));
    } catch (error) {
      throw apiError(error);
    }
  });

  router.delete('/networks/{id}', async (context) => {
    const networks = new NetworkControl(requireManager(control), newId);
    try {
      await networks.remove(context.params.id!);
    } catch (error) {
      throw apiError(error);
    }
    return empty(204);
  });
}
