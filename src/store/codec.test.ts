import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Batch, type Change, MAX_BATCH_BYTES, MAX_CHANGES_PER_BATCH } from './batch.ts';
import { canonicalJson, decodeBatch, encodeBatch, planBatches } from './codec.ts';
import { InvalidBatchError } from './errors.ts';
import { Store } from './store.ts';
import {
  batchOf,
  createService,
  createTask,
  seededRandom,
  taskInput,
  timestampAt,
} from './test-support.ts';
import { TASK_STATES } from './types.ts';

test('batches round-trip and encode canonically whatever the key order', () => {
  const batch = batchOf(1, createService('s1', 'web'), createTask('t1', 's1', 'n1'));
  assert.deepEqual(decodeBatch(encodeBatch(batch)), JSON.parse(JSON.stringify(batch)));
  const reordered = JSON.parse(JSON.stringify(batch), (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).reverse())
      : value,
  );
  assert.deepEqual(encodeBatch(reordered), encodeBatch(batch));
  assert.equal(
    canonicalJson({ b: 1, a: [undefined, { d: undefined, c: 2 }] }),
    '{"a":[null,{"c":2}],"b":1}',
  );
});

test('encoding enforces the transaction bounds with a clear error', () => {
  const tooMany = batchOf(
    1,
    ...Array.from({ length: MAX_CHANGES_PER_BATCH + 1 }, (_, n) => createTask(`t${n}`, 's1')),
  );
  assert.throws(() => encodeBatch(tooMany), /batch has 201 changes; at most 200 fit/);
  const big = createService('s1', 'web');
  if (big.kind === 'create') big.object.Spec.Labels = { blob: 'x'.repeat(MAX_BATCH_BYTES) };
  assert.throws(
    () => encodeBatch(batchOf(1, big)),
    (error: Error) =>
      error instanceof InvalidBatchError && /1\.50 MiB \(1572864 bytes\) fit/.test(error.message),
  );
  assert.throws(() => planBatches([big], timestampAt(1)), /alone is \d+ bytes encoded/);
});

test('planBatches splits by count and by size; every part encodes', () => {
  const tasks = Array.from({ length: 450 }, (_, n) => createTask(`t${n}`, 's1'));
  assert.deepEqual(
    planBatches(tasks, timestampAt(1)).map((batch) => batch.changes.length),
    [200, 200, 50],
  );
  const heavy: Change[] = Array.from({ length: 5 }, (_, n) => {
    const change = createService(`s${n}`, `web${n}`);
    if (change.kind === 'create') change.object.Spec.Labels = { blob: 'y'.repeat(500_000) };
    return change;
  });
  const parts = planBatches(heavy, timestampAt(1));
  assert.deepEqual(
    parts.map((batch) => batch.changes.length),
    [3, 2],
  );
  for (const part of parts) assert.ok(encodeBatch(part).byteLength <= MAX_BATCH_BYTES);
});

test('undecodable entries fail like bad batches and still advance the version', () => {
  const store = new Store();
  assert.throws(() => decodeBatch(new Uint8Array([0xff, 0x00])), InvalidBatchError);
  const result = store.applyEncoded(4, new TextEncoder().encode('{"changes":[]}'));
  assert.ok(!result.ok && result.error.code === 'invalid_batch');
  assert.equal(store.version, 4);
});

/**
 * A deterministic workload of creates, updates and deletes, generated against a model replica.
 * Some changes are stale or touch one task twice, so some batches fail: replicas must agree on
 * failures too.
 */
function workload(seed: number, steps: number): Batch[] {
  const random = seededRandom(seed);
  const model = new Store();
  const batches: Batch[] = [batchOf(1, createService('s1', 'web'), createService('s2', 'api'))];
  model.apply(1, batches[0]!);
  const pick = (count: number) => Math.floor(random() * count);
  for (let step = 2; step <= steps; step += 1) {
    const changes: Change[] = [];
    for (let n = 0; n <= pick(4); n += 1) {
      const id = `t${pick(20)}`;
      const version = model.get('tasks', id)?.Version.Index;
      const roll = random();
      if (version === undefined) {
        changes.push(createTask(id, roll < 0.5 ? 's1' : 's2', `n${pick(3)}`));
      } else if (roll < 0.6) {
        const object = taskInput(id, 's1', `n${pick(3)}`, TASK_STATES[pick(TASK_STATES.length)]);
        const expectedVersion = roll < 0.05 ? version - 1 : version;
        changes.push({ kind: 'update', table: 'tasks', object, expectedVersion });
      } else {
        changes.push({ kind: 'delete', table: 'tasks', id, expectedVersion: version });
      }
    }
    const batch = batchOf(step, ...changes);
    batches.push(batch);
    model.apply(step, batch);
  }
  return batches;
}

test('replicas applying the same encoded entries hold byte-identical state', () => {
  const entries = workload(7, 300).map((batch) => encodeBatch(batch));
  const first = new Store();
  const second = new Store();
  const direct = new Store();
  const batches = workload(7, 300);
  let failures = 0;
  entries.forEach((bytes, position) => {
    const result = first.applyEncoded(position + 1, bytes);
    if (!result.ok) failures += 1;
    second.applyEncoded(position + 1, bytes);
    direct.apply(position + 1, batches[position]!);
  });
  assert.ok(failures > 0 && failures < entries.length, 'the workload exercises both outcomes');
  assert.deepEqual(first.snapshot(), second.snapshot());
  assert.deepEqual(first.snapshot(), direct.snapshot());
});

test('snapshot and restore give identical state and identical later behaviour', () => {
  const batches = workload(11, 200);
  const original = new Store();
  batches.slice(0, 150).forEach((batch, position) => {
    original.apply(position + 1, batch);
  });
  const restored = Store.restore(original.snapshot());
  assert.deepEqual(restored.snapshot(), original.snapshot());
  assert.equal(restored.version, original.version);
  batches.slice(150).forEach((batch, position) => {
    const index = 151 + position;
    const expected = original.apply(index, batch);
    const actual = restored.apply(index, batch);
    assert.equal(actual.ok, expected.ok);
    if (!actual.ok && !expected.ok) assert.equal(actual.error.message, expected.error.message);
  });
  assert.deepEqual(restored.snapshot(), original.snapshot());
  assert.deepEqual(restored.list('tasks'), original.list('tasks'));
  const conflict = restored.apply(500, batchOf(500, createService('x', 'WEB')));
  assert.ok(!conflict.ok && conflict.error.code === 'name_conflict');
});
