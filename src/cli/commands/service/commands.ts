// The bodies of the `service` verbs, making the requests docker's CLI makes, in its order, over
// the small Daemon interface (so tests can check each request). Output goes through `io`.
import type { Node, Service, ServiceSpec, Task } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import { parseTemplate } from '../../template/index.ts';
import {
  apiResolver,
  type Daemon,
  DaemonError,
  filtersQuery,
  inspectService,
  isNotFound,
  type Query,
} from './api.ts';
import { checkFlagValues } from './flag-check.ts';
import type { FlagValues } from './flag-table.ts';
import { invalidArgument, parseUintBase10 } from './flag-values.ts';
import { buildCreateSpec } from './flags.ts';
import { applyUpdateFlags, checkRollbackAlone } from './flags-update.ts';
import {
  appendServiceStatus,
  formatServiceList,
  formatTaskList,
  type ListedService,
} from './format.ts';
import { formatPretty } from './format-pretty.ts';
import { imageWithTag } from './image-reference.ts';
import { portConflicts } from './port-conflicts.ts';
import { waitOnService } from './wait.ts';

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  terminal: boolean;
  columns?: number;
  now(): number;
  /** Ctrl-C during a progress display (default: SIGINT). */
  interrupted?: Promise<void>;
}

/** The docker client tags an untagged image `:latest` in every spec it sends. */
function withTaggedImage(spec: ServiceSpec): ServiceSpec {
  const container = spec.TaskTemplate?.ContainerSpec;
  if (!container || container.Image === undefined) return spec;
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: { ...container, Image: imageWithTag(container.Image) },
    },
  };
}

/** Waits for the service to converge, then warns of published ports some node could not open. */
async function wait(
  daemon: Daemon,
  serviceId: string,
  quiet: boolean,
  io: CommandIo,
): Promise<void> {
  const service = await waitOnService(daemon, serviceId, {
    quiet,
    write: io.out,
    terminal: io.terminal,
    ...(io.columns === undefined ? {} : { columns: io.columns }),
    now: io.now,
    ...(io.interrupted ? { interrupted: io.interrupted } : {}),
  });
  for (const conflict of service === null ? [] : portConflicts(service)) {
    io.err(`Warning: node ${conflict.NodeID}: ${conflict.Message}\n`);
  }
}

/** `service create`: POST /services/create, print the ID, then wait unless -d. */
export async function runCreate(
  daemon: Daemon,
  image: string,
  args: readonly string[],
  flags: FlagValues,
  io: CommandIo,
): Promise<void> {
  checkFlagValues(flags);
  const spec = withTaggedImage(await buildCreateSpec(image, args, flags, apiResolver(daemon)));
  const response = await daemon.call<{ ID: string; Warnings?: string[] | null }>(
    'POST',
    '/services/create',
    {
      body: spec,
    },
  );
  for (const warning of response.Warnings ?? []) io.err(`${warning}\n`);
  io.out(`${response.ID}\n`);
  if (flags.get('detach') === true) return;
  await wait(daemon, response.ID, flags.get('quiet') === true, io);
}

/** POST /services/{id}/update?version=N[&...] with the spec; answers the warnings. */
async function postUpdate(
  daemon: Daemon,
  service: Service,
  spec: ServiceSpec,
  query: Query,
): Promise<string[]> {
  const response = await daemon.call<{ Warnings?: string[] | null }>(
    'POST',
    `/services/${service.ID}/update`,
    {
      query: { ...query, version: service.Version.Index },
      body: withTaggedImage(spec),
    },
  );
  return response?.Warnings ?? [];
}

/** `service update`: GET the service, apply the flags, POST the update, wait unless -d. */
export async function runUpdate(
  daemon: Daemon,
  reference: string,
  flags: FlagValues,
  io: CommandIo,
): Promise<void> {
  checkFlagValues(flags);
  const service = await inspectService(daemon, reference);
  const rollback = flags.get('rollback') === true;
  if (flags.has('rollback')) checkRollbackAlone(flags);
  const spec = await applyUpdateFlags(service.Spec, flags, apiResolver(daemon));
  const query: Query = {};
  if (flags.get('with-registry-auth') !== true) query.registryAuthFrom = 'spec';
  if (rollback) query.rollback = 'previous';
  const warnings = await postUpdate(daemon, service, spec, query);
  for (const warning of warnings) io.err(`${warning}\n`);
  io.out(`${reference}\n`);
  if (flags.get('detach') === true) return;
  await wait(daemon, reference, flags.get('quiet') === true, io);
}

/** `service rollback`: POST the current spec with rollback=previous, wait unless -d. */
export async function runRollback(
  daemon: Daemon,
  reference: string,
  options: { detach: boolean; quiet: boolean },
  io: CommandIo,
): Promise<void> {
  const service = await inspectService(daemon, reference);
  const warnings = await postUpdate(daemon, service, service.Spec, { rollback: 'previous' });
  for (const warning of warnings) io.err(`${warning}\n`);
  io.out(`${reference}\n`);
  if (options.detach) return;
  await wait(daemon, reference, options.quiet, io);
}

const SCALE_USAGE =
  "See 'shoal service scale --help'.\n\nUsage:  shoal service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]\n\nScale one or multiple replicated services";

/** `service scale web=5 api=2`: per service GET then update; then wait for each unless -d. */
export async function runScale(
  daemon: Daemon,
  specifiers: readonly string[],
  options: { detach: boolean },
  io: CommandIo,
): Promise<void> {
  for (const specifier of specifiers) {
    const equals = specifier.indexOf('=');
    if (equals <= 0 || equals === specifier.length - 1) {
      throw new CliError(`invalid scale specifier '${specifier}'.\n${SCALE_USAGE}`);
    }
  }
  const errors: string[] = [];
  const scaled: string[] = [];
  for (const specifier of specifiers) {
    const equals = specifier.indexOf('=');
    const serviceId = specifier.slice(0, equals);
    const text = specifier.slice(equals + 1);
    let replicas: number;
    try {
      replicas = parseUintBase10(text);
    } catch (error) {
      errors.push(`${serviceId}: invalid replicas value ${text}: ${(error as Error).message}`);
      continue;
    }
    try {
      const service = await inspectService(daemon, serviceId);
      const spec = structuredClone(service.Spec) as ServiceSpec;
      if (spec.Mode.Replicated)
        spec.Mode.Replicated = { ...spec.Mode.Replicated, Replicas: replicas };
      else if (spec.Mode.ReplicatedJob)
        spec.Mode.ReplicatedJob = { ...spec.Mode.ReplicatedJob, TotalCompletions: replicas };
      else throw new CliError('scale can only be used with replicated or replicated-job mode');
      for (const warning of await postUpdate(daemon, service, spec, {})) io.err(`${warning}\n`);
      io.out(`${serviceId} scaled to ${replicas}\n`);
      scaled.push(serviceId);
    } catch (error) {
      errors.push(`${serviceId}: ${(error as Error).message}`);
    }
  }
  if (!options.detach) {
    for (const serviceId of scaled) {
      try {
        await wait(daemon, serviceId, false, io);
      } catch (error) {
        errors.push(`${serviceId}: ${(error as Error).message}`);
      }
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

/** `service rm`: DELETE each; print the ones removed; errors together at the end (exit 1). */
export async function runRemove(
  daemon: Daemon,
  references: readonly string[],
  io: CommandIo,
): Promise<void> {
  const errors: string[] = [];
  for (const reference of references) {
    try {
      await daemon.call('DELETE', `/services/${encodeURIComponent(reference)}`);
      io.out(`${reference}\n`);
    } catch (error) {
      errors.push(
        isNotFound(error) ? `Error: No such service: ${reference}` : (error as Error).message,
      );
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

/** docker's FilterOpt: `-f name=value` (name lower-cased, both trimmed). */
export function parseFilters(values: readonly string[]): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const value of values) {
    if (value === '') continue;
    const equals = value.indexOf('=');
    if (equals < 0) {
      throw invalidArgument('-f, --filter', value, 'bad format of filter (expected name=value)');
    }
    const name = value.slice(0, equals).trim().toLowerCase();
    filters[name] = [...(filters[name] ?? []), value.slice(equals + 1).trim()];
  }
  return filters;
}

/** `service ls`: GET /services?filters&status=true (without status when -q). */
export async function runList(
  daemon: Daemon,
  options: { quiet: boolean; format?: string; filters: readonly string[] },
  io: CommandIo,
): Promise<void> {
  const filters = parseFilters(options.filters);
  let services = await daemon.call<ListedService[]>('GET', '/services', {
    query: { filters: filtersQuery(filters), status: options.quiet ? undefined : true },
  });
  if (!options.quiet) {
    const missing = services.filter(
      (service) =>
        !service.ServiceStatus && (service.Spec.Mode.Replicated || service.Spec.Mode.Global),
    );
    if (missing.length > 0) {
      const tasks = await daemon.call<Task[]>('GET', '/tasks', {
        query: { filters: filtersQuery({ service: missing.map((service) => service.ID) }) },
      });
      const nodes = tasks.length > 0 ? await daemon.call<Node[]>('GET', '/nodes') : [];
      services = appendServiceStatus(services, tasks, nodes);
    }
  }
  io.out(formatServiceList(services, options.format, options.quiet));
}

/** `service ps`: find the services (by ID, name, then ID prefix), list and print their tasks. */
export async function runPs(
  daemon: Daemon,
  references: readonly string[],
  options: {
    quiet: boolean;
    noTrunc: boolean;
    noResolve: boolean;
    format?: string;
    filters: readonly string[];
  },
  io: CommandIo,
): Promise<void> {
  const filters = parseFilters(options.filters);
  const byId = await daemon.call<Service[]>('GET', '/services', {
    query: { filters: filtersQuery({ id: [...references] }) },
  });
  const byName = await daemon.call<Service[]>('GET', '/services', {
    query: { filters: filtersQuery({ name: [...references] }) },
  });
  const notFound: string[] = [];
  const serviceIds: string[] = [];
  for (const reference of references) {
    const exact =
      byId.find((service) => service.ID === reference) ??
      byName.find((s) => s.Spec.Name === reference);
    if (exact) {
      serviceIds.push(exact.ID);
      continue;
    }
    const prefixed = byId.filter((service) => service.ID.startsWith(reference));
    if (prefixed.length > 1)
      throw new CliError(`multiple services found with provided prefix: ${reference}`);
    if (prefixed.length === 1) serviceIds.push(prefixed[0]!.ID);
    else notFound.push(`no such service: ${reference}`);
  }
  if (serviceIds.length === 0) throw new CliError(notFound.join('\n'));
  filters.service = [...(filters.service ?? []), ...serviceIds];
  if (filters.node)
    filters.node = await Promise.all(filters.node.map((node) => nodeReference(daemon, node)));
  const tasks = await daemon.call<Task[]>('GET', '/tasks', {
    query: { filters: filtersQuery(filters) },
  });

  const services = new Map<string, string>();
  const nodes = new Map<string, string>();
  for (const task of tasks) {
    if (!services.has(task.ServiceID)) {
      services.set(
        task.ServiceID,
        options.noResolve ? task.ServiceID : await serviceName(daemon, task.ServiceID),
      );
    }
    const nodeId = task.NodeID ?? '';
    if (!nodes.has(nodeId))
      nodes.set(nodeId, options.noResolve ? nodeId : await nodeName(daemon, nodeId));
  }
  io.out(
    formatTaskList(
      tasks,
      { services, nodes },
      {
        ...(options.format === undefined ? {} : { format: options.format }),
        quiet: options.quiet,
        trunc: !(options.noTrunc || options.quiet),
        nowMs: io.now(),
      },
    ),
  );
  if (notFound.length > 0) throw new CliError(notFound.join('\n'));
}

/** docker's node.Reference: "self" is this node (GET /info). */
async function nodeReference(daemon: Daemon, reference: string): Promise<string> {
  if (reference !== 'self') return reference;
  const info = await daemon.call<{ Swarm?: { NodeID?: string } }>('GET', '/info');
  if (!info.Swarm?.NodeID) {
    await daemon.call('GET', '/nodes');
    throw new CliError('node ID not found in /info');
  }
  return info.Swarm.NodeID;
}

/** docker's idresolver: a service's name, or its ID when it cannot be looked up. */
async function serviceName(daemon: Daemon, id: string): Promise<string> {
  try {
    return (await inspectService(daemon, id)).Spec.Name;
  } catch {
    return id;
  }
}

/** docker's idresolver: a node's name, else its hostname, else its ID. */
async function nodeName(daemon: Daemon, id: string): Promise<string> {
  if (id === '') return '';
  try {
    const node = await daemon.call<Node>('GET', `/nodes/${encodeURIComponent(id)}`);
    return node.Spec.Name || node.Description.Hostname || id;
  } catch {
    return id;
  }
}

/** `service inspect`: JSON (default), `-f` template, or `--pretty`. */
export async function runInspect(
  daemon: Daemon,
  references: readonly string[],
  options: { format?: string; pretty: boolean },
  io: CommandIo,
): Promise<void> {
  if (options.pretty && options.format)
    throw new CliError('--format is incompatible with human friendly format');
  const format = options.pretty ? 'pretty' : (options.format ?? '');
  if (format.startsWith('pretty') && format !== 'pretty') {
    throw new CliError('Cannot supply extra formatting options to the pretty template');
  }
  const template = format !== '' && format !== 'pretty' ? parseTemplate(format) : undefined;
  const services: Service[] = [];
  const errors: string[] = [];
  for (const reference of references) {
    try {
      services.push(await inspectService(daemon, reference, { insertDefaults: true }));
    } catch (error) {
      if (!(error instanceof DaemonError)) throw error;
      errors.push(isNotFound(error) ? `Error: no such service: ${reference}` : error.message);
    }
  }
  if (format === 'pretty') {
    // Pretty output stops at the first service that cannot be found, as docker's does.
    if (errors.length > 0) throw new CliError(errors[0]!);
    const names = new Map<string, string>();
    for (const service of services) {
      for (const network of service.Spec.TaskTemplate.Networks ?? []) {
        if (names.has(network.Target)) continue;
        try {
          const found = await daemon.call<{ Id?: string; Name?: string }>(
            'GET',
            `/networks/${encodeURIComponent(network.Target)}`,
            { query: { scope: 'swarm' } },
          );
          if (found.Name) names.set(found.Id ?? network.Target, found.Name);
        } catch {
          // Shown by ID, as docker does when the lookup fails.
        }
      }
    }
    io.out(formatPretty(services, names, io.now()));
  } else if (template) {
    for (const service of services) io.out(`${template.execute(service)}\n`);
  } else {
    io.out(`${services.length === 0 ? '[]' : JSON.stringify(services, null, 4)}\n`);
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}
