// `service create` flags → the ServiceSpec body of POST /services/create, as docker's
// serviceOptions.ToService builds it (cli/command/service/opts.go). Docker leaves most defaults
// to the daemon and only fills a whole section from swarmkit's defaults once one of its flags is
// given: UpdateConfig/RollbackConfig {Parallelism 1, FailureAction pause, Monitor 5s,
// MaxFailureRatio 0, Order stop-first} and RestartPolicy {Condition any, Delay 5s,
// MaxAttempts 0}. Replicas stay unset unless --replicas is given (the daemon defaults them to
// 1); Init is always sent; Placement, DNSConfig and Resources{Limits,Reservations} are sent
// empty; EndpointSpec.Mode defaults to "vip". Absent JSON fields follow Go's omitempty.
import { readFileSync } from 'node:fs';
import type { FileReference, HealthConfig, ServiceSpec } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import {
  type NetworkAttachment,
  parseDevice,
  parseFileReference,
  parseGenericResources,
  parseMount,
  parseNetwork,
  parsePlacementPreference,
  parsePorts,
  parseUlimit,
  validateGenericResource,
} from './flag-parsers.ts';
import { FlagReader } from './flag-reader.ts';
import type { FlagValues } from './flag-table.ts';
import {
  effectiveCapabilities,
  extraHostToSwarm,
  keyValuesToMap,
  parseEnvFileText,
  shellSplit,
  validateDnsSearch,
  validateEnv,
  validateExtraHost,
  validateIpAddress,
  validateLabel,
} from './flag-validators.ts';
import { parseFloat32, parseInt64, parseNanoCpus, parseUint, ramInBytes } from './flag-values.ts';

/** The effects spec building needs: name lookups through the API, files, the environment. */
export interface SpecResolver {
  /** A network's ID from its name or ID (docker: GET /networks/{name}?scope=swarm). */
  networkId(nameOrId: string): Promise<string>;
  /** References with SecretID filled in (docker's ParseSecrets: GET /secrets?filters=name). */
  secrets(references: FileReference[]): Promise<FileReference[]>;
  /** References with ConfigID filled in (docker's ParseConfigs: GET /configs?filters=name). */
  configs(references: FileReference[]): Promise<FileReference[]>;
  readFile?(path: string): string;
  environment?: Readonly<Record<string, string | undefined>>;
}

export interface UpdateConfig {
  Parallelism: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio: number;
  Order: string;
}

/** swarmkit's defaults.Service.Update and .Rollback, as docker's updateConfigFromDefaults. */
export function defaultUpdateConfig(): UpdateConfig {
  return {
    Parallelism: 1,
    FailureAction: 'pause',
    Monitor: 5e9,
    MaxFailureRatio: 0,
    Order: 'stop-first',
  };
}

/** swarmkit's defaults.Service.Task.Restart, as docker's defaultRestartPolicy. */
export function defaultRestartPolicy(): NonNullable<ServiceSpec['TaskTemplate']['RestartPolicy']> {
  return { Condition: 'any', Delay: 5e9, MaxAttempts: 0 };
}

/** Go's omitempty on UpdateConfig: Delay, FailureAction and Monitor vanish when zero. */
export function compactUpdateConfig(config: UpdateConfig): UpdateConfig {
  const { Delay, FailureAction, Monitor, ...rest } = config;
  return {
    ...rest,
    ...(Delay ? { Delay } : {}),
    ...(FailureAction ? { FailureAction } : {}),
    ...(Monitor ? { Monitor } : {}),
  };
}

const UPDATE_SUFFIXES = [
  'parallelism',
  'delay',
  'monitor',
  'failure-action',
  'max-failure-ratio',
  'order',
];

/** Applies --update-* or --rollback-* onto `base` (defaults when the spec had none). */
export function applyUpdateConfigFlags(
  reader: FlagReader,
  prefix: 'update' | 'rollback',
  base: UpdateConfig | undefined,
): UpdateConfig | undefined {
  if (!reader.anyOf(...UPDATE_SUFFIXES.map((suffix) => `${prefix}-${suffix}`))) return base;
  const config: UpdateConfig = { ...defaultUpdateConfig(), ...(base ?? {}) };
  if (!base) delete config.Delay;
  const parallelism = reader.parsed(`${prefix}-parallelism`, parseUint);
  if (parallelism !== undefined) config.Parallelism = parallelism;
  const delay = reader.duration(`${prefix}-delay`);
  if (delay !== undefined) config.Delay = delay;
  const monitor = reader.duration(`${prefix}-monitor`);
  if (monitor !== undefined) config.Monitor = monitor;
  const failureAction = reader.string(`${prefix}-failure-action`);
  if (failureAction !== undefined) config.FailureAction = failureAction;
  const ratio = reader.parsed(`${prefix}-max-failure-ratio`, parseFloat32);
  if (ratio !== undefined) config.MaxFailureRatio = ratio;
  const order = reader.string(`${prefix}-order`);
  if (order !== undefined) config.Order = order;
  return compactUpdateConfig(config);
}

/** docker's restartPolicyOptions.ToRestartPolicy / the restart part of updateService. */
export function applyRestartFlags(
  reader: FlagReader,
  base: ServiceSpec['TaskTemplate']['RestartPolicy'],
): ServiceSpec['TaskTemplate']['RestartPolicy'] {
  if (
    !reader.anyOf('restart-condition', 'restart-delay', 'restart-max-attempts', 'restart-window')
  ) {
    return base;
  }
  const policy = { ...(base ?? defaultRestartPolicy()) };
  const condition = reader.string('restart-condition');
  if (condition !== undefined) policy.Condition = condition as typeof policy.Condition;
  const delay = reader.duration('restart-delay');
  if (delay !== undefined) policy.Delay = delay;
  const attempts = reader.parsed('restart-max-attempts', parseUint);
  if (attempts !== undefined) policy.MaxAttempts = attempts;
  const window = reader.duration('restart-window');
  if (window !== undefined) policy.Window = window;
  return policy;
}

const PLACEMENT_STRATEGIES = ['spread', 'binpack', 'random'];

export function parsePlacementStrategy(text: string): 'spread' | 'binpack' | 'random' {
  if (!PLACEMENT_STRATEGIES.includes(text)) {
    throw new Error(`unknown placement strategy "${text}" (use "spread", "binpack" or "random")`);
  }
  return text as 'spread' | 'binpack' | 'random';
}

/** docker's healthCheckOptions.toHealthConfig (create). */
function healthConfigOf(reader: FlagReader): HealthConfig | undefined {
  const command = reader.string('health-cmd') ?? '';
  const interval = reader.positiveDuration('health-interval');
  const timeout = reader.positiveDuration('health-timeout');
  const startPeriod = reader.positiveDuration('health-start-period');
  const retries = reader.parsed('health-retries', parseInt64) ?? 0;
  const haveSettings =
    command !== '' ||
    interval !== undefined ||
    timeout !== undefined ||
    startPeriod !== undefined ||
    retries !== 0;
  if (reader.bool('no-healthcheck')) {
    if (haveSettings) throw new CliError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!haveSettings) return undefined;
  return compactHealth({
    Test: command === '' ? undefined : ['CMD-SHELL', command],
    Interval: interval,
    Timeout: timeout,
    Retries: retries,
    StartPeriod: startPeriod,
  });
}

/** Go's omitempty on HealthConfig. */
export function compactHealth(health: HealthConfig): HealthConfig {
  const result: HealthConfig = {};
  if (health.Test && health.Test.length > 0) result.Test = health.Test;
  if (health.Interval) result.Interval = health.Interval;
  if (health.Timeout) result.Timeout = health.Timeout;
  if (health.Retries) result.Retries = health.Retries;
  if (health.StartPeriod) result.StartPeriod = health.StartPeriod;
  return result;
}

/** docker's ToServiceMode. */
function serviceModeOf(reader: FlagReader): ServiceSpec['Mode'] {
  const mode = reader.string('mode') ?? 'replicated';
  const replicas = reader.parsed('replicas', parseUint);
  const maxConcurrent = reader.parsed('max-concurrent', parseUint);
  const maxReplicas = reader.parsed('replicas-max-per-node', parseUint) ?? 0;
  const fail = (message: string) => new CliError(message);
  switch (mode) {
    case 'global':
      if (replicas !== undefined) {
        throw fail('replicas can only be used with replicated or replicated-job mode');
      }
      if (maxReplicas > 0) {
        throw fail('replicas-max-per-node can only be used with replicated or replicated-job mode');
      }
      if (maxConcurrent !== undefined) {
        throw fail('max-concurrent can only be used with replicated-job mode');
      }
      return { Global: {} };
    case 'replicated':
      if (maxConcurrent !== undefined) {
        throw fail('max-concurrent can only be used with replicated-job mode');
      }
      // Without --replicas docker sends {"Replicated":{}} and the daemon makes it 1.
      return {
        Replicated: replicas === undefined ? {} : { Replicas: replicas },
      } as ServiceSpec['Mode'];
    case 'replicated-job': {
      const concurrent = maxConcurrent ?? replicas;
      return {
        ReplicatedJob: {
          ...(concurrent === undefined ? {} : { MaxConcurrent: concurrent }),
          ...(replicas === undefined ? {} : { TotalCompletions: replicas }),
        },
      } as ServiceSpec['Mode'];
    }
    case 'global-job':
      if (maxReplicas > 0) {
        throw fail('replicas-max-per-node can only be used with replicated or replicated-job mode');
      }
      if (maxConcurrent !== undefined) {
        throw fail('max-concurrent can only be used with replicated-job mode');
      }
      if (replicas !== undefined) {
        throw fail('replicas can only be used with replicated or replicated-job mode');
      }
      return { GlobalJob: {} };
    default:
      throw fail(`Unknown mode: ${mode}, only replicated and global supported`);
  }
}

/** docker's makeEnv: env files first, then -e; a later value of a key replaces the earlier. */
function environmentOf(reader: FlagReader, resolver: SpecResolver): string[] {
  const environment = resolver.environment ?? process.env;
  const readFile = resolver.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const fromFiles: string[] = [];
  for (const path of reader.list('env-file')) {
    let text: string;
    try {
      text = readFile(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new CliError(
        code === 'ENOENT' ? `open ${path}: no such file or directory` : (error as Error).message,
      );
    }
    try {
      fromFiles.push(...parseEnvFileText(text, environment));
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }
  const given = reader.parsedList('env', (text) => validateEnv(text, environment));
  return mergeEnvironment([], [...fromFiles, ...given]);
}

/** Appends entries, a key's new entry replacing (and moving past) its older one. */
export function mergeEnvironment(
  current: readonly string[],
  additions: readonly string[],
): string[] {
  let result = [...current];
  for (const entry of additions) {
    const key = envKey(entry);
    result = result.filter((existing) => envKey(existing) !== key);
    result.push(entry);
  }
  return result;
}

export function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? entry : entry.slice(0, equals);
}

/** Network attachments with names resolved to IDs, sorted by ID as docker sorts them. */
export async function resolveNetworks(
  attachments: readonly NetworkAttachment[],
  resolver: SpecResolver,
): Promise<NetworkAttachment[]> {
  const resolved: NetworkAttachment[] = [];
  for (const attachment of attachments) {
    resolved.push({
      Target: await resolver.networkId(attachment.Target),
      ...(attachment.Aliases && attachment.Aliases.length > 0
        ? { Aliases: attachment.Aliases }
        : {}),
      ...(attachment.DriverOpts ? { DriverOpts: attachment.DriverOpts } : {}),
    });
  }
  return resolved.sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
}

/** Returns `object` without its empty entries (Go's omitempty on slices, maps and strings). */
function compact<T extends Record<string, unknown>>(object: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === '' || value === false || value === 0) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (isPlainObject(value) && Object.keys(value).length === 0) continue;
    result[key] = value;
  }
  return result as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body of POST /services/create for `service create [flags] IMAGE [ARG...]`. */
export async function buildCreateSpec(
  image: string,
  args: readonly string[],
  values: FlagValues,
  resolver: SpecResolver,
): Promise<ServiceSpec> {
  const reader = new FlagReader(values);
  // Value errors first, as pflag reports them while parsing the command line.
  const labels = reader.parsedList('label', validateLabel);
  const containerLabels = reader.parsedList('container-label', validateLabel);
  const mounts = reader.parsedList('mount', parseMount).map(dropEmptyVolumeLabels);
  const preferences = reader.parsedList('placement-pref', parsePlacementPreference);
  const networks = reader.parsedList('network', parseNetwork);
  const secrets = reader.parsedList('secret', (text) => parseFileReference(text, 'secret'));
  const configs = reader.parsedList('config', (text) => parseFileReference(text, 'config'));
  const ports = reader.parsedList('publish', parsePorts).flat();
  const dns = reader.parsedList('dns', validateIpAddress);
  const dnsSearch = reader.parsedList('dns-search', validateDnsSearch);
  const hosts = reader.parsedList('host', validateExtraHost);
  const ulimits = reader.parsedList('ulimit', parseUlimit);
  const genericResources = reader.parsedList('generic-resource', validateGenericResource);
  const devices = reader.parsedList('device', parseDevice);
  const command = reader.parsed('entrypoint', shellSplit);
  const limitCpu = reader.parsed('limit-cpu', parseNanoCpus);
  const limitMemory = reader.parsed('limit-memory', ramInBytes);
  const limitPids = reader.parsed('limit-pids', parseInt64);
  const reserveCpu = reader.parsed('reserve-cpu', parseNanoCpus);
  const reserveMemory = reader.parsed('reserve-memory', ramInBytes);
  const stopGrace = reader.duration('stop-grace-period');
  const maxReplicas = reader.parsed('replicas-max-per-node', parseUint);
  const strategy = reader.parsed('placement-strategy', parsePlacementStrategy);

  const env = environmentOf(reader, resolver);
  const healthcheck = healthConfigOf(reader);
  const mode = serviceModeOf(reader);
  const updateConfig = applyUpdateConfigFlags(reader, 'update', undefined);
  const rollbackConfig = applyUpdateConfigFlags(reader, 'rollback', undefined);
  if ((mode.ReplicatedJob || mode.GlobalJob) && (updateConfig || rollbackConfig)) {
    throw new CliError('update and rollback configuration is not supported for jobs');
  }
  const resolvedNetworks = await resolveNetworks(networks, resolver);
  let generic: ReturnType<typeof parseGenericResources> = [];
  try {
    generic = parseGenericResources(genericResources);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const capabilities = effectiveCapabilities(reader.list('cap-add'), reader.list('cap-drop'));
  const logDriver = reader.string('log-driver');
  const restartPolicy = applyRestartFlags(reader, undefined);

  const containerSpec = {
    ...compact({
      Image: image,
      Labels: keyValuesToMap(containerLabels),
      Command: command,
      Args: [...args],
      Hostname: reader.string('hostname'),
      Env: env,
      Dir: reader.string('workdir'),
      User: reader.string('user'),
      Groups: reader.list('group'),
      TTY: reader.bool('tty'),
      ReadOnly: reader.bool('read-only'),
      Mounts: mounts,
      StopSignal: reader.string('stop-signal'),
      Hosts: hosts.map(extraHostToSwarm),
      Sysctls: keyValuesToMap(reader.list('sysctl')),
      CapabilityAdd: capabilities.add,
      CapabilityDrop: capabilities.drop,
      Ulimits: [...ulimits].sort((a, b) => (a.Name < b.Name ? -1 : 1)),
      Devices: devices,
      Privileged: reader.bool('privileged'),
    }),
    Init: reader.bool('init'),
    DNSConfig: compact({
      Nameservers: dns,
      Search: dnsSearch,
      Options: reader.list('dns-option'),
    }),
    ...(stopGrace === undefined ? {} : { StopGracePeriod: stopGrace }),
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(secrets.length > 0 ? { Secrets: await resolver.secrets(secrets) } : {}),
    ...(configs.length > 0 ? { Configs: await resolver.configs(configs) } : {}),
  };

  const spec: Record<string, unknown> = {
    ...(reader.string('name') ? { Name: reader.string('name') } : {}),
    Labels: keyValuesToMap(labels),
    TaskTemplate: {
      ContainerSpec: containerSpec,
      ...(resolvedNetworks.length > 0 ? { Networks: resolvedNetworks } : {}),
      Resources: {
        Limits: compact({ NanoCPUs: limitCpu, MemoryBytes: limitMemory, Pids: limitPids }),
        Reservations: compact({
          NanoCPUs: reserveCpu,
          MemoryBytes: reserveMemory,
          GenericResources: generic,
        }),
      },
      ...(restartPolicy ? { RestartPolicy: restartPolicy } : {}),
      Placement: compact({
        Constraints: reader.list('constraint'),
        Preferences: preferences,
        MaxReplicas: maxReplicas,
        Strategy: strategy,
      }),
      ...(logDriver
        ? { LogDriver: { Name: logDriver, Options: keyValuesToMap(reader.list('log-opt')) } }
        : {}),
      ForceUpdate: 0,
    },
    Mode: mode,
    ...(updateConfig ? { UpdateConfig: updateConfig } : {}),
    ...(rollbackConfig ? { RollbackConfig: rollbackConfig } : {}),
    EndpointSpec: compact({
      Mode: (reader.string('endpoint-mode') ?? 'vip').toLowerCase(),
      Ports: ports,
    }),
  };
  return spec as unknown as ServiceSpec;
}

/** docker creates VolumeOptions.Labels as an empty map that JSON then omits. */
function dropEmptyVolumeLabels<T extends { VolumeOptions?: { Labels?: Record<string, string> } }>(
  mount: T,
): T {
  if (mount.VolumeOptions?.Labels && Object.keys(mount.VolumeOptions.Labels).length === 0) {
    delete mount.VolumeOptions.Labels;
  }
  return mount;
}

/**
 * docker's ParseSecrets/ParseConfigs after the name lookup: one reference per target file,
 * each given the ID of the object its name found. `found` maps names to IDs.
 */
export function attachReferenceIds(
  references: readonly FileReference[],
  found: ReadonlyMap<string, string>,
  kind: 'secret' | 'config',
): FileReference[] {
  const nameKey = kind === 'secret' ? 'SecretName' : 'ConfigName';
  const idKey = kind === 'secret' ? 'SecretID' : 'ConfigID';
  const byTarget = new Map<string, FileReference>();
  for (const reference of references) {
    const target = reference.File?.Name ?? '';
    if (byTarget.has(target)) {
      throw new CliError(`duplicate ${kind} target for ${reference[nameKey]} not allowed`);
    }
    byTarget.set(target, reference);
  }
  return [...byTarget.values()].map((reference) => {
    const name = reference[nameKey] ?? '';
    const id = found.get(name);
    if (id === undefined) throw new CliError(`${kind} not found: ${name}`);
    return { ...reference, [idKey]: id };
  });
}
