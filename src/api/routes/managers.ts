// Shared by routes that need the cluster: the manager-only check and object lookups.
import type { ClusterState } from '../../manager/index.ts';
import type { Node } from '../../store/index.ts';
import { NotFoundError, NotManagerError, UnavailableError } from '../errors.ts';
import type { SwarmControl } from './control.ts';

const CLI = 'shoal';

/** The cluster state, or Docker's 503 for a worker, an inactive or a locked node. */
export function requireManager(control: SwarmControl): ClusterState {
  if (control.state === 'locked') {
    throw new UnavailableError(
      `Swarm is encrypted and needs to be unlocked before it can be used. Please use "${CLI} swarm unlock" to unlock it.`,
    );
  }
  const cluster = control.cluster;
  if (!cluster) {
    throw new NotManagerError({
      reason: control.identity ? 'worker' : 'not-in-swarm',
      cliName: CLI,
    });
  }
  return cluster;
}

/** A node by full ID, then unique ID prefix, then hostname — as the docker CLI resolves them. */
export function findNode(cluster: ClusterState, reference: string): Node {
  const store = cluster.store;
  const exact = store.get('nodes', reference);
  if (exact) return exact;
  for (const by of ['idPrefix', 'name'] as const) {
    const matches = store.find('nodes', { by, value: reference });
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new NotFoundError(`node ${reference} is ambiguous (${matches.length} matches found)`);
    }
  }
  throw new NotFoundError(`node ${reference} not found`);
}
