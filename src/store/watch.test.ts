import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WatcherFellBehindError, WatcherResetError } from './errors.ts';
import { Store } from './store.ts';
import { batchOf, createService, createTask, serviceInput } from './test-support.ts';
import type { StoreEvent } from './watch.ts';

async function take(iterator: AsyncIterator<StoreEvent>, count: number): Promise<string[]> {
  const seen: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const { value, done } = await iterator.next();
    if (done) break;
    seen.push(`${value.index} ${value.kind} ${value.table} ${value.object.ID}`);
  }
  return seen;
}

test('events arrive in commit order, after success only, filtered by table and predicate', async () => {
  const store = new Store();
  const all = store.watch();
  const tasks = store.watch({ table: 'tasks' });
  const updates = store.watch({ filter: (event) => event.kind === 'update' });
  store.apply(1, batchOf(1, createService('s1', 'web'), createTask('t1', 's1')));
  store.apply(2, batchOf(2, createService('s2', 'web'))); // name conflict: no events
  store.apply(
    3,
    batchOf(
      3,
      {
        kind: 'update',
        table: 'services',
        object: serviceInput('s1', 'web', 3),
        expectedVersion: 1,
      },
      { kind: 'delete', table: 'tasks', id: 't1' },
    ),
  );
  assert.deepEqual(await take(all, 4), [
    '1 create services s1',
    '1 create tasks t1',
    '3 update services s1',
    '3 delete tasks t1',
  ]);
  assert.deepEqual(await take(tasks, 2), ['1 create tasks t1', '3 delete tasks t1']);
  const update = (await updates.next()).value as StoreEvent;
  assert.equal(update.oldObject?.Version.Index, 1);
  assert.equal(update.object.Version.Index, 3);
  // Nothing else is queued: a further next() waits for the next commit.
  const pending = all.next();
  store.apply(4, batchOf(4, createTask('t2', 's1')));
  assert.equal((await pending).value?.object.ID, 't2');
});

test('a watcher that falls behind is closed without blocking apply or other watchers', async () => {
  const store = new Store();
  const slow = store.watch({ maxQueue: 3 });
  let closedWith: Error | undefined;
  const fast = store.watch({ onClose: (error) => (closedWith = error) });
  for (let index = 1; index <= 5; index += 1) {
    const result = store.apply(index, batchOf(index, createTask(`t${index}`, 's1')));
    assert.equal(result.ok, true);
  }
  assert.equal(slow.closed, true);
  assert.ok(slow.error instanceof WatcherFellBehindError);
  await assert.rejects(slow.next(), /watcher fell behind: more than 3 events queued/);
  assert.deepEqual(await slow.next(), { value: undefined, done: true });
  assert.equal((await take(fast, 5)).length, 5);
  assert.equal(fast.closed, false);
  fast.close();
  assert.equal(closedWith, undefined);
  assert.deepEqual(await fast.next(), { value: undefined, done: true });
});

test('callback watchers see the committed state; a throwing callback only closes itself', () => {
  const store = new Store();
  const seen: string[] = [];
  store.watch({
    table: 'services',
    onEvent: (event) => seen.push(`${event.object.ID}@${store.version}`),
  });
  let reentryError: Error | undefined;
  const reentrant = store.watch({
    onEvent: () => store.apply(100, batchOf(100)),
    onClose: (error) => (reentryError = error),
  });
  store.apply(1, batchOf(1, createService('s1', 'a'), createService('s2', 'b')));
  store.apply(2, batchOf(2, createService('s3', 'c')));
  assert.deepEqual(seen, ['s1@1', 's2@1', 's3@2']);
  assert.equal(reentrant.closed, true);
  assert.match(reentryError?.message ?? '', /not re-entrant/);
  assert.equal(store.version, 2);
});

test('leaving a for-await loop closes the watcher; restoring a snapshot resets watchers', async () => {
  const store = new Store();
  const watcher = store.watch();
  store.apply(1, batchOf(1, createTask('t1', 's1'), createTask('t2', 's1')));
  for await (const event of watcher) {
    assert.equal(event.object.ID, 't1');
    break;
  }
  assert.equal(watcher.closed, true);

  const snapshot = store.snapshot();
  const live = store.watch();
  const pending = live.next();
  store.replaceState(snapshot);
  await assert.rejects(pending, WatcherResetError);
  assert.equal(store.list('tasks').length, 2);
});
