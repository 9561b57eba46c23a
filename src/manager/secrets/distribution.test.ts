// What a node's assignment set carries of secrets and configs: only what its runnable tasks
// reference, within the byte budget.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Change, Store, type Task } from '../../store/index.ts';
import { batchOf, taskInput } from '../../store/test-support.ts';
import { decodeAssignments } from '../dispatcher/index.ts';
import { filesForTasks } from './distribution.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function storeWith(): Store {
  const store = new Store();
  const changes: Change[] = [
    {
      kind: 'create',
      table: 'secrets',
      object: { ID: 's1', Spec: { Name: 'a', Labels: {}, Data: b64('aaaa') } },
    },
    {
      kind: 'create',
      table: 'secrets',
      object: { ID: 's2', Spec: { Name: 'b', Labels: {}, Data: b64('bbbb') } },
    },
    {
      kind: 'create',
      table: 'secrets',
      object: { ID: 's3', Spec: { Name: 'other', Labels: {}, Data: b64('never') } },
    },
    {
      kind: 'create',
      table: 'configs',
      object: {
        ID: 'c1',
        Spec: { Name: 'conf', Labels: {}, Data: b64('x'), Templating: { Name: 'golang' } },
      },
    },
  ];
  store.apply(1, batchOf(1, ...changes));
  return store;
}

function task(
  id: string,
  secrets: string[],
  configs: string[],
  state: Task['Status']['State'] = 'assigned',
  desired: Task['DesiredState'] = 'running',
): Task {
  const input = taskInput(id, 'svc', 'node1', desired);
  return {
    ...input,
    Version: { Index: 1 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Status: { ...input.Status, State: state },
    Spec: {
      ContainerSpec: {
        Image: 'nginx',
        Secrets: secrets.map((id) => ({
          SecretID: id,
          SecretName: id,
          File: { Name: id, UID: '0', GID: '0', Mode: 0o444 },
        })),
        Configs: configs.map((id) => ({
          ConfigID: id,
          ConfigName: id,
          File: { Name: id, UID: '0', GID: '0', Mode: 0o444 },
        })),
      },
    },
  } as Task;
}

test('only the secrets and configs of tasks that may still run, sorted, none other', () => {
  const store = storeWith();
  const files = filesForTasks(
    store,
    [
      task('t1', ['s2'], ['c1']),
      task('t2', ['s1', 's2'], [], 'running'),
      task('t3', ['s3'], [], 'failed'),
      task('t4', ['s3'], [], 'running', 'shutdown'),
      task('t5', ['gone'], []),
    ],
    1024,
  );
  assert.deepEqual(
    files.secrets.map((s) => s.ID),
    ['s1', 's2'],
  );
  assert.deepEqual(files.secrets[0], { ID: 's1', Name: 'a', Data: b64('aaaa') });
  assert.deepEqual(files.configs, [
    { ID: 'c1', Name: 'conf', Data: b64('x'), Templating: { Name: 'golang' } },
  ]);
  assert.deepEqual(files.omitted, []);
});

test('past the byte budget, references are listed as omitted', () => {
  const store = storeWith();
  const files = filesForTasks(store, [task('t1', ['s1', 's2'], ['c1'])], b64('aaaa').length + 4);
  assert.deepEqual(
    files.secrets.map((s) => s.ID),
    ['s1'],
  );
  assert.deepEqual(
    files.configs.map((c) => c.ID),
    ['c1'],
  );
  assert.deepEqual(files.omitted, ['s2']);
});

test('on the wire: files checked, and a parse error never quotes the bytes', () => {
  const encoded = (value: unknown) => Buffer.from(JSON.stringify(value));
  const set = decodeAssignments(
    encoded({ tasks: [], secrets: [{ ID: 's1', Name: 'a', Data: b64('x') }], omitted: ['s2'] }),
  );
  assert.deepEqual(set?.secrets, [{ ID: 's1', Name: 'a', Data: b64('x') }]);
  assert.throws(
    () => decodeAssignments(encoded({ tasks: [], configs: [{ ID: 'c1', Name: 'c' }] })),
    /configs must be a list of \{ID, Name, Data\}/,
  );
  const broken = Buffer.from(`{"tasks":[],"secrets":[{"Data":"${b64('hunter2')}"`);
  assert.throws(
    () => decodeAssignments(broken),
    (error: Error) =>
      !error.message.includes(b64('hunter2')) && /not valid JSON/.test(error.message),
  );
});
