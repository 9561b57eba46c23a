// One merged service to the ServiceSpec docker's stack deploy sends (cli/compose/convert), with
// Shoal's devices and privileged. Names are scoped to the stack; references to networks,
// volumes, secrets and configs the file does not define are issues at their place.
import type {
  ContainerSpec,
  FileReference,
  HealthConfig,
  Mount,
  PortConfig,
  ServiceMode,
  ServiceSpec,
  TaskSpec,
  UpdateConfig,
} from '../store/index.ts';
import type { Issues } from './issues.ts';
import type {
  ComposeModel,
  FileReferenceEntry,
  HealthcheckSettings,
  NetworkAttachment,
  ServiceModel,
  UpdateSettings,
  VolumeEntry,
} from './model.ts';
import { LABEL_IMAGE, scopedName, withStackLabel } from './stack-types.ts';

interface ConvertContext {
  stack: string;
  model: ComposeModel;
  issues: Issues;
  path: string;
}

/** docker's EffectiveCapAddCapDrop: CAP_ prefixed, upper case, ALL trumps, adding wins. */
export function effectiveCapabilities(add: readonly string[], drop: readonly string[]) {
  const normalize = (caps: readonly string[]) => {
    const result = new Set<string>();
    for (const raw of caps) {
      const cap = raw.trim().toUpperCase();
      if (cap === '') continue;
      result.add(cap === 'ALL' || cap.startsWith('CAP_') ? cap : `CAP_${cap}`);
    }
    return [...result].sort();
  };
  let capAdd = normalize(add);
  let capDrop = normalize(drop);
  if (capAdd.includes('ALL')) capAdd = ['ALL'];
  if (capDrop.includes('ALL')) capDrop = ['ALL'];
  capDrop = capDrop.filter((cap) => !capAdd.includes(cap));
  return { capAdd, capDrop };
}

function mode(context: ConvertContext, service: ServiceModel): ServiceMode | undefined {
  const { deploy } = service;
  const replicas = deploy.replicas;
  switch (deploy.mode ?? 'replicated') {
    case 'replicated':
      return { Replicated: { Replicas: replicas ?? 1 } };
    case 'replicated-job':
      return { ReplicatedJob: { MaxConcurrent: replicas ?? 1, TotalCompletions: replicas ?? 1 } };
    case 'global':
    case 'global-job':
      if (replicas !== undefined) {
        context.issues.add(
          deploy.replicasAt ?? service.at,
          `${context.path}.deploy.replicas`,
          'replicas can only be used with replicated or replicated-job mode',
        );
        return undefined;
      }
      return deploy.mode === 'global' ? { Global: {} } : { GlobalJob: {} };
  }
}

function updateConfig(settings: UpdateSettings | undefined): UpdateConfig | undefined {
  if (!settings) return undefined;
  return {
    Parallelism: settings.parallelism ?? 1,
    ...(settings.delay === undefined ? {} : { Delay: settings.delay }),
    ...(settings.failureAction === undefined ? {} : { FailureAction: settings.failureAction }),
    ...(settings.monitor === undefined ? {} : { Monitor: settings.monitor }),
    ...(settings.maxFailureRatio === undefined
      ? {}
      : { MaxFailureRatio: settings.maxFailureRatio }),
    ...(settings.order === undefined ? {} : { Order: settings.order }),
  };
}

function restartPolicy(context: ConvertContext, service: ServiceModel): TaskSpec['RestartPolicy'] {
  const policy = service.deploy.restartPolicy;
  if (policy) {
    return {
      ...(policy.condition === undefined ? {} : { Condition: policy.condition }),
      ...(policy.delay === undefined ? {} : { Delay: policy.delay }),
      ...(policy.maxAttempts === undefined ? {} : { MaxAttempts: policy.maxAttempts }),
      ...(policy.window === undefined ? {} : { Window: policy.window }),
    };
  }
  const legacy = service.restart;
  if (legacy === undefined || legacy === '' || legacy === 'no') return undefined;
  const [name, count] = legacy.split(':') as [string, string | undefined];
  const attempts = count === undefined ? 0 : Number(count);
  const fail = (message: string) => {
    context.issues.add(service.restartAt ?? service.at, `${context.path}.restart`, message);
    return undefined;
  };
  if (count !== undefined && !/^\d+$/.test(count))
    return fail(`invalid restart policy: maximum retry count must be an integer: ${count}`);
  const withAttempts = attempts > 0 ? { MaxAttempts: attempts } : {};
  if (name === 'always' || name === 'unless-stopped') {
    if (count !== undefined)
      return fail(`maximum retry count cannot be used with restart policy '${name}'`);
    return { Condition: 'any', ...withAttempts };
  }
  if (name === 'on-failure') return { Condition: 'on-failure', ...withAttempts };
  return fail(
    `invalid restart policy: unknown policy '${name}' (must be one of 'no', 'always', 'on-failure', or 'unless-stopped')`,
  );
}

function healthcheck(settings: HealthcheckSettings | undefined): HealthConfig | undefined {
  if (!settings) return undefined;
  if (settings.disable) return { Test: ['NONE'] };
  return {
    ...(settings.test === undefined ? {} : { Test: settings.test }),
    ...(settings.interval === undefined ? {} : { Interval: settings.interval }),
    ...(settings.timeout === undefined ? {} : { Timeout: settings.timeout }),
    ...(settings.retries === undefined ? {} : { Retries: settings.retries }),
    ...(settings.startPeriod === undefined ? {} : { StartPeriod: settings.startPeriod }),
  };
}

function mountOf(context: ConvertContext, volume: VolumeEntry, index: number): Mount | undefined {
  const mount: Mount = {
    Type: volume.type === 'npipe' ? 'bind' : volume.type,
    Target: volume.target,
    ...(volume.readOnly ? { ReadOnly: true } : {}),
    ...(volume.consistency ? { Consistency: volume.consistency } : {}),
  };
  if (volume.type === 'bind') {
    mount.Source = volume.source!;
    if (volume.bind?.propagation) mount.BindOptions = { Propagation: volume.bind.propagation };
    return mount;
  }
  if (volume.type === 'tmpfs') {
    if (volume.tmpfs && (volume.tmpfs.size !== undefined || volume.tmpfs.mode !== undefined)) {
      mount.TmpfsOptions = {
        ...(volume.tmpfs.size === undefined ? {} : { SizeBytes: volume.tmpfs.size }),
        ...(volume.tmpfs.mode === undefined ? {} : { Mode: volume.tmpfs.mode }),
      };
    }
    return mount;
  }
  if (volume.source === undefined) return mount;
  const declared = context.model.volumes.get(volume.source);
  if (!declared) {
    context.issues.add(
      volume.at,
      `${context.path}.volumes[${index}]`,
      `undefined volume "${volume.source}"`,
    );
    return undefined;
  }
  mount.Source = declared.name ?? scopedName(context.stack, volume.source);
  const options: NonNullable<Mount['VolumeOptions']> = {};
  if (volume.volume?.nocopy) options.NoCopy = true;
  if (!declared.external) {
    options.Labels = withStackLabel(context.stack, declared.labels);
    if (declared.driver !== undefined || declared.driverOpts !== undefined) {
      options.DriverConfig = {
        ...(declared.driver === undefined ? {} : { Name: declared.driver }),
        ...(declared.driverOpts === undefined ? {} : { Options: declared.driverOpts }),
      };
    }
  }
  if (Object.keys(options).length > 0) mount.VolumeOptions = options;
  return mount;
}

function fileReferences(
  context: ConvertContext,
  kind: 'secret' | 'config',
  entries: readonly FileReferenceEntry[],
): FileReference[] {
  const declared = kind === 'secret' ? context.model.secrets : context.model.configs;
  const references: FileReference[] = [];
  entries.forEach((entry, index) => {
    const object = declared.get(entry.source);
    if (!object) {
      context.issues.add(
        entry.at,
        `${context.path}.${kind}s[${index}]`,
        `undefined ${kind} "${entry.source}"`,
      );
      return;
    }
    const name = object.name ?? scopedName(context.stack, entry.source);
    references.push({
      File: {
        Name: entry.target ?? entry.source,
        UID: entry.uid ?? '0',
        GID: entry.gid ?? '0',
        Mode: entry.mode ?? 0o444,
      },
      ...(kind === 'secret' ? { SecretName: name } : { ConfigName: name }),
    });
  });
  const nameOf = (reference: FileReference) => reference.SecretName ?? reference.ConfigName ?? '';
  return references.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
}

function networks(context: ConvertContext, service: ServiceModel): TaskSpec['Networks'] {
  const attachments: ReadonlyMap<string, NetworkAttachment> = service.networks?.size
    ? service.networks
    : new Map([['default', { at: service.at }]]);
  const result: NonNullable<TaskSpec['Networks']> = [];
  for (const [name, attachment] of attachments) {
    const declared = context.model.networks.get(name);
    if (!declared && name !== 'default') {
      context.issues.add(attachment.at, `${context.path}.networks`, `undefined network "${name}"`);
      continue;
    }
    const aliases = attachment.aliases ?? [];
    result.push({
      Target: declared?.name ?? scopedName(context.stack, name),
      Aliases: [...aliases, service.name],
    });
  }
  return result.sort((a, b) => (a.Target < b.Target ? -1 : a.Target > b.Target ? 1 : 0));
}

function ports(service: ServiceModel): PortConfig[] {
  return service.ports
    .map(
      (port): PortConfig => ({
        Protocol: port.protocol,
        TargetPort: port.target,
        ...(port.published === undefined ? {} : { PublishedPort: port.published }),
        PublishMode: port.mode,
      }),
    )
    .sort(
      (a, b) =>
        (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0) ||
        a.TargetPort - b.TargetPort ||
        (a.Protocol < b.Protocol ? -1 : a.Protocol > b.Protocol ? 1 : 0),
    );
}

function environment(service: ServiceModel): string[] {
  return [...service.environment]
    .map(([name, value]) => (value === null ? name : `${name}=${value}`))
    .sort();
}

function containerSpec(context: ConvertContext, service: ServiceModel): ContainerSpec {
  const mounts = service.volumes
    .map((volume, index) => mountOf(context, volume, index))
    .filter((mount): mount is Mount => mount !== undefined);
  const secrets = fileReferences(context, 'secret', service.secrets);
  const configs = fileReferences(context, 'config', service.configs);
  const { capAdd, capDrop } = effectiveCapabilities(service.capAdd, service.capDrop);
  const env = environment(service);
  const health = healthcheck(service.healthcheck);
  const hosts = service.extraHosts.flatMap((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0 ? [] : [`${entry.slice(colon + 1)} ${entry.slice(0, colon)}`];
  });
  const ulimits = [...service.ulimits]
    .map(([name, limit]) => ({ Name: name, Soft: limit.soft, Hard: limit.hard }))
    .sort((a, b) => (a.Name < b.Name ? -1 : 1));
  const spec: ContainerSpec = {
    Image: service.image ?? '',
    Labels: withStackLabel(context.stack, service.labels),
  };
  const optional: Partial<ContainerSpec> = {
    Command: service.entrypoint,
    Args: service.command,
    Hostname: service.hostname,
    Env: env.length > 0 ? env : undefined,
    Dir: service.workingDir,
    User: service.user,
    Init: service.init,
    TTY: service.tty || undefined,
    OpenStdin: service.stdinOpen || undefined,
    ReadOnly: service.readOnly || undefined,
    Mounts: mounts.length > 0 ? mounts : undefined,
    StopSignal: service.stopSignal,
    StopGracePeriod: service.stopGracePeriod,
    Healthcheck: health,
    Hosts: hosts.length > 0 ? hosts : undefined,
    DNSConfig:
      service.dns.length > 0 || service.dnsSearch.length > 0
        ? {
            ...(service.dns.length > 0 ? { Nameservers: service.dns } : {}),
            ...(service.dnsSearch.length > 0 ? { Search: service.dnsSearch } : {}),
          }
        : undefined,
    Secrets: secrets.length > 0 ? secrets : undefined,
    Configs: configs.length > 0 ? configs : undefined,
    Sysctls: Object.keys(service.sysctls).length > 0 ? service.sysctls : undefined,
    CapabilityAdd: capAdd.length > 0 ? capAdd : undefined,
    CapabilityDrop: capDrop.length > 0 ? capDrop : undefined,
    Ulimits: ulimits.length > 0 ? ulimits : undefined,
    Devices:
      service.devices.length > 0
        ? service.devices.map((device) => ({
            PathOnHost: device.pathOnHost,
            PathInContainer: device.pathInContainer,
            CgroupPermissions: device.permissions,
          }))
        : undefined,
    Privileged: service.privileged || undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) spec[key] = value;
  }
  return spec;
}

function taskSpec(context: ConvertContext, service: ServiceModel): TaskSpec {
  const { deploy } = service;
  const task: TaskSpec = { ContainerSpec: containerSpec(context, service) };
  if (service.logging) {
    task.LogDriver = {
      Name: service.logging.driver ?? '',
      ...(Object.keys(service.logging.options).length > 0
        ? { Options: service.logging.options }
        : {}),
    };
  }
  const { limits, reservations } = deploy.resources;
  const resources: NonNullable<TaskSpec['Resources']> = {};
  if (limits) {
    resources.Limits = {
      ...(limits.nanoCpus === undefined ? {} : { NanoCPUs: limits.nanoCpus }),
      ...(limits.memoryBytes === undefined ? {} : { MemoryBytes: limits.memoryBytes }),
      ...(limits.pids === undefined ? {} : { Pids: limits.pids }),
    };
  }
  if (reservations) {
    resources.Reservations = {
      ...(reservations.nanoCpus === undefined ? {} : { NanoCPUs: reservations.nanoCpus }),
      ...(reservations.memoryBytes === undefined ? {} : { MemoryBytes: reservations.memoryBytes }),
      ...(reservations.genericResources?.length
        ? {
            GenericResources: reservations.genericResources.map((resource) => ({
              DiscreteResourceSpec: { Kind: resource.kind, Value: resource.value },
            })),
          }
        : {}),
    };
  }
  if (resources.Limits || resources.Reservations) task.Resources = resources;
  const restart = restartPolicy(context, service);
  if (restart) task.RestartPolicy = restart;
  const { constraints, preferences, maxReplicas } = deploy.placement;
  if (constraints.length > 0 || preferences.length > 0 || maxReplicas !== undefined) {
    task.Placement = {
      ...(constraints.length > 0 ? { Constraints: constraints } : {}),
      ...(preferences.length > 0
        ? { Preferences: preferences.map((spread) => ({ Spread: { SpreadDescriptor: spread } })) }
        : {}),
      ...(maxReplicas === undefined ? {} : { MaxReplicas: maxReplicas }),
    };
  }
  task.Networks = networks(context, service);
  return task;
}

const SERVICE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/;

/** Converts one service; undefined when issues were recorded. */
export function convertService(
  stack: string,
  model: ComposeModel,
  service: ServiceModel,
  issues: Issues,
): ServiceSpec | undefined {
  const before = issues.count;
  const path = `services.${service.name}`;
  const context: ConvertContext = { stack, model, issues, path };
  const name = scopedName(stack, service.name);
  if (name.length > 63 || !SERVICE_NAME.test(name)) {
    issues.add(
      service.at,
      path,
      `service name "${name}" is invalid: names must be 1-63 characters of [a-zA-Z0-9_.-], starting and ending with a letter or digit`,
    );
  }
  if (!service.image) {
    issues.add(service.at, path, 'needs an image (stack deploy does not build images)');
  }
  const serviceMode = mode(context, service);
  const task = taskSpec(context, service);
  if (issues.count > before || !serviceMode) return undefined;
  const spec: ServiceSpec = {
    Name: name,
    Labels: { ...withStackLabel(stack, service.deploy.labels), [LABEL_IMAGE]: service.image! },
    TaskTemplate: task,
    Mode: serviceMode,
  };
  const update = updateConfig(service.deploy.updateConfig);
  const rollback = updateConfig(service.deploy.rollbackConfig);
  if (update) spec.UpdateConfig = update;
  if (rollback) spec.RollbackConfig = rollback;
  const endpointPorts = ports(service);
  if (service.deploy.endpointMode || endpointPorts.length > 0) {
    spec.EndpointSpec = {
      ...(service.deploy.endpointMode ? { Mode: service.deploy.endpointMode } : {}),
      ...(endpointPorts.length > 0 ? { Ports: endpointPorts } : {}),
    };
  }
  return spec;
}
