// `-c base.yml -c override.yml`: later files override earlier ones as docker's loader merges
// them (mergo with override and appended slices, plus its special cases): values set in the
// override win; mappings (environment, labels, sysctls, networks...) merge key by key; lists of
// plain strings (cap_add, dns, constraints...) are appended; ports merge by their whole value,
// volumes by target, secrets and configs by source; `command` and `entrypoint` are replaced;
// logging options merge when the driver is the same. Top-level networks, volumes, secrets and
// configs are replaced whole, by name.
import type {
  ComposeModel,
  DeploySettings,
  FileReferenceEntry,
  HealthcheckSettings,
  PortEntry,
  ServiceModel,
  UpdateSettings,
  VolumeEntry,
} from './model.ts';

/** Copies the override's defined properties over the base's. */
function overlay<T extends object>(base: T | undefined, override: T | undefined): T | undefined {
  if (override === undefined) return base;
  if (base === undefined) return override;
  const result = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value !== undefined) (result as Record<string, unknown>)[key] = value;
  }
  return result;
}

function appendUnique(base: readonly string[], override: readonly string[]): string[] {
  return [...new Set([...base, ...override])];
}

function mergeMaps<V>(
  base: ReadonlyMap<string, V>,
  override: ReadonlyMap<string, V>,
): Map<string, V> {
  return new Map([...base, ...override]);
}

function byKey<T>(base: readonly T[], override: readonly T[], key: (item: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const item of [...base, ...override]) merged.set(key(item), item);
  return [...merged.values()];
}

const portKey = (port: PortEntry) =>
  `${port.target}/${port.published ?? ''}/${port.protocol}/${port.mode}`;

function mergePorts(base: readonly PortEntry[], override: readonly PortEntry[]): PortEntry[] {
  return byKey(base, override, portKey).sort(
    (a, b) => (a.published ?? 0) - (b.published ?? 0) || a.target - b.target,
  );
}

function mergeVolumes(base: readonly VolumeEntry[], override: readonly VolumeEntry[]) {
  return byKey(base, override, (volume) => volume.target).sort((a, b) =>
    a.target < b.target ? -1 : a.target > b.target ? 1 : 0,
  );
}

function mergeReferences(
  base: readonly FileReferenceEntry[],
  override: readonly FileReferenceEntry[],
) {
  return byKey(base, override, (reference) => reference.source).sort((a, b) =>
    a.source < b.source ? -1 : a.source > b.source ? 1 : 0,
  );
}

function mergeDeploy(base: DeploySettings, override: DeploySettings): DeploySettings {
  const merged: DeploySettings = {
    ...overlay(base, override)!,
    labels: { ...base.labels, ...override.labels },
    resources: {
      ...(mergeOptional(base.resources.limits, override.resources.limits, 'limits') ?? {}),
      ...(mergeOptional(
        base.resources.reservations,
        override.resources.reservations,
        'reservations',
      ) ?? {}),
    },
    placement: {
      constraints: appendUnique(base.placement.constraints, override.placement.constraints),
      preferences: [...base.placement.preferences, ...override.placement.preferences],
      ...((override.placement.maxReplicas ?? base.placement.maxReplicas) === undefined
        ? {}
        : { maxReplicas: override.placement.maxReplicas ?? base.placement.maxReplicas! }),
    },
  };
  const update = overlay<UpdateSettings>(base.updateConfig, override.updateConfig);
  const rollback = overlay<UpdateSettings>(base.rollbackConfig, override.rollbackConfig);
  const restart = overlay(base.restartPolicy, override.restartPolicy);
  if (update) merged.updateConfig = update;
  if (rollback) merged.rollbackConfig = rollback;
  if (restart) merged.restartPolicy = restart;
  return merged;
}

function mergeOptional<T extends object, K extends string>(
  base: T | undefined,
  override: T | undefined,
  key: K,
): Record<K, T> | undefined {
  const merged = overlay(base, override);
  return merged === undefined ? undefined : ({ [key]: merged } as Record<K, T>);
}

function mergeLogging(base: ServiceModel['logging'], override: ServiceModel['logging']) {
  if (!override) return base;
  if (!base) return override;
  if (base.driver === override.driver || !base.driver || !override.driver) {
    const driver = base.driver ?? override.driver;
    return {
      ...(driver === undefined ? {} : { driver }),
      options: { ...base.options, ...override.options },
    };
  }
  return override;
}

export function mergeService(base: ServiceModel, override: ServiceModel): ServiceModel {
  const merged: ServiceModel = {
    ...overlay(base, override)!,
    at: base.at,
    environment: mergeMaps(base.environment, override.environment),
    envFiles: [...base.envFiles, ...override.envFiles],
    ports: mergePorts(base.ports, override.ports),
    volumes: mergeVolumes(base.volumes, override.volumes),
    secrets: mergeReferences(base.secrets, override.secrets),
    configs: mergeReferences(base.configs, override.configs),
    deploy: mergeDeploy(base.deploy, override.deploy),
    labels: { ...base.labels, ...override.labels },
    capAdd: appendUnique(base.capAdd, override.capAdd),
    capDrop: appendUnique(base.capDrop, override.capDrop),
    sysctls: { ...base.sysctls, ...override.sysctls },
    ulimits: mergeMaps(base.ulimits, override.ulimits),
    extraHosts: appendUnique(base.extraHosts, override.extraHosts),
    dns: appendUnique(base.dns, override.dns),
    dnsSearch: appendUnique(base.dnsSearch, override.dnsSearch),
    devices: byKey(base.devices, override.devices, (device) => device.pathInContainer),
    dependsOn: mergeMaps(base.dependsOn, override.dependsOn),
  };
  // An empty command in the override does not clear the base's (docker's mergeShellCommand).
  if (!override.command?.length && base.command) merged.command = base.command;
  if (!override.entrypoint?.length && base.entrypoint) merged.entrypoint = base.entrypoint;
  const networks =
    base.networks && override.networks
      ? mergeMaps(base.networks, override.networks)
      : (override.networks ?? base.networks);
  if (networks) merged.networks = networks;
  const health = overlay<HealthcheckSettings>(base.healthcheck, override.healthcheck);
  if (health) merged.healthcheck = health;
  const logging = mergeLogging(base.logging, override.logging);
  if (logging) merged.logging = logging;
  return merged;
}

/** Merges the files' models in order; the first one's places are kept where both set a key. */
export function mergeModels(models: readonly ComposeModel[]): ComposeModel {
  const [first, ...rest] = models;
  if (!first) throw new Error('mergeModels needs at least one model');
  const merged: ComposeModel = {
    ...first,
    services: new Map(first.services),
    networks: new Map(first.networks),
    volumes: new Map(first.volumes),
    secrets: new Map(first.secrets),
    configs: new Map(first.configs),
  };
  for (const model of rest) {
    for (const [name, service] of model.services) {
      const base = merged.services.get(name);
      merged.services.set(name, base ? mergeService(base, service) : service);
    }
    for (const section of ['networks', 'volumes', 'secrets', 'configs'] as const) {
      for (const [name, value] of model[section]) {
        (merged[section] as Map<string, unknown>).set(name, value);
      }
    }
  }
  return merged;
}
