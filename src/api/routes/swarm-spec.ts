// The swarm spec a client sends to /swarm/init and /swarm/update, merged the way dockerd merges
// it (daemon/cluster/convert.MergeSwarmSpecToGRPC): a zero, empty or missing field keeps the
// value it had (the default for init, the current one for update), because the docker CLI sends
// every field, zeros included. Pointer fields in Docker's types (TaskHistoryRetentionLimit,
// KeepOldSnapshots) are set whenever present, 0 included. Autolock is always taken as sent.
import type { ClusterSpec } from '../../store/index.ts';
import { BadRequestError } from '../errors.ts';

/** Docker's minimum node certificate validity (swarmkit ca.MinNodeCertExpiration). */
const MINIMUM_NODE_CERT_EXPIRY_NS = 3600 * 1_000_000_000;

type Json = Record<string, unknown>;

function section(value: unknown, name: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestError(`invalid swarm spec: ${name} must be an object`);
  }
  return value as Json;
}

/** A non-negative integer, or undefined when absent or null. */
function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new BadRequestError(
      `invalid swarm spec: ${name} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function labels(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const entries = Object.entries(section(value, 'Labels'));
  for (const [key, label] of entries) {
    if (typeof label !== 'string') {
      throw new BadRequestError(`invalid swarm spec: the value of label ${key} must be a string`);
    }
  }
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Record<string, string>);
}

function logDriver(value: unknown): ClusterSpec['TaskDefaults']['LogDriver'] | undefined {
  if (value === undefined || value === null) return undefined;
  const driver = section(value, 'TaskDefaults.LogDriver');
  if (typeof driver.Name !== 'string' || driver.Name === '') {
    throw new BadRequestError('invalid swarm spec: TaskDefaults.LogDriver.Name must be set');
  }
  const options = section(driver.Options, 'TaskDefaults.LogDriver.Options');
  return { Name: driver.Name, Options: options as Record<string, string> };
}

/** Sets `target[key]` when `value` is defined and, unless `keepZero`, not 0. */
function put<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
  keepZero = false,
) {
  if (value === undefined) return;
  if (!keepZero && value === 0) return;
  target[key] = value;
}

/**
 * `base` changed by what `change` (a client's Spec, unchecked) sets. Throws a 400 naming the
 * field for a value of the wrong type or out of range; `base` is never modified.
 */
export function mergeSwarmSpec(base: ClusterSpec, change: unknown): ClusterSpec {
  const spec = section(change, 'Spec');
  const merged = structuredClone(base);
  const newLabels = labels(spec.Labels);
  if (newLabels !== undefined) merged.Labels = newLabels;

  const orchestration = section(spec.Orchestration, 'Orchestration');
  put(
    merged.Orchestration,
    'TaskHistoryRetentionLimit',
    integer(orchestration.TaskHistoryRetentionLimit, 'Orchestration.TaskHistoryRetentionLimit'),
    true,
  );

  const raft = section(spec.Raft, 'Raft');
  put(merged.Raft, 'SnapshotInterval', integer(raft.SnapshotInterval, 'Raft.SnapshotInterval'));
  put(
    merged.Raft,
    'KeepOldSnapshots',
    integer(raft.KeepOldSnapshots, 'Raft.KeepOldSnapshots'),
    true,
  );
  put(
    merged.Raft,
    'LogEntriesForSlowFollowers',
    integer(raft.LogEntriesForSlowFollowers, 'Raft.LogEntriesForSlowFollowers'),
  );
  put(merged.Raft, 'HeartbeatTick', integer(raft.HeartbeatTick, 'Raft.HeartbeatTick'));
  put(merged.Raft, 'ElectionTick', integer(raft.ElectionTick, 'Raft.ElectionTick'));

  const dispatcher = section(spec.Dispatcher, 'Dispatcher');
  put(
    merged.Dispatcher,
    'HeartbeatPeriod',
    integer(dispatcher.HeartbeatPeriod, 'Dispatcher.HeartbeatPeriod'),
  );

  const ca = section(spec.CAConfig, 'CAConfig');
  const expiry = integer(ca.NodeCertExpiry, 'CAConfig.NodeCertExpiry');
  if (expiry !== undefined && expiry !== 0 && expiry < MINIMUM_NODE_CERT_EXPIRY_NS) {
    throw new BadRequestError(
      'invalid swarm spec: minimum certificate expiry time is: 1h0m0s (CAConfig.NodeCertExpiry)',
    );
  }
  put(merged.CAConfig, 'NodeCertExpiry', expiry);
  put(merged.CAConfig, 'ForceRotate', integer(ca.ForceRotate, 'CAConfig.ForceRotate'));

  const driver = logDriver(section(spec.TaskDefaults, 'TaskDefaults').LogDriver);
  if (driver !== undefined) merged.TaskDefaults = { ...merged.TaskDefaults, LogDriver: driver };

  const encryption = section(spec.EncryptionConfig, 'EncryptionConfig');
  if (encryption.AutoLockManagers !== undefined && encryption.AutoLockManagers !== null) {
    if (typeof encryption.AutoLockManagers !== 'boolean') {
      throw new BadRequestError(
        'invalid swarm spec: EncryptionConfig.AutoLockManagers must be true or false',
      );
    }
    merged.EncryptionConfig = { AutoLockManagers: encryption.AutoLockManagers };
  }
  if (merged.Raft.ElectionTick <= merged.Raft.HeartbeatTick) {
    throw new BadRequestError(
      'invalid swarm spec: Raft.ElectionTick must be greater than Raft.HeartbeatTick',
    );
  }
  merged.Name = 'default';
  return merged;
}
