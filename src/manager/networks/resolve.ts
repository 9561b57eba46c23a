// Networks by reference, as dockerd resolves them (daemon/cluster/helpers.go getNetwork): full
// ID, then name (case-insensitive), then unique ID prefix. A service's network targets become
// network IDs this way before the service is stored, so renaming-free references never dangle.
import type { Network, ServiceSpec, Store, TaskSpec } from '../../store/index.ts';
import { NetworkError, swarmkitError } from './errors.ts';
import { PREDEFINED_NETWORK_NAMES } from './spec.ts';

/** A service joins at most this many networks (each costs an address per task). */
export const NETWORKS_PER_SERVICE_MAX = 64;

export function findNetwork(store: Store, reference: string): Network {
  const exact = store.get('networks', reference);
  if (exact) return exact;
  if (reference !== '') {
    for (const by of ['name', 'idPrefix'] as const) {
      const matches = store.find('networks', { by, value: reference });
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) {
        throw new NetworkError(
          'invalid_argument',
          `network ${reference} is ambiguous (${matches.length} matches found)`,
        );
      }
    }
  }
  throw new NetworkError('not_found', `network ${reference} not found`);
}

type Attachment = NonNullable<TaskSpec['Networks']>[number];

function resolveTarget(store: Store, attachment: unknown): Attachment {
  const target = (attachment as { Target?: unknown } | null)?.Target;
  if (typeof target !== 'string' || target === '') {
    throw swarmkitError('invalid_argument', 'TaskSpec: a network attachment needs a Target');
  }
  let network: Network;
  try {
    network = findNetwork(store, target);
  } catch (error) {
    if (error instanceof NetworkError && error.code === 'not_found') {
      if (PREDEFINED_NETWORK_NAMES.has(target)) {
        throw new NetworkError(
          'permission_denied',
          `The network ${target} cannot be used with services. Only networks scoped to the swarm can be used, such as those created with the overlay driver.`,
        );
      }
    }
    throw error;
  }
  if (network.Spec.Ingress) {
    throw swarmkitError(
      'invalid_argument',
      `Service cannot be explicitly attached to the ingress network "${network.Spec.Name}"`,
    );
  }
  const aliases = (attachment as { Aliases?: unknown }).Aliases;
  if (aliases !== undefined && aliases !== null) {
    if (!Array.isArray(aliases) || aliases.some((alias) => typeof alias !== 'string')) {
      throw swarmkitError(
        'invalid_argument',
        `TaskSpec: the aliases on network ${target} must be strings`,
      );
    }
  }
  const resolved: Attachment = { ...(attachment as Attachment), Target: network.ID };
  return resolved;
}

/**
 * The spec with every network target resolved to its network's ID (the deprecated top-level
 * `Networks` moved into the task template, as dockerd does). Throws NetworkError for an
 * unknown, ambiguous, local or ingress network, or one joined twice.
 */
export function resolveServiceNetworks(store: Store, spec: ServiceSpec): ServiceSpec {
  const template = spec.TaskTemplate ?? {};
  const legacy = spec.Networks as unknown[] | undefined;
  const requested = (template.Networks as unknown[] | undefined) ?? legacy ?? [];
  if (!Array.isArray(requested)) {
    throw swarmkitError('invalid_argument', 'TaskSpec: Networks must be a list');
  }
  const { Networks: _legacy, ...rest } = spec;
  if (requested.length === 0) {
    const { Networks: _none, ...task } = template;
    return { ...rest, TaskTemplate: task } as ServiceSpec;
  }
  if (requested.length > NETWORKS_PER_SERVICE_MAX) {
    throw swarmkitError(
      'invalid_argument',
      `TaskSpec: a service joins at most ${NETWORKS_PER_SERVICE_MAX} networks, got ${requested.length}`,
    );
  }
  const resolved: Attachment[] = [];
  for (const attachment of requested) {
    const network = resolveTarget(store, attachment);
    if (resolved.some((other) => other.Target === network.Target)) {
      const name = store.get('networks', network.Target)?.Spec.Name ?? network.Target;
      throw swarmkitError(
        'invalid_argument',
        `TaskSpec: network ${name} is attached more than once: list each network once (with all its aliases)`,
      );
    }
    resolved.push(network);
  }
  return { ...rest, TaskTemplate: { ...template, Networks: resolved } } as ServiceSpec;
}
