// `service update` flags applied to a copy of the service's current spec, as docker's
// updateService does (cli/command/service/update.go): each flag or -add/-rm pair changes only
// its field; lists docker sorts (constraints, groups, DNS, ports, mounts, ulimits) come out
// sorted the same way so an unchanged service gets an identical spec.
import type {
  ContainerSpec,
  FileReference,
  Mount,
  PortConfig,
  ServiceSpec,
  TaskSpec,
} from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import {
  type DeviceMapping,
  type NetworkAttachment,
  parseDevice,
  parseFileReference,
  parseGenericResources,
  parseMount,
  parseNetwork,
  parsePlacementPreference,
  parsePorts,
  parseUlimit,
  type Ulimit,
  validateGenericResource,
} from './flag-parsers.ts';
import { FlagReader } from './flag-reader.ts';
import type { FlagValues } from './flag-table.ts';
import {
  extraHostToSwarm,
  keyValuesToMap,
  shellSplit,
  updateCapabilities,
  validateDnsSearch,
  validateEnv,
  validateExtraHost,
  validateIpAddress,
  validateLabel,
} from './flag-validators.ts';
import { parseInt64, parseNanoCpus, parseUint, ramInBytes } from './flag-values.ts';
import {
  applyRestartFlags,
  applyUpdateConfigFlags,
  compactHealth,
  envKey,
  mergeEnvironment,
  parsePlacementStrategy,
  resolveNetworks,
  type SpecResolver,
  type UpdateConfig,
} from './flags.ts';

/** Flags that may accompany --rollback (docker: rollback, detach, quiet). */
const ROLLBACK_COMPANIONS = new Set(['rollback', 'detach', 'quiet']);

/** Throws docker's error when --rollback is combined with a change. */
export function checkRollbackAlone(values: FlagValues): void {
  if (!values.has('rollback')) return;
  for (const name of values.keys()) {
    if (!ROLLBACK_COMPANIONS.has(name)) {
      throw new CliError('other flags may not be combined with --rollback');
    }
  }
}

const sorted = (values: Iterable<string>) => [...values].sort();
const unique = (values: readonly string[]) => [...new Set(values)];

/** The spec to POST to /services/{id}/update for `service update [flags] SERVICE`. */
export async function applyUpdateFlags(
  current: ServiceSpec,
  values: FlagValues,
  resolver: SpecResolver,
): Promise<ServiceSpec> {
  const reader = new FlagReader(values);
  const spec = structuredClone(current) as ServiceSpec;
  spec.TaskTemplate ??= {} as TaskSpec;
  const task: TaskSpec = spec.TaskTemplate;
  task.ContainerSpec ??= { Image: '' };
  const container: ContainerSpec = task.ContainerSpec;

  updateLabelMap(reader, 'label', spec, 'Labels');
  updateLabelMap(reader, 'container-label', container, 'Labels');
  const image = reader.string('image');
  if (image !== undefined) container.Image = image;
  const args = reader.parsed('args', shellSplit);
  if (args !== undefined) setList(container, 'Args', args);
  const entrypoint = reader.parsed('entrypoint', shellSplit);
  if (entrypoint !== undefined) setList(container, 'Command', entrypoint);
  updateEnvironment(reader, container, resolver.environment ?? process.env);
  setString(reader, 'workdir', container, 'Dir');
  setString(reader, 'user', container, 'User');
  setString(reader, 'hostname', container, 'Hostname');
  if (reader.has('init')) container.Init = reader.bool('init');
  container.Mounts = updateMounts(reader, container.Mounts ?? []);
  if (container.Mounts.length === 0) delete container.Mounts;
  updateSysctls(reader, container);
  const ulimits = updateUlimits(reader, (container.Ulimits ?? []) as Ulimit[]);
  if (ulimits) container.Ulimits = ulimits;
  else delete container.Ulimits;

  updateResources(reader, task);
  const stopGrace = reader.duration('stop-grace-period');
  if (stopGrace !== undefined) container.StopGracePeriod = stopGrace;
  const restart = applyRestartFlags(reader, task.RestartPolicy);
  if (restart) task.RestartPolicy = restart;

  if (reader.anyOf('constraint-add', 'constraint-rm')) {
    const placement = placementOf(task);
    const constraints = [...(placement.Constraints ?? []), ...reader.list('constraint-add')];
    const removed = new Set(reader.list('constraint-rm'));
    placement.Constraints = sorted(constraints.filter((c) => !removed.has(c)));
  }
  if (reader.anyOf('placement-pref-add', 'placement-pref-rm')) {
    const placement = placementOf(task);
    const removed = new Set(
      reader
        .parsedList('placement-pref-rm', parsePlacementPreference)
        .map((p) => p.Spread.SpreadDescriptor),
    );
    const kept = (placement.Preferences ?? []).filter(
      (preference) => !(preference.Spread && removed.has(preference.Spread.SpreadDescriptor)),
    );
    const preferences = [
      ...kept,
      ...reader.parsedList('placement-pref-add', parsePlacementPreference),
    ];
    if (preferences.length > 0) placement.Preferences = preferences;
    else delete placement.Preferences;
  }
  if (reader.anyOf('network-add', 'network-rm')) await updateNetworks(reader, spec, resolver);

  if (reader.has('replicas')) {
    const replicas = reader.parsed('replicas', parseUint)!;
    if (!spec.Mode?.Replicated)
      throw new CliError('replicas can only be used with replicated mode');
    spec.Mode.Replicated = { ...spec.Mode.Replicated, Replicas: replicas };
  }
  const maxReplicas = reader.parsed('replicas-max-per-node', parseUint);
  if (maxReplicas !== undefined) {
    const placement = placementOf(task);
    if (maxReplicas > 0) placement.MaxReplicas = maxReplicas;
    else delete placement.MaxReplicas;
  }
  const strategy = reader.parsed('placement-strategy', parsePlacementStrategy);
  if (strategy !== undefined) placementOf(task).Strategy = strategy;

  const updateConfig = applyUpdateConfigFlags(
    reader,
    'update',
    spec.UpdateConfig as UpdateConfig | undefined,
  );
  if (updateConfig) spec.UpdateConfig = updateConfig as unknown as Record<string, unknown>;
  const rollbackConfig = applyUpdateConfigFlags(
    reader,
    'rollback',
    spec.RollbackConfig as UpdateConfig | undefined,
  );
  if (rollbackConfig) spec.RollbackConfig = rollbackConfig as unknown as Record<string, unknown>;

  const endpointMode = reader.string('endpoint-mode');
  if (endpointMode !== undefined) {
    spec.EndpointSpec = { ...spec.EndpointSpec, Mode: endpointMode as 'vip' | 'dnsrr' };
  }
  if (reader.anyOf('group-add', 'group-rm')) {
    const removed = new Set(reader.list('group-rm'));
    const groups = sorted(
      [...(container.Groups ?? []), ...reader.list('group-add')].filter((g) => !removed.has(g)),
    );
    setList(container, 'Groups', groups);
  }
  if (reader.anyOf('publish-add', 'publish-rm')) {
    spec.EndpointSpec ??= {};
    const ports = updatePorts(reader, spec.EndpointSpec.Ports ?? []);
    if (ports.length > 0) spec.EndpointSpec.Ports = ports;
    else delete spec.EndpointSpec.Ports;
  }
  updateDns(reader, container);
  if (reader.anyOf('host-add', 'host-rm')) {
    const hosts = updateHosts(
      container.Hosts ?? [],
      reader.list('host-rm'),
      reader.parsedList('host-add', validateExtraHost),
    );
    setList(container, 'Hosts', hosts);
  }
  const logDriver = reader.string('log-driver');
  if (logDriver)
    task.LogDriver = { Name: logDriver, Options: keyValuesToMap(reader.list('log-opt')) };
  if (reader.bool('force')) task.ForceUpdate = (task.ForceUpdate ?? 0) + 1;
  updateHealthcheck(reader, container);
  if (reader.has('tty')) setFlag(container, 'TTY', reader.bool('tty'));
  if (reader.has('read-only')) setFlag(container, 'ReadOnly', reader.bool('read-only'));
  setString(reader, 'stop-signal', container, 'StopSignal');
  if (reader.anyOf('cap-add', 'cap-drop')) {
    const caps = updateCapabilities(
      container.CapabilityAdd ?? [],
      container.CapabilityDrop ?? [],
      reader.has('cap-add') ? reader.list('cap-add') : undefined,
      reader.has('cap-drop') ? reader.list('cap-drop') : undefined,
    );
    setList(container, 'CapabilityAdd', caps.add ?? []);
    setList(container, 'CapabilityDrop', caps.drop ?? []);
  }
  if (reader.anyOf('device-add', 'device-rm')) updateDevices(reader, container);
  if (reader.has('privileged')) setFlag(container, 'Privileged', reader.bool('privileged'));

  await updateReferences(reader, container, 'secret', resolver);
  await updateReferences(reader, container, 'config', resolver);
  return spec;
}

function placementOf(task: TaskSpec): NonNullable<TaskSpec['Placement']> {
  task.Placement ??= {};
  return task.Placement;
}

function setList(target: Record<string, unknown>, key: string, values: readonly string[]): void {
  if (values.length > 0) target[key] = [...values];
  else delete target[key];
}

function setFlag(target: Record<string, unknown>, key: string, value: boolean): void {
  if (value) target[key] = true;
  else delete target[key];
}

function setString(
  reader: FlagReader,
  flag: string,
  target: Record<string, unknown>,
  key: string,
): void {
  const value = reader.string(flag);
  if (value === undefined) return;
  if (value === '') delete target[key];
  else target[key] = value;
}

/** --label-rm then --label-add (and the container-label pair). */
function updateLabelMap(
  reader: FlagReader,
  flag: 'label' | 'container-label',
  target: Record<string, unknown>,
  key: string,
): void {
  const labels = { ...((target[key] as Record<string, string> | undefined) ?? {}) };
  if (target[key] && reader.has(`${flag}-rm`)) {
    for (const name of reader.list(`${flag}-rm`)) delete labels[name];
    target[key] = labels;
  }
  if (reader.has(`${flag}-add`)) {
    Object.assign(labels, keyValuesToMap(reader.parsedList(`${flag}-add`, validateLabel)));
    target[key] = labels;
  }
}

/** --env-rm by key, then --env-add (a key's new value replacing its old one). */
function updateEnvironment(
  reader: FlagReader,
  container: ContainerSpec,
  environment: Readonly<Record<string, string | undefined>>,
): void {
  const removed = new Set(reader.list('env-rm'));
  let env = (container.Env ?? []).filter((entry) => !removed.has(envKey(entry)));
  if (reader.has('env-add')) {
    const additions = reader.parsedList('env-add', (text) => validateEnv(text, environment));
    // Keep each key where it was; new keys go last.
    const replacements = new Map(additions.map((entry) => [envKey(entry), entry]));
    env = env.map((entry) => replacements.get(envKey(entry)) ?? entry);
    const present = new Set(env.map(envKey));
    env = mergeEnvironment(
      env,
      additions.filter((entry) => !present.has(envKey(entry))),
    );
  }
  setList(container, 'Env', env);
}

/** docker's updateMounts: added mounts replace those on the same target; sorted by source, target. */
function updateMounts(reader: FlagReader, current: readonly Mount[]): Mount[] {
  const byTarget = new Map<string, Mount>();
  for (const mount of reader.parsedList('mount-add', parseMount)) {
    if (byTarget.has(mount.Target)) throw new CliError('duplicate mount target');
    if (mount.VolumeOptions?.Labels && Object.keys(mount.VolumeOptions.Labels).length === 0) {
      delete mount.VolumeOptions.Labels;
    }
    byTarget.set(mount.Target, mount);
  }
  for (const mount of current) if (!byTarget.has(mount.Target)) byTarget.set(mount.Target, mount);
  const removed = new Set(reader.list('mount-rm'));
  return [...byTarget.values()]
    .filter((mount) => !removed.has(mount.Target))
    .sort((a, b) => {
      const sourceA = a.Source ?? '';
      const sourceB = b.Source ?? '';
      if (sourceA === sourceB) return a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0;
      return sourceA < sourceB ? -1 : 1;
    });
}

function updateSysctls(reader: FlagReader, container: ContainerSpec): void {
  let sysctls = container.Sysctls ? { ...container.Sysctls } : undefined;
  if (sysctls && reader.has('sysctl-rm')) {
    for (const key of Object.keys(keyValuesToMap(reader.list('sysctl-rm')))) delete sysctls[key];
  }
  if (reader.has('sysctl-add')) {
    sysctls = { ...(sysctls ?? {}), ...keyValuesToMap(reader.list('sysctl-add')) };
  }
  if (sysctls) container.Sysctls = sysctls;
}

/** docker's updateUlimits: by name, sorted by name; none left means none. */
function updateUlimits(reader: FlagReader, current: readonly Ulimit[]): Ulimit[] | undefined {
  const byName = new Map(current.map((ulimit) => [ulimit.Name, ulimit]));
  for (const key of Object.keys(keyValuesToMap(reader.list('ulimit-rm')))) byName.delete(key);
  for (const ulimit of reader.parsedList('ulimit-add', parseUlimit))
    byName.set(ulimit.Name, ulimit);
  if (byName.size === 0) return undefined;
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

function updateResources(reader: FlagReader, task: TaskSpec): void {
  const limitCpu = reader.parsed('limit-cpu', parseNanoCpus);
  const limitMemory = reader.parsed('limit-memory', ramInBytes);
  const limitPids = reader.parsed('limit-pids', parseInt64);
  const reserveCpu = reader.parsed('reserve-cpu', parseNanoCpus);
  const reserveMemory = reader.parsed('reserve-memory', ramInBytes);
  const resources = () => {
    task.Resources ??= {};
    task.Resources.Limits ??= {};
    task.Resources.Reservations ??= {};
    return task.Resources as Required<NonNullable<TaskSpec['Resources']>>;
  };
  const set = (target: Record<string, unknown>, key: string, value: number | undefined) => {
    if (value === undefined) return;
    if (value === 0) delete target[key];
    else target[key] = value;
  };
  if (reader.anyOf('limit-cpu', 'limit-memory', 'limit-pids')) {
    const { Limits } = resources();
    set(Limits, 'NanoCPUs', limitCpu);
    set(Limits, 'MemoryBytes', limitMemory);
    set(Limits, 'Pids', limitPids);
  }
  if (reader.anyOf('reserve-cpu', 'reserve-memory')) {
    const { Reservations } = resources();
    set(Reservations, 'NanoCPUs', reserveCpu);
    set(Reservations, 'MemoryBytes', reserveMemory);
  }
  if (reader.has('generic-resource-add')) {
    const additions = parseGeneric(
      reader.parsedList('generic-resource-add', validateGenericResource),
    );
    const { Reservations } = resources();
    const byKind = genericByKind(Reservations.GenericResources ?? []);
    for (const resource of additions) {
      const kind = resource.DiscreteResourceSpec?.Kind ?? resource.NamedResourceSpec?.Kind ?? '';
      byKind.set(kind, [resource]);
    }
    Reservations.GenericResources = [...byKind.values()].flat();
  }
  if (reader.has('generic-resource-rm')) {
    const { Reservations } = resources();
    const byKind = genericByKind(Reservations.GenericResources ?? []);
    for (const kind of reader.list('generic-resource-rm')) {
      if (!byKind.has(kind))
        throw new CliError(`could not find generic-resource \`${kind}\` to remove it`);
      byKind.delete(kind);
    }
    const remaining = [...byKind.values()].flat();
    if (remaining.length > 0) Reservations.GenericResources = remaining;
    else delete Reservations.GenericResources;
  }
}

function parseGeneric(values: string[]): ReturnType<typeof parseGenericResources> {
  try {
    return parseGenericResources(values);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

function genericByKind(
  resources: ReturnType<typeof parseGenericResources>,
): Map<string, ReturnType<typeof parseGenericResources>> {
  const byKind = new Map<string, ReturnType<typeof parseGenericResources>>();
  for (const resource of resources) {
    const kind = resource.DiscreteResourceSpec?.Kind ?? resource.NamedResourceSpec?.Kind ?? '';
    byKind.set(kind, [...(byKind.get(kind) ?? []), resource]);
  }
  return byKind;
}

/** docker's updateNetworks: -rm by resolved ID, -add resolved and refused when present. */
async function updateNetworks(
  reader: FlagReader,
  spec: ServiceSpec,
  resolver: SpecResolver,
): Promise<void> {
  const task = spec.TaskTemplate;
  let current = (task.Networks ?? []) as NetworkAttachment[];
  const legacy = spec.Networks as NetworkAttachment[] | undefined;
  if (current.length === 0 && legacy) current = legacy;
  delete spec.Networks;
  const removedIds = new Set<string>();
  for (const name of new Set(reader.list('network-rm')))
    removedIds.add(await resolver.networkId(name));
  const networks = current.filter((network) => !removedIds.has(network.Target));
  const present = new Set(networks.map((network) => network.Target));
  const additions = reader.parsedList('network-add', parseNetwork);
  for (const attachment of additions) {
    const [resolved] = await resolveNetworks([attachment], resolver);
    if (present.has(resolved!.Target)) {
      throw new CliError(`service is already attached to network ${attachment.Target}`);
    }
    networks.push(resolved!);
    present.add(resolved!.Target);
  }
  networks.sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
  if (networks.length > 0) task.Networks = networks;
  else delete task.Networks;
}

const portKey = (port: PortConfig) =>
  `${port.PublishedPort ?? 0}:${port.TargetPort}/${port.Protocol ?? ''}/${port.PublishMode ?? ''}`;

/** docker's updatePorts: -rm by protocol, target and mode; -add unless present; sorted. */
function updatePorts(reader: FlagReader, current: readonly PortConfig[]): PortConfig[] {
  const existing = new Map<string, PortConfig>();
  for (const port of current) if (!existing.has(portKey(port))) existing.set(portKey(port), port);
  const removals = reader.parsedList('publish-rm', parsePorts).flat();
  const sameProtocol = (a?: string, b?: string) =>
    a === b || (!a && b === 'tcp') || (!b && a === 'tcp');
  const sameMode = (a?: string, b?: string) =>
    a === b || (!a && b === 'ingress') || (!b && a === 'ingress');
  const ports = [...existing.values()].filter(
    (port) =>
      !removals.some(
        (removal) =>
          sameProtocol(port.Protocol, removal.Protocol) &&
          port.TargetPort === removal.TargetPort &&
          sameMode(port.PublishMode, removal.PublishMode),
      ),
  );
  for (const port of reader.parsedList('publish-add', parsePorts).flat()) {
    if (!existing.has(portKey(port))) ports.push(port);
  }
  return ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
}

/** docker's updateDNSConfig: add, de-duplicate, remove, sort, for each of the three lists. */
function updateDns(reader: FlagReader, container: ContainerSpec): void {
  const flags = [
    'dns-add',
    'dns-rm',
    'dns-option-add',
    'dns-option-rm',
    'dns-search-add',
    'dns-search-rm',
  ];
  if (!reader.anyOf(...flags)) return;
  const current = container.DNSConfig ?? {};
  const merge = (existing: string[] | undefined, added: string[], removedFlag: string) => {
    const removed = new Set(reader.list(removedFlag));
    const result = sorted(
      unique([...(existing ?? []), ...added]).filter((entry) => !removed.has(entry)),
    );
    return result.length > 0 ? result : undefined;
  };
  const nameservers = merge(
    current.Nameservers,
    reader.parsedList('dns-add', validateIpAddress),
    'dns-rm',
  );
  const search = merge(
    current.Search,
    reader.parsedList('dns-search-add', validateDnsSearch),
    'dns-search-rm',
  );
  const options = merge(current.Options, reader.list('dns-option-add'), 'dns-option-rm');
  container.DNSConfig = {
    ...(nameservers ? { Nameservers: nameservers } : {}),
    ...(search ? { Search: search } : {}),
    ...(options ? { Options: options } : {}),
  };
}

/**
 * docker's updateHosts: entries are swarmkit's `IP host [aliases]`; `--host-rm host` removes
 * the name from every entry, `--host-rm host:ip` only from entries of that address; entries
 * left without names go away; additions are appended; duplicates dropped.
 */
export function updateHosts(
  current: readonly string[],
  removals: readonly string[],
  additions: readonly string[],
): string[] {
  const toRemove = removals.map((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0
      ? { host: entry, address: '' }
      : { host: entry.slice(0, colon), address: entry.slice(colon + 1) };
  });
  const hosts: string[] = [];
  for (const entry of current) {
    const parts = entry.split(/\s+/).filter((part) => part !== '');
    if (parts.length === 0) continue;
    const [address, ...names] = parts as [string, ...string[]];
    const kept = names.filter(
      (name) =>
        !toRemove.some(
          (removal) =>
            removal.host === name && (removal.address === '' || removal.address === address),
        ),
    );
    if (kept.length > 0) hosts.push(`${address} ${kept.join(' ')}`);
  }
  hosts.push(...additions.map(extraHostToSwarm));
  return unique(hosts);
}

/** docker's updateHealthcheck. */
function updateHealthcheck(reader: FlagReader, container: ContainerSpec): void {
  const settings = [
    'health-cmd',
    'health-interval',
    'health-retries',
    'health-timeout',
    'health-start-period',
  ];
  if (!reader.anyOf('no-healthcheck', ...settings)) return;
  const health = { ...(container.Healthcheck ?? {}) };
  if (reader.bool('no-healthcheck')) {
    if (reader.anyOf(...settings))
      throw new CliError('--no-healthcheck conflicts with --health-* options');
    container.Healthcheck = { Test: ['NONE'] };
    return;
  }
  if (health.Test && health.Test[0] === 'NONE') delete health.Test;
  const interval = reader.positiveDuration('health-interval');
  if (interval !== undefined) health.Interval = interval;
  const timeout = reader.positiveDuration('health-timeout');
  if (timeout !== undefined) health.Timeout = timeout;
  const startPeriod = reader.positiveDuration('health-start-period');
  if (startPeriod !== undefined) health.StartPeriod = startPeriod;
  const retries = reader.parsed('health-retries', parseInt64);
  if (retries !== undefined) health.Retries = retries;
  const command = reader.string('health-cmd');
  if (command !== undefined) {
    if (command !== '') health.Test = ['CMD-SHELL', command];
    else delete health.Test;
  }
  container.Healthcheck = compactHealth(health);
}

/** Shoal's --device-add (replacing a mapping of the same host path) and --device-rm. */
function updateDevices(reader: FlagReader, container: ContainerSpec): void {
  const byHostPath = new Map<string, DeviceMapping>();
  for (const device of container.Devices ?? []) byHostPath.set(device.PathOnHost, device);
  for (const path of reader.list('device-rm')) byHostPath.delete(path);
  for (const device of reader.parsedList('device-add', parseDevice))
    byHostPath.set(device.PathOnHost, device);
  if (byHostPath.size > 0) container.Devices = [...byHostPath.values()];
  else delete container.Devices;
}

/** docker's getUpdatedSecrets / getUpdatedConfigs: -rm by name, -add looked up by name. */
async function updateReferences(
  reader: FlagReader,
  container: ContainerSpec,
  kind: 'secret' | 'config',
  resolver: SpecResolver,
): Promise<void> {
  const key = kind === 'secret' ? 'Secrets' : 'Configs';
  const nameKey = kind === 'secret' ? 'SecretName' : 'ConfigName';
  const removed = new Set(reader.list(`${kind}-rm`));
  const kept = ((container[key] as FileReference[] | undefined) ?? []).filter(
    (reference) => !removed.has(reference[nameKey] ?? ''),
  );
  const requested = reader.parsedList(`${kind}-add`, (text) => parseFileReference(text, kind));
  const added =
    requested.length === 0
      ? []
      : kind === 'secret'
        ? await resolver.secrets(requested)
        : await resolver.configs(requested);
  const references = [...kept, ...added];
  if (references.length > 0) container[key] = references;
  else delete container[key];
}
