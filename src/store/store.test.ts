import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Change } from './batch.ts';
import {
  AlreadyExistsError,
  ConflictError,
  InvalidBatchError,
  NameConflictError,
  NotFoundError,
} from './errors.ts';
import { Store } from './store.ts';
import {
  batchOf,
  createService,
  createTask,
  nodeInput,
  serviceInput,
  taskInput,
  timestampAt,
} from './test-support.ts';

function applyOk(store: Store, index: number, ...changes: Change[]) {
  const result = store.apply(index, batchOf(index, ...changes));
  if (!result.ok) throw result.error;
  return result;
}

test('create assigns Meta from the entry; update bumps the version; delete removes', () => {
  const store = new Store();
  applyOk(store, 3, createService('s1', 'web'));
  const created = store.get('services', 's1')!;
  assert.deepEqual(created.Version, { Index: 3 });
  assert.equal(created.CreatedAt, timestampAt(3));
  assert.equal(created.UpdatedAt, timestampAt(3));
  assert.equal(store.version, 3);

  const changed = { ...serviceInput('s1', 'web', 5), Version: { Index: 99 } };
  applyOk(store, 7, { kind: 'update', table: 'services', object: changed, expectedVersion: 3 });
  const updated = store.get('services', 's1')!;
  assert.deepEqual(updated.Version, { Index: 7 }, 'the store owns Version, not the caller');
  assert.equal(updated.CreatedAt, timestampAt(3));
  assert.equal(updated.UpdatedAt, timestampAt(7));
  assert.equal(updated.Spec.Mode.Replicated?.Replicas, 5);

  applyOk(store, 8, { kind: 'delete', table: 'services', id: 's1', expectedVersion: 7 });
  assert.equal(store.get('services', 's1'), undefined);
  assert.equal(store.count('services'), 0);
  assert.equal(store.version, 8);
});

test('a stale version fails the whole batch, names both versions, and changes nothing', () => {
  const store = new Store();
  applyOk(store, 10, createService('s1', 'web'));
  applyOk(store, 12, {
    kind: 'update',
    table: 'services',
    object: serviceInput('s1', 'web', 2),
    expectedVersion: 10,
  });
  const before = store.snapshot();
  const result = store.apply(
    13,
    batchOf(13, createService('s2', 'api'), createTask('t1', 's1', 'n1'), {
      kind: 'update',
      table: 'services',
      object: serviceInput('s1', 'web', 9),
      expectedVersion: 10,
    }),
  );
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.error instanceof ConflictError);
  assert.equal(
    result.error.message,
    'update out of sequence: service web is at version 12, the update was for version 10',
  );
  assert.equal(result.error.code, 'conflict');
  assert.equal(store.get('services', 's2'), undefined);
  assert.deepEqual(store.find('tasks', { by: 'serviceId', value: 's1' }), []);
  assert.equal(store.find('services', { by: 'name', value: 'api' }).length, 0);
  assert.equal(store.version, 13, 'a failed entry still counts as applied');
  const after = store.snapshot();
  assert.deepEqual(
    JSON.parse(Buffer.from(after).toString()).tables,
    JSON.parse(Buffer.from(before).toString()).tables,
  );
});

test('missing objects, duplicate IDs and malformed changes are refused', () => {
  const store = new Store();
  applyOk(store, 1, createService('s1', 'web'));
  const missingUpdate = store.apply(
    2,
    batchOf(2, {
      kind: 'update',
      table: 'services',
      object: serviceInput('nope', 'x'),
      expectedVersion: 1,
    }),
  );
  assert.ok(!missingUpdate.ok && missingUpdate.error instanceof NotFoundError);
  const missingDelete = store.apply(3, batchOf(3, { kind: 'delete', table: 'tasks', id: 't9' }));
  assert.ok(!missingDelete.ok && missingDelete.error instanceof NotFoundError);
  assert.equal(missingDelete.error.message, 'task t9 not found');
  const duplicate = store.apply(4, batchOf(4, createService('s1', 'other')));
  assert.ok(!duplicate.ok && duplicate.error instanceof AlreadyExistsError);
  const badState = store.apply(
    5,
    batchOf(5, {
      kind: 'create',
      table: 'tasks',
      object: { ...taskInput('t1', 's1', undefined), DesiredState: 'sleeping' as never },
    }),
  );
  assert.ok(!badState.ok && badState.error instanceof InvalidBatchError);
  const badTimestamp = store.apply(6, { timestamp: 'yesterday', changes: [] });
  assert.ok(!badTimestamp.ok && badTimestamp.error.code === 'invalid_batch');
  assert.throws(() => store.apply(6, batchOf(6)), /must be after the store's version 6/);
});

test('names are unique per table, case-insensitively; renames free the old name', () => {
  const store = new Store();
  applyOk(store, 1, createService('s1', 'web'));
  const second = store.apply(2, batchOf(2, createService('s2', 'WEB')));
  assert.ok(!second.ok && second.error instanceof NameConflictError);
  assert.equal(second.error.message, 'service WEB already exists');
  assert.equal(second.error.existingId, 's1');
  // A network may share a service's name: uniqueness is per table.
  applyOk(store, 3, {
    kind: 'create',
    table: 'networks',
    object: { ID: 'w1', Spec: { Name: 'web', Labels: {} } },
  });
  // Rename and reuse in one batch: changes apply in order.
  applyOk(
    store,
    4,
    {
      kind: 'update',
      table: 'services',
      object: serviceInput('s1', 'web-old'),
      expectedVersion: 1,
    },
    createService('s2', 'web'),
  );
  assert.deepEqual(
    store.find('services', { by: 'name', value: 'Web' }).map((s) => s.ID),
    ['s2'],
  );
  assert.deepEqual(
    store.find('services', { by: 'name', value: 'web-old' }).map((s) => s.ID),
    ['s1'],
  );
  // Nodes are indexed by hostname but, as in Docker, two machines may share one.
  applyOk(
    store,
    5,
    { kind: 'create', table: 'nodes', object: nodeInput('n1', 'raspberrypi') },
    { kind: 'create', table: 'nodes', object: nodeInput('n2', 'raspberrypi') },
  );
  assert.equal(store.find('nodes', { by: 'name', value: 'raspberrypi' }).length, 2);
});

test('indexes follow updates of indexed fields, deletes and rolled-back batches', () => {
  const store = new Store();
  applyOk(store, 1, createService('s1', 'web'), createService('s2', 'api'));
  applyOk(
    store,
    2,
    createTask('t1', 's1'),
    createTask('t2', 's1', 'n1'),
    createTask('t3', 's2', 'n1'),
  );
  const ids = (tasks: { ID: string }[]) => tasks.map((task) => task.ID);
  assert.deepEqual(ids(store.find('tasks', { by: 'nodeId', value: 'n1' })), ['t2', 't3']);

  applyOk(store, 3, {
    kind: 'update',
    table: 'tasks',
    object: { ...taskInput('t2', 's2', 'n2', 'shutdown') },
    expectedVersion: 2,
  });
  assert.deepEqual(ids(store.find('tasks', { by: 'nodeId', value: 'n1' })), ['t3']);
  assert.deepEqual(ids(store.find('tasks', { by: 'nodeId', value: 'n2' })), ['t2']);
  assert.deepEqual(ids(store.find('tasks', { by: 'serviceId', value: 's1' })), ['t1']);
  assert.deepEqual(ids(store.find('tasks', { by: 'serviceId', value: 's2' })), ['t2', 't3']);
  assert.deepEqual(ids(store.find('tasks', { by: 'desiredState', value: 'shutdown' })), ['t2']);
  assert.deepEqual(ids(store.find('tasks', { by: 'desiredState', value: 'running' })), [
    't1',
    't3',
  ]);

  applyOk(store, 4, { kind: 'delete', table: 'tasks', id: 't3' });
  assert.deepEqual(ids(store.find('tasks', { by: 'nodeId', value: 'n1' })), []);
  assert.deepEqual(ids(store.find('tasks', { by: 'serviceId', value: 's2' })), ['t2']);

  // A failing batch that moved t1 and deleted t2 first must leave both indexes as they were.
  const failed = store.apply(
    5,
    batchOf(
      5,
      { kind: 'update', table: 'tasks', object: taskInput('t1', 's2', 'n9'), expectedVersion: 2 },
      { kind: 'delete', table: 'tasks', id: 't2' },
      createService('s3', 'web'),
    ),
  );
  assert.equal(failed.ok, false);
  assert.deepEqual(ids(store.find('tasks', { by: 'nodeId', value: 'n9' })), []);
  assert.deepEqual(ids(store.find('tasks', { by: 'serviceId', value: 's1' })), ['t1']);
  assert.deepEqual(ids(store.find('tasks', { by: 'serviceId', value: 's2' })), ['t2']);
  assert.deepEqual(ids(store.find('tasks', { by: 'idPrefix', value: 't' })), ['t1', 't2']);
  assert.deepEqual(ids(store.find('tasks', (task) => task.NodeID === undefined)), ['t1']);
});

test('objects handed out cannot change the store', () => {
  const store = new Store();
  const input = serviceInput('s1', 'web');
  applyOk(store, 1, createService('s1', 'web'));
  const read = store.get('services', 's1')!;
  assert.throws(() => {
    (read.Spec.Labels as Record<string, string>).x = 'y';
  }, TypeError);
  input.Spec.Labels.z = 'caller keeps its own object';
  assert.deepEqual(store.get('services', 's1')!.Spec.Labels, {});
  assert.ok(Object.isFrozen(store.list('services')[0]?.Spec.TaskTemplate));
});
