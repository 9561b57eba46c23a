// Creating, listing and removing swarm networks, as dockerd and swarmkit's control API do:
// the request is checked whole, the network's subnet and VXLAN id decided, and the network
// written in one batch with the allocation fence (src/manager/allocator/fence.ts), so two
// managers creating networks at once never hand out one subnet twice. A removal is refused
// while a service, or a task its service still wants running, uses the network; checked and
// written under the same fence.

import { isRunnable } from '../../orchestrator/index.ts';
import {
  type Change,
  ConflictError,
  type Network,
  NotFoundError,
  type Store,
} from '../../store/index.ts';
import { ingressNetwork, needsIngress, networkWrites } from '../allocator/index.ts';
import type { ClusterState } from '../cluster-state.ts';
import { clusterObject } from '../cluster-view.ts';
import { allocateNetwork } from './allocate.ts';
import { NetworkError, swarmkitError } from './errors.ts';
import { findNetwork } from './resolve.ts';
import { networkSpecOf } from './spec.ts';

/** Attempts of a write that lost the fence to a concurrent allocation. */
const FENCE_ATTEMPTS = 10;
/** Writers that lost wait a random part of this (times the round) so they do not meet again. */
const FENCE_BACKOFF_MS = 10;

/** The batch lost to a concurrent allocation (or removal): read again and retry. */
function lostFence(error: unknown): boolean {
  return (
    (error instanceof ConflictError || error instanceof NotFoundError) && error.table === 'networks'
  );
}

/**
 * Runs `attempt` (which reads the store and proposes) until it does not lose the fence,
 * catching up with the leader in between. Shared with the services' control.
 */
export async function withFenceRetries<T>(
  state: Pick<ClusterState, 'barrier'>,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (!lostFence(error) || round >= FENCE_ATTEMPTS) throw error;
      await sleep(Math.random() * FENCE_BACKOFF_MS * round);
      await state.barrier();
    }
  }
}

/** Why the network cannot go now (swarmkit's wording), or undefined. */
function removalProblem(store: Store, network: Network): NetworkError | undefined {
  const services = store.list('services');
  if (network.Spec.Ingress) {
    const user = services.find((service) => needsIngress(service.Spec));
    if (user) {
      return swarmkitError(
        'failed_precondition',
        `ingress network cannot be removed because service ${user.Spec.Name} (${user.ID}) depends on it`,
      );
    }
    return undefined;
  }
  const user = services.find((service) =>
    (service.Spec.TaskTemplate.Networks ?? []).some((n) => n.Target === network.ID),
  );
  if (user) {
    return swarmkitError(
      'failed_precondition',
      `network ${network.Spec.Name} (${network.ID}) is in use by service ${user.Spec.Name} (${user.ID}): remove the service or take it off the network (service update --network-rm) first`,
    );
  }
  // As swarmkit: only a task still wanted to run holds the network. Tasks told to stop, and
  // those of removed services (about to be told), do not: `docker stack rm` removes the
  // networks right after the services, without waiting for their tasks to end.
  const task = store
    .list('tasks')
    .find(
      (t) =>
        isRunnable(t) &&
        store.get('services', t.ServiceID) !== undefined &&
        t.NetworksAttachments?.some((a) => a.Network.ID === network.ID),
    );
  if (task) {
    return swarmkitError(
      'failed_precondition',
      `network ${network.Spec.Name} (${network.ID}) is in use by task ${task.ID}: wait for it to stop`,
    );
  }
  return undefined;
}

export class NetworkControl {
  constructor(
    private readonly state: ClusterState,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  private get store(): Store {
    return this.state.store;
  }

  find(reference: string): Network {
    return findNetwork(this.store, reference);
  }

  list(): Network[] {
    return this.store.list('networks');
  }

  /** POST /networks/create: the new network's ID. */
  async create(request: unknown): Promise<{ Id: string; Warning: string }> {
    const spec = networkSpecOf(request);
    const id = this.newId();
    await withFenceRetries(this.state, async () => {
      const store = this.store;
      const existing = store.find('networks', { by: 'name', value: spec.Name });
      if (existing.length > 0) {
        throw new NetworkError('conflict', `network with name ${spec.Name} already exists`);
      }
      const networks = store.list('networks');
      const ingress = ingressNetwork(networks);
      if (spec.Ingress && ingress !== undefined) {
        throw swarmkitError('conflict', `ingress network (${ingress.ID}) is already present`);
      }
      const object = allocateNetwork({ id, spec, cluster: clusterObject(store), networks });
      const changes: Change[] = [
        { kind: 'create', table: 'networks', object },
        ...networkWrites(new Map(networks.map((n) => [n.ID, n])), undefined),
      ];
      await this.propose(changes, spec.Name);
    });
    return { Id: id, Warning: '' };
  }

  /** DELETE /networks/{id}. */
  async remove(reference: string): Promise<void> {
    await withFenceRetries(this.state, async () => {
      const store = this.store;
      const network = this.find(reference);
      const problem = removalProblem(store, network);
      if (problem) throw problem;
      const others = new Map(store.list('networks').map((n) => [n.ID, n]));
      const changes: Change[] = [
        {
          kind: 'delete',
          table: 'networks',
          id: network.ID,
          expectedVersion: network.Version.Index,
        },
        ...networkWrites(others, undefined, new Set([network.ID])),
      ];
      await this.state.propose(changes, new Date(this.now()).toISOString());
    });
  }

  private async propose(changes: Change[], name: string): Promise<void> {
    try {
      await this.state.propose(changes, new Date(this.now()).toISOString());
    } catch (error) {
      if ((error as { code?: string }).code === 'name_conflict') {
        throw new NetworkError('conflict', `network with name ${name} already exists`);
      }
      throw error;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
