// Creating, updating and removing services, as swarmkit's control API does: the spec is
// checked whole first, defaults Docker's daemon fills are filled, ports allocated, and one
// batch written (so nothing is half-created). The orchestrators take it from there.

import { type Change, type Service, type ServiceSpec, StoreError } from '../../store/index.ts';
import { allocateServiceEndpoint } from '../allocator/index.ts';
import type { ClusterState } from '../cluster-state.ts';
import { resolveServiceNetworks, withFenceRetries } from '../networks/index.ts';
import { resolveReferences } from '../secrets/index.ts';
import { randomServiceName } from './names.ts';
import { allocatePorts } from './ports.ts';
import { InvalidSpecError, validateServiceSpec } from './validate.ts';

/** A store-style error the API maps to Docker's status (404, 409, 400). */
class ServiceError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid_argument',
    message: string,
  ) {
    super(message);
  }
}

const NAME_ATTEMPTS = 5;

function withDefaults(spec: ServiceSpec): ServiceSpec {
  const filled: ServiceSpec = { ...spec, Labels: spec.Labels ?? {} };
  const mode = spec.Mode ?? {};
  if (Object.values(mode).every((value) => value === undefined)) {
    filled.Mode = { Replicated: { Replicas: 1 } };
  } else if (mode.Replicated !== undefined && mode.Replicated.Replicas === undefined) {
    filled.Mode = { Replicated: { Replicas: 1 } };
  }
  return filled;
}

function modeKind(spec: ServiceSpec): string {
  return (
    Object.keys(spec.Mode).find((k) => (spec.Mode as Record<string, unknown>)[k] !== undefined) ??
    ''
  );
}

export class ServiceControl {
  constructor(
    private readonly state: ClusterState,
    private readonly newId: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A service by full ID, then name, then unique ID prefix (as docker resolves them). */
  find(reference: string): Service {
    const store = this.state.store;
    const exact = store.get('services', reference);
    if (exact) return exact;
    for (const by of ['name', 'idPrefix'] as const) {
      const matches = store.find('services', { by, value: reference });
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) {
        throw new ServiceError(
          'not_found',
          `service ${reference} is ambiguous (${matches.length} matches found)`,
        );
      }
    }
    throw new ServiceError('not_found', `service ${reference} not found`);
  }

  async create(input: ServiceSpec): Promise<{ ID: string; Warnings: string[] }> {
    const named = input?.Name !== undefined && input.Name !== '';
    for (let attempt = 1; ; attempt++) {
      let spec = withDefaults({ ...input, Name: named ? input.Name : randomServiceName() });
      validateServiceSpec(spec);
      // Secret and config references must name existing objects; IDs are filled from names.
      spec = resolveReferences(spec, this.state.store);
      const others = this.state.store.list('services');
      const id = this.newId();
      const timestamp = new Date(this.now()).toISOString();
      const service: Omit<Service, 'Version' | 'CreatedAt' | 'UpdatedAt'> = {
        ID: id,
        Spec: spec,
        Endpoint: {
          Spec: spec.EndpointSpec ?? { Mode: 'vip' },
          Ports: allocatePorts(spec, others),
        },
        SpecVersion: { Index: 1 },
      };
      if (spec.Mode.ReplicatedJob || spec.Mode.GlobalJob) {
        service.JobStatus = { JobIteration: { Index: 1 }, LastExecution: timestamp };
      }
      try {
        await withFenceRetries(this.state, () =>
          this.proposeWithEndpoint(service, undefined, timestamp),
        );
        return { ID: id, Warnings: [] };
      } catch (error) {
        const nameTaken = error instanceof StoreError && error.code === 'name_conflict';
        if (nameTaken && !named && attempt < NAME_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  async update(
    reference: string,
    version: number,
    input: ServiceSpec,
    rollback: boolean,
  ): Promise<{ Warnings: string[] }> {
    const service = this.find(reference);
    if (service.Version.Index !== version) {
      throw new ServiceError('conflict', 'rpc error: code = Unknown desc = update out of sequence');
    }
    let spec: ServiceSpec;
    if (rollback) {
      if (!service.PreviousSpec) {
        throw new InvalidSpecError(`service ${service.ID} does not have a previous spec`);
      }
      spec = service.PreviousSpec;
    } else {
      spec = withDefaults(input);
    }
    validateServiceSpec(spec);
    spec = resolveReferences(spec, this.state.store);
    if (spec.Name !== service.Spec.Name)
      throw new InvalidSpecError('renaming services is not supported');
    if (modeKind(spec) !== modeKind(service.Spec)) {
      throw new InvalidSpecError('service mode change is not allowed');
    }
    const now = new Date(this.now()).toISOString();
    const others = this.state.store.list('services').filter((s) => s.ID !== service.ID);
    const updated: Service = {
      ...service,
      Spec: spec,
      PreviousSpec: service.Spec,
      SpecVersion: { Index: (service.SpecVersion?.Index ?? 0) + 1 },
      Endpoint: {
        ...service.Endpoint,
        Spec: spec.EndpointSpec ?? { Mode: 'vip' },
        Ports: allocatePorts(spec, others, service.Endpoint?.Ports),
      },
    };
    if (rollback) {
      updated.UpdateStatus = {
        State: 'rollback_started',
        StartedAt: now,
        Message: 'manually requested rollback',
      };
    } else {
      // As swarmkit: every update clears it; outdated tasks make the orchestrator mark it
      // 'updating' again (which also resumes a paused update).
      delete updated.UpdateStatus;
    }
    if (service.JobStatus) {
      updated.JobStatus = {
        JobIteration: { Index: service.JobStatus.JobIteration.Index + 1 },
        LastExecution: now,
      };
    }
    await withFenceRetries(this.state, () => this.proposeWithEndpoint(updated, version, now));
    return { Warnings: [] };
  }

  /**
   * Proposes the service with its network targets resolved to IDs and its virtual IPs
   * allocated, in one batch with the allocator's network writes (the fence: a concurrent
   * allocation or network removal makes it fail, and withFenceRetries try again on fresh
   * state). `expectedVersion` undefined: a create.
   */
  private async proposeWithEndpoint(
    input: Omit<Service, 'Version' | 'CreatedAt' | 'UpdatedAt'>,
    expectedVersion: number | undefined,
    timestamp: string,
  ): Promise<void> {
    const store = this.state.store;
    const service = { ...input, Spec: resolveServiceNetworks(store, input.Spec) };
    const allocation = allocateServiceEndpoint(
      {
        networks: store.list('networks'),
        services: store.list('services'),
        tasks: store.list('tasks'),
      },
      service,
    );
    const endpoint = { ...service.Endpoint };
    if (allocation.virtualIps.length > 0) endpoint.VirtualIPs = allocation.virtualIps;
    else delete endpoint.VirtualIPs;
    service.Endpoint = endpoint;
    const change: Change =
      expectedVersion === undefined
        ? { kind: 'create', table: 'services', object: service }
        : { kind: 'update', table: 'services', object: service, expectedVersion };
    await this.state.propose([change, ...allocation.writes], timestamp);
  }

  async remove(reference: string): Promise<void> {
    const service = this.find(reference);
    await this.state.propose([{ kind: 'delete', table: 'services', id: service.ID }]);
  }
}
