// Checks of a ServiceSpec before anything is stored, with swarmkit's wording (controlapi's
// validateServiceSpec and friends), so a bad spec is refused whole: nothing half-created.
import { ConstraintError, parseConstraints } from '../../scheduler/index.ts';
import type { HealthConfig, ServiceSpec, TaskSpec, UpdateConfig } from '../../store/index.ts';
import { checkReferenceShapes } from '../secrets/index.ts';

export class InvalidSpecError extends Error {
  readonly code = 'invalid_argument';
  constructor(message: string) {
    super(`rpc error: code = InvalidArgument desc = ${message}`);
  }
}

const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/;
const MIN_NANO_CPUS = 1e6;
const MIN_MEMORY = 4 * 1024 * 1024;
const MS = 1e6;

function fail(message: string): never {
  throw new InvalidSpecError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegative(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
    fail(`TaskSpec: ${what} cannot be negative`);
  }
}

function validateName(name: string): void {
  if (name.length > 63 || !NAME.test(name)) {
    fail(
      `invalid name "${name}": names must be 1-63 characters of [a-zA-Z0-9_.-], starting and ending with a letter or digit`,
    );
  }
}

function validateImage(image: unknown): void {
  if (typeof image !== 'string' || image === '') {
    fail('ContainerSpec: image reference must be provided');
  }
  if (image.startsWith('exec:')) {
    if (image.length === 'exec:'.length)
      fail('ContainerSpec: exec: needs a program, e.g. exec:/usr/bin/python3');
    return;
  }
  // Docker's reference grammar, loosely: lowercase path components, optional tag and digest.
  const reference =
    /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
  if (!reference.test(image)) fail(`ContainerSpec: "${image}" is not a valid repository/tag`);
}

function validateHealthcheck(health: HealthConfig | undefined): void {
  if (health === undefined) return;
  for (const [key, value] of [
    ['Interval', health.Interval],
    ['Timeout', health.Timeout],
    ['StartPeriod', health.StartPeriod],
  ] as const) {
    if (value !== undefined && value !== 0 && value < MS) {
      fail(`ContainerSpec: ${key} in Healthcheck cannot be less than 1ms`);
    }
  }
  if (health.Retries !== undefined && health.Retries < 0) {
    fail('ContainerSpec: Retries in Healthcheck cannot be negative');
  }
}

function validateTaskSpec(spec: TaskSpec | undefined): void {
  if (!isRecord(spec)) fail('TaskSpec: missing');
  const container = spec.ContainerSpec;
  if (!isRecord(container)) fail('TaskSpec: missing runtime');
  validateImage(container.Image);
  validateHealthcheck(container.Healthcheck);
  // Secret and config references; that their objects exist needs the store (resolveReferences).
  checkReferenceShapes(container);
  for (const mount of container.Mounts ?? []) {
    if (!['bind', 'volume', 'tmpfs'].includes(mount.Type))
      fail(`invalid mount type: ${mount.Type}`);
    if (!mount.Target) fail('ContainerSpec: mount target must be provided');
    if (mount.Type === 'bind' && !mount.Source?.startsWith('/')) {
      fail(`invalid bind mount source, source path not absolute: ${mount.Source ?? ''}`);
    }
  }
  const resources = spec.Resources;
  for (const part of [resources?.Limits, resources?.Reservations]) {
    if (part?.NanoCPUs !== undefined && part.NanoCPUs !== 0 && part.NanoCPUs < MIN_NANO_CPUS) {
      fail(`invalid cpu value ${part.NanoCPUs / 1e9}: Must be at least ${MIN_NANO_CPUS / 1e9}`);
    }
    if (
      part?.MemoryBytes !== undefined &&
      part.MemoryBytes !== 0 &&
      part.MemoryBytes < MIN_MEMORY
    ) {
      fail(`invalid memory value ${part.MemoryBytes}: Must be at least 4MiB`);
    }
  }
  const policy = spec.RestartPolicy;
  nonNegative(policy?.Delay, 'restart-delay');
  nonNegative(policy?.Window, 'restart-window');
  if (
    policy?.Condition !== undefined &&
    !['none', 'on-failure', 'any'].includes(policy.Condition)
  ) {
    fail(`TaskSpec: invalid restart condition "${policy.Condition}"`);
  }
  try {
    parseConstraints(spec.Placement?.Constraints ?? []);
  } catch (error) {
    if (error instanceof ConstraintError) fail(error.message);
    throw error;
  }
  for (const preference of spec.Placement?.Preferences ?? []) {
    if (!preference?.Spread?.SpreadDescriptor)
      fail('Placement: a preference needs a spread descriptor');
  }
  const strategy = spec.Placement?.Strategy;
  if (strategy !== undefined && !['spread', 'binpack', 'random'].includes(strategy)) {
    fail(`Placement: unknown strategy "${strategy}": use spread, binpack or random`);
  }
}

function validateUpdateConfig(config: UpdateConfig | undefined, what: string): void {
  if (config === undefined) return;
  nonNegative(config.Delay, `${what}-delay`);
  nonNegative(config.Monitor, `${what}-monitor`);
  if (config.Parallelism !== undefined && config.Parallelism < 0) {
    fail(`TaskSpec: ${what}-parallelism cannot be negative`);
  }
  const ratio = config.MaxFailureRatio;
  if (ratio !== undefined && (ratio < 0 || ratio > 1)) {
    fail(`TaskSpec: ${what}-maxfailureratio cannot be less than 0 or bigger than 1`);
  }
  if (
    config.FailureAction !== undefined &&
    !['pause', 'continue', 'rollback'].includes(config.FailureAction)
  ) {
    fail(`TaskSpec: invalid ${what} failure action "${config.FailureAction}"`);
  }
  if (config.Order !== undefined && !['stop-first', 'start-first'].includes(config.Order)) {
    fail(`TaskSpec: invalid ${what} order "${config.Order}"`);
  }
}

function validateMode(spec: ServiceSpec): void {
  const mode = spec.Mode;
  const kinds = Object.keys(mode ?? {}).filter(
    (k) => (mode as Record<string, unknown>)[k] !== undefined,
  );
  if (kinds.length !== 1)
    fail('service mode must be exactly one of Replicated, Global, ReplicatedJob, GlobalJob');
  const replicas = mode.Replicated?.Replicas;
  if (replicas !== undefined && (!Number.isSafeInteger(replicas) || replicas < 0)) {
    fail('replicas must be a non-negative integer');
  }
  const job = mode.ReplicatedJob;
  if (job !== undefined) {
    if (job.TotalCompletions !== undefined && job.TotalCompletions < 0)
      fail('TotalCompletions cannot be negative');
    if (job.MaxConcurrent !== undefined && job.MaxConcurrent < 0)
      fail('MaxConcurrent cannot be negative');
  }
}

function validatePorts(spec: ServiceSpec): void {
  const seen = new Set<string>();
  const endpointMode = spec.EndpointSpec?.Mode ?? 'vip';
  if (endpointMode !== 'vip' && endpointMode !== 'dnsrr') {
    fail(`EndpointSpec: invalid endpoint mode "${endpointMode}": use vip or dnsrr`);
  }
  for (const port of spec.EndpointSpec?.Ports ?? []) {
    const protocol = port.Protocol ?? 'tcp';
    const mode = port.PublishMode ?? 'ingress';
    if (mode !== 'ingress' && mode !== 'host') {
      fail(`EndpointSpec: invalid publish mode "${mode}": use ingress or host`);
    }
    // swarmkit: the routing mesh balances through a virtual IP, which dnsrr does not have.
    if (endpointMode === 'dnsrr' && mode === 'ingress') {
      fail("EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
    }
    if (!['tcp', 'udp', 'sctp'].includes(protocol))
      fail(`EndpointSpec: invalid protocol "${protocol}"`);
    for (const [what, value] of [
      ['target', port.TargetPort],
      ['published', port.PublishedPort],
    ] as const) {
      if (value === undefined || (what === 'published' && value === 0)) continue;
      if (!Number.isInteger(value) || value < 1 || value > 65535) {
        fail(`EndpointSpec: ${what} port ${value} is out of range (1-65535)`);
      }
    }
    if (!port.PublishedPort) continue;
    const key = `${port.PublishedPort}/${protocol}`;
    if (seen.has(key)) fail('EndpointSpec: duplicate published ports provided');
    seen.add(key);
  }
}

/** Refuses a spec swarm would refuse; fills in nothing. */
export function validateServiceSpec(spec: ServiceSpec): void {
  if (!isRecord(spec)) fail('service spec must be an object');
  if (typeof spec.Name !== 'string') fail('service name must be a string');
  validateName(spec.Name);
  validateTaskSpec(spec.TaskTemplate);
  validateMode(spec);
  validateUpdateConfig(spec.UpdateConfig, 'update');
  validateUpdateConfig(spec.RollbackConfig, 'rollback');
  validatePorts(spec);
}
