// `stack deploy` as a client of the Engine API, in docker's order (cli/command/stack/swarm):
// check the node is a manager, prune (with --prune), check external networks, create missing
// networks, create or update secrets and configs, then create or update each service by name
// (only those whose spec changed). Beyond docker: services come in dependency order, each
// dependent waiting for its dependencies' tasks (depends_on); and without -d the command waits
// for the services it changed to converge, drawing the same progress as `service create`.
import type {
  FileObjectSpec,
  NetworkCreateRequest,
  StackDeployment,
  StackService,
} from '../../../compose/index.ts';
import type { Service } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import {
  apiResolver,
  type CommandIo,
  type Daemon,
  DaemonError,
  filtersQuery,
  isNotFound,
  waitOnService,
} from '../service/index.ts';
import { realClock, type WaitClock, waitForDependency } from './dependencies.ts';
import {
  networksToCreate,
  planServices,
  type ResolveImage,
  type ServiceStep,
  servicesToPrune,
  stackFilter,
} from './plan.ts';

export interface DeployOptions {
  prune: boolean;
  resolveImage: ResolveImage;
  detach: boolean;
  quiet: boolean;
}

/** Networks that always exist on every node and need no check (docker's IsUserDefined). */
const PREDEFINED_NETWORKS = new Set(['default', 'bridge', 'host', 'none']);

interface NetworkSummary {
  Id?: string;
  ID?: string;
  Name?: string;
  Scope?: string;
}

async function checkManager(daemon: Daemon): Promise<void> {
  const info = await daemon.call<{ Swarm?: { ControlAvailable?: boolean } }>('GET', '/info');
  if (!info.Swarm?.ControlAvailable) {
    throw new CliError(
      'this node is not a swarm manager. Use "shoal swarm init" or "shoal swarm join" to connect this node to swarm and try again',
    );
  }
}

export async function stackServices(daemon: Daemon, stack: string): Promise<Service[]> {
  return daemon.call<Service[]>('GET', '/services', {
    query: { filters: filtersQuery(stackFilter(stack)) },
  });
}

export async function stackNetworks(daemon: Daemon, stack: string): Promise<NetworkSummary[]> {
  return daemon.call<NetworkSummary[]>('GET', '/networks', {
    query: { filters: filtersQuery(stackFilter(stack)) },
  });
}

async function removeServices(daemon: Daemon, services: readonly Service[], io: CommandIo) {
  let failed = false;
  for (const service of services) {
    io.out(`Removing service ${service.Spec.Name}\n`);
    try {
      await daemon.call('DELETE', `/services/${service.ID}`);
    } catch (error) {
      failed = true;
      io.err(`Failed to remove service ${service.ID}: ${(error as Error).message}\n`);
    }
  }
  return failed;
}

async function checkExternalNetworks(daemon: Daemon, names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (PREDEFINED_NETWORKS.has(name)) continue;
    let network: NetworkSummary;
    try {
      network = await daemon.call<NetworkSummary>('GET', `/networks/${encodeURIComponent(name)}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new CliError(
        `network "${name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`,
      );
    }
    if (network.Scope !== undefined && network.Scope !== 'swarm') {
      throw new CliError(
        `network "${name}" is declared as external, but it is not in the right scope: "${network.Scope}" instead of "swarm"`,
      );
    }
  }
}

async function createNetworks(
  daemon: Daemon,
  stack: string,
  networks: readonly NetworkCreateRequest[],
  io: CommandIo,
): Promise<void> {
  const existing = new Set(
    (await stackNetworks(daemon, stack)).map((network) => network.Name ?? ''),
  );
  for (const network of networksToCreate(networks, existing)) {
    io.out(`Creating network ${network.Name}\n`);
    try {
      await daemon.call('POST', '/networks/create', { body: network });
    } catch (error) {
      throw new CliError(`failed to create network ${network.Name}: ${(error as Error).message}`);
    }
  }
}

/** docker's createSecrets/createConfigs: update the ones that exist, create the others. */
async function createFileObjects(
  daemon: Daemon,
  kind: 'secret' | 'config',
  specs: readonly FileObjectSpec[],
  io: CommandIo,
): Promise<void> {
  for (const spec of specs) {
    let current: { ID: string; Version: { Index: number } } | undefined;
    try {
      current = await daemon.call('GET', `/${kind}s/${encodeURIComponent(spec.Name)}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      if (current) {
        await daemon.call('POST', `/${kind}s/${current.ID}/update`, {
          query: { version: current.Version.Index },
          body: spec,
        });
      } else {
        io.out(`Creating ${kind} ${spec.Name}\n`);
        await daemon.call('POST', `/${kind}s/create`, { body: spec });
      }
    } catch (error) {
      const verb = current ? 'update' : 'create';
      throw new CliError(`failed to ${verb} ${kind} ${spec.Name}: ${(error as Error).message}`);
    }
  }
}

/**
 * The specs with their references as the daemon stores them: network names to IDs, secret and
 * config names with their IDs, so that comparing with existing services means something.
 */
async function resolveReferences(
  daemon: Daemon,
  services: readonly StackService[],
): Promise<StackService[]> {
  const networks = await daemon.call<NetworkSummary[]>('GET', '/networks');
  const networkIds = new Map(networks.map((network) => [network.Name, network.Id ?? network.ID]));
  const resolver = apiResolver(daemon);
  const resolved: StackService[] = [];
  for (const service of services) {
    const spec = structuredClone(service.spec);
    const task = spec.TaskTemplate;
    task.Networks = task.Networks?.map((attachment) => ({
      ...attachment,
      Target: networkIds.get(attachment.Target) ?? attachment.Target,
    }));
    const container = task.ContainerSpec;
    if (container?.Secrets?.length) container.Secrets = await resolver.secrets(container.Secrets);
    if (container?.Configs?.length) container.Configs = await resolver.configs(container.Configs);
    resolved.push({ ...service, spec });
  }
  return resolved;
}

async function awaitDependencies(
  daemon: Daemon,
  step: Exclude<ServiceStep, { action: 'unchanged' }>,
  io: CommandIo,
  clock: WaitClock,
): Promise<void> {
  for (const dependency of step.dependsOn) {
    const service = await daemon.call<Service>(
      'GET',
      `/services/${encodeURIComponent(dependency.service)}`,
    );
    io.out(`Waiting for ${dependency.service} (${dependency.condition})\n`);
    await waitForDependency(daemon, step.name, service, dependency.condition, clock);
  }
}

async function applyStep(
  daemon: Daemon,
  step: Exclude<ServiceStep, { action: 'unchanged' }>,
  io: CommandIo,
): Promise<string> {
  try {
    if (step.action === 'create') {
      io.out(`Creating service ${step.name}\n`);
      const response = await daemon.call<{ ID: string; Warnings?: string[] | null }>(
        'POST',
        '/services/create',
        { body: step.spec },
      );
      for (const warning of response.Warnings ?? []) io.err(`${warning}\n`);
      return response.ID;
    }
    io.out(`Updating service ${step.name} (id: ${step.id})\n`);
    const response = await daemon.call<{ Warnings?: string[] | null } | undefined>(
      'POST',
      `/services/${step.id}/update`,
      { query: { version: step.version }, body: step.spec },
    );
    for (const warning of response?.Warnings ?? []) io.err(`${warning}\n`);
    return step.id;
  } catch (error) {
    if (!(error instanceof DaemonError)) throw error;
    throw new CliError(
      `failed to ${step.action} service ${step.name}: ${(error as Error).message}`,
    );
  }
}

export async function runDeploy(
  daemon: Daemon,
  deployment: StackDeployment,
  options: DeployOptions,
  io: CommandIo,
  clock: WaitClock = realClock,
): Promise<void> {
  for (const warning of deployment.warnings) {
    io.err(warning.startsWith('Ignoring ') ? `${warning}\n\n` : `${warning}\n`);
  }
  await checkManager(daemon);
  const { stack } = deployment;
  if (options.prune) {
    const keys = new Set(deployment.services.map((service) => service.key));
    await removeServices(
      daemon,
      servicesToPrune(stack, keys, await stackServices(daemon, stack)),
      io,
    );
  }
  await checkExternalNetworks(daemon, deployment.externalNetworks);
  await createNetworks(daemon, stack, deployment.networks, io);
  await createFileObjects(daemon, 'secret', deployment.secrets, io);
  await createFileObjects(daemon, 'config', deployment.configs, io);

  const desired = await resolveReferences(daemon, deployment.services);
  const steps = planServices(desired, await stackServices(daemon, stack), options.resolveImage);
  const changed: string[] = [];
  for (const step of steps) {
    if (step.action === 'unchanged') continue;
    await awaitDependencies(daemon, step, io, clock);
    changed.push(await applyStep(daemon, step, io));
  }
  if (options.detach) return;
  for (const id of changed) {
    await waitOnService(daemon, id, {
      quiet: options.quiet,
      write: io.out,
      terminal: io.terminal,
      ...(io.columns === undefined ? {} : { columns: io.columns }),
      now: io.now,
      ...(io.interrupted ? { interrupted: io.interrupted } : {}),
    });
  }
}

/** How long `stack rm` retries a network that tasks of the removed services still use. */
export const NETWORK_REMOVE_WAIT_MS = 60_000;
const NETWORK_REMOVE_RETRY_MS = 500;

/**
 * DELETE a network, retrying while tasks of just-removed services still hold it (they stop a
 * moment after their service is gone; docker's stack rm fails there, Shoal waits a bounded time).
 */
async function removeNetwork(daemon: Daemon, id: string, clock: WaitClock): Promise<void> {
  const started = clock.now();
  for (;;) {
    try {
      await daemon.call('DELETE', `/networks/${id}`);
      return;
    } catch (error) {
      const busy = error instanceof DaemonError && /in use by task/.test(error.daemonMessage);
      if (!busy || clock.now() - started >= NETWORK_REMOVE_WAIT_MS) throw error;
    }
    await clock.sleep(NETWORK_REMOVE_RETRY_MS);
  }
}

/** `stack rm`: services, then secrets, configs and networks of each stack (docker's order). */
export async function runRemove(
  daemon: Daemon,
  stacks: readonly string[],
  io: CommandIo,
  clock: WaitClock = realClock,
) {
  const failures: string[] = [];
  for (const stack of stacks) {
    const query = { filters: filtersQuery(stackFilter(stack)) };
    const services = (await stackServices(daemon, stack)).sort((a, b) =>
      a.Spec.Name < b.Spec.Name ? -1 : a.Spec.Name > b.Spec.Name ? 1 : 0,
    );
    const networks = await stackNetworks(daemon, stack);
    type Named = { ID: string; Spec: { Name: string } };
    const secrets = await daemon.call<Named[]>('GET', '/secrets', { query });
    const configs = await daemon.call<Named[]>('GET', '/configs', { query });
    if (services.length + networks.length + secrets.length + configs.length === 0) {
      io.err(`Nothing found in stack: ${stack}\n`);
      continue;
    }
    let failed = await removeServices(daemon, services, io);
    const removeAll = async (
      kind: string,
      objects: readonly { id: string; name: string }[],
      path: string,
    ) => {
      for (const object of objects) {
        io.out(`Removing ${kind} ${object.name}\n`);
        try {
          if (kind === 'network') await removeNetwork(daemon, object.id, clock);
          else await daemon.call('DELETE', `${path}/${object.id}`);
        } catch (error) {
          failed = true;
          io.err(`Failed to remove ${kind} ${object.id}: ${(error as Error).message}\n`);
        }
      }
    };
    const named = (objects: readonly Named[]) =>
      objects.map((object) => ({ id: object.ID, name: object.Spec.Name }));
    await removeAll('secret', named(secrets), '/secrets');
    await removeAll('config', named(configs), '/configs');
    await removeAll(
      'network',
      networks.map((network) => ({ id: network.Id ?? network.ID ?? '', name: network.Name ?? '' })),
      '/networks',
    );
    if (failed) failures.push(`failed to remove some resources from stack: ${stack}`);
  }
  if (failures.length > 0) throw new CliError(failures.join('\n'));
}
