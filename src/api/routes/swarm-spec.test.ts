import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterSpec } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import { mergeSwarmSpec } from './swarm-spec.ts';

function base(): ClusterSpec {
  return {
    Name: 'default',
    Labels: { keep: 'me' },
    Orchestration: { TaskHistoryRetentionLimit: 5 },
    Raft: {
      SnapshotInterval: 10_000,
      KeepOldSnapshots: 0,
      LogEntriesForSlowFollowers: 500,
      ElectionTick: 10,
      HeartbeatTick: 2,
    },
    Dispatcher: { HeartbeatPeriod: 3_000_000_000 },
    CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

test('the docker CLI zero values keep what was there', () => {
  // What `docker swarm init` sends without flags.
  const sent = {
    Labels: null,
    Orchestration: {},
    Raft: { ElectionTick: 0, HeartbeatTick: 0 },
    Dispatcher: {},
    CAConfig: {},
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
  assert.deepEqual(mergeSwarmSpec(base(), sent), base());
  assert.deepEqual(mergeSwarmSpec(base(), undefined), base());
});

test('set fields change, one at a time, without dropping their neighbours', () => {
  const merged = mergeSwarmSpec(base(), {
    Raft: { SnapshotInterval: 5000, KeepOldSnapshots: 2 },
    Orchestration: { TaskHistoryRetentionLimit: 0 },
    Dispatcher: { HeartbeatPeriod: 1_000_000_000 },
    Labels: { a: 'b' },
    EncryptionConfig: { AutoLockManagers: true },
    TaskDefaults: { LogDriver: { Name: 'json-file' } },
  });
  assert.equal(merged.Raft.SnapshotInterval, 5000);
  assert.equal(merged.Raft.KeepOldSnapshots, 2);
  assert.equal(merged.Raft.ElectionTick, 10);
  assert.equal(merged.Orchestration.TaskHistoryRetentionLimit, 0, 'a set 0 counts (a pointer)');
  assert.equal(merged.Dispatcher.HeartbeatPeriod, 1_000_000_000);
  assert.deepEqual(merged.Labels, { a: 'b' });
  assert.equal(merged.EncryptionConfig.AutoLockManagers, true);
  assert.deepEqual(merged.TaskDefaults.LogDriver, { Name: 'json-file', Options: {} });
  assert.equal(merged.Name, 'default');
});

test('the base is never modified', () => {
  const original = base();
  mergeSwarmSpec(original, { Raft: { SnapshotInterval: 1 } });
  assert.deepEqual(original, base());
});

test('wrong types and ranges are 400s naming the field', () => {
  const refused = (change: unknown, pattern: RegExp) => {
    assert.throws(
      () => mergeSwarmSpec(base(), change),
      (error: unknown) =>
        error instanceof ApiError && error.status === 400 && pattern.test(error.message),
    );
  };
  refused(
    { Raft: { SnapshotInterval: 'x' } },
    /Raft\.SnapshotInterval must be a non-negative integer/,
  );
  refused({ Raft: [] }, /Raft must be an object/);
  refused(
    { CAConfig: { NodeCertExpiry: 60_000_000_000 } },
    /minimum certificate expiry time is: 1h0m0s/,
  );
  refused({ Raft: { ElectionTick: 2 } }, /ElectionTick must be greater than Raft\.HeartbeatTick/);
  refused({ Labels: { a: 1 } }, /label a must be a string/);
  refused(
    { EncryptionConfig: { AutoLockManagers: 'yes' } },
    /AutoLockManagers must be true or false/,
  );
  refused('spec', /Spec must be an object/);
});
