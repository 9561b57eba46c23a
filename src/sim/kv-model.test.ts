import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type KvInput, type KvOperation, type KvOutput, kvModel } from './kv-model.ts';
import { checkLinearizability } from './linearizability.ts';

const op = (
  clientId: number,
  input: KvInput,
  output: KvOutput | undefined,
  callTime: number,
  returnTime: number,
): KvOperation => ({ clientId, input, output, callTime, returnTime });

const state = (entries: [string, string][]): ReadonlyMap<string, string> => new Map(entries);

describe('kvModel.step', () => {
  test('get of a missing key returns null', () => {
    const s = kvModel.init();
    assert.equal(kvModel.step(s, { kind: 'get', key: 'x' }, { value: null }).ok, true);
    assert.equal(kvModel.step(s, { kind: 'get', key: 'x' }, { value: '' }).ok, false);
  });

  test('get returns the stored value and leaves the state alone', () => {
    const s = state([['x', '1']]);
    const r = kvModel.step(s, { kind: 'get', key: 'x' }, { value: '1' });
    assert.equal(r.ok, true);
    assert.equal(r.state, s);
    assert.equal(kvModel.step(s, { kind: 'get', key: 'x' }, { value: '2' }).ok, false);
    assert.equal(kvModel.step(s, { kind: 'get', key: 'x' }, { value: null }).ok, false);
    assert.equal(kvModel.step(s, { kind: 'get', key: 'y' }, { value: null }).ok, true);
  });

  test('a get output without a value is rejected; an unknown one accepted', () => {
    const s = state([['x', '1']]);
    assert.equal(kvModel.step(s, { kind: 'get', key: 'x' }, {}).ok, false);
    assert.deepEqual(kvModel.step(s, { kind: 'get', key: 'x' }, undefined), { ok: true, state: s });
  });

  test('put replaces, append concatenates (from empty when missing), without mutating', () => {
    const s0 = state([['x', '1']]);
    const s1 = kvModel.step(s0, { kind: 'put', key: 'x', value: '2' }, {});
    assert.equal(s1.ok, true);
    assert.deepEqual([...s1.state], [['x', '2']]);
    const s2 = kvModel.step(s1.state, { kind: 'append', key: 'x', value: 'a' }, undefined);
    assert.equal(s2.ok, true);
    assert.deepEqual([...s2.state], [['x', '2a']]);
    const s3 = kvModel.step(s2.state, { kind: 'append', key: 'y', value: 'b' }, {});
    assert.deepEqual([...s3.state].sort(), [
      ['x', '2a'],
      ['y', 'b'],
    ]);
    assert.deepEqual([...s0], [['x', '1']]);
    assert.deepEqual([...s1.state], [['x', '2']]);
  });

  test('keys that are Object.prototype names behave like any other', () => {
    const s = kvModel.init();
    assert.equal(kvModel.step(s, { kind: 'get', key: '__proto__' }, { value: null }).ok, true);
    assert.equal(kvModel.step(s, { kind: 'get', key: 'constructor' }, { value: null }).ok, true);
    const s1 = kvModel.step(s, { kind: 'append', key: '__proto__', value: 'a' }, {}).state;
    assert.equal(kvModel.step(s1, { kind: 'get', key: '__proto__' }, { value: 'a' }).ok, true);
  });
});

describe('kvModel.key', () => {
  test('is canonical and injective', () => {
    assert.equal(
      kvModel.key(
        state([
          ['a', '1'],
          ['b', '2'],
        ]),
      ),
      kvModel.key(
        state([
          ['b', '2'],
          ['a', '1'],
        ]),
      ),
    );
    const distinct = [
      state([]),
      state([['a', '']]),
      state([['a', '1']]),
      state([['b', '1']]),
      state([
        ['a', '1'],
        ['b', ''],
      ]),
      state([['a', '1","b']]),
      state([['a"', '1']]),
    ].map((s) => kvModel.key(s));
    assert.equal(new Set(distinct).size, distinct.length);
  });
});

describe('kvModel.partition', () => {
  test('splits by key, in order of first appearance, keeping each key in history order', () => {
    const ops = [
      op(0, { kind: 'put', key: 'b', value: '1' }, {}, 0, 1),
      op(1, { kind: 'get', key: 'a' }, { value: null }, 0, 1),
      op(0, { kind: 'get', key: 'b' }, { value: '1' }, 2, 3),
      op(1, { kind: 'append', key: 'a', value: 'x' }, {}, 2, 3),
    ];
    assert.deepEqual(kvModel.partition!(ops), [
      [ops[0], ops[2]],
      [ops[1], ops[3]],
    ]);
  });

  test('drops unknown-outcome ops that no completed get could have observed', () => {
    const ops = [
      op(0, { kind: 'put', key: 'x', value: 'p1' }, undefined, 0, Infinity), // observed as prefix
      op(1, { kind: 'put', key: 'x', value: 'p2' }, undefined, 0, Infinity), // only mid-string
      op(2, { kind: 'append', key: 'x', value: 'p2' }, undefined, 0, Infinity), // observed inside
      op(3, { kind: 'append', key: 'x', value: 'zz' }, undefined, 0, Infinity), // never observed
      op(4, { kind: 'get', key: 'x' }, undefined, 0, Infinity), // unknown get: no effect
      op(5, { kind: 'put', key: 'x', value: 'q' }, {}, 0, 1), // completed: always kept
      op(6, { kind: 'get', key: 'x' }, { value: 'p1p2' }, 5, 6),
      op(7, { kind: 'get', key: 'x' }, { value: null }, 5, 6),
    ];
    assert.deepEqual(kvModel.partition!(ops), [[ops[0], ops[2], ops[5], ops[6], ops[7]]]);
  });

  test('an unknown put of the empty string is kept whenever anything was read', () => {
    const ops = [
      op(0, { kind: 'put', key: 'x', value: '' }, undefined, 0, Infinity),
      op(1, { kind: 'get', key: 'x' }, { value: '' }, 5, 6),
    ];
    assert.deepEqual(kvModel.partition!(ops), [ops]);
    assert.deepEqual(checkLinearizability(kvModel, ops), { result: 'ok' });
  });
});

describe('kvModel.describe', () => {
  test('formats each kind of operation', () => {
    assert.equal(kvModel.describe!({ kind: 'get', key: 'x' }, { value: 'v' }), 'get("x") -> "v"');
    assert.equal(kvModel.describe!({ kind: 'get', key: 'x' }, { value: null }), 'get("x") -> null');
    assert.equal(kvModel.describe!({ kind: 'get', key: 'x' }, undefined), 'get("x") -> ?');
    assert.equal(kvModel.describe!({ kind: 'put', key: 'x', value: 'v' }, {}), 'put("x", "v")');
    assert.equal(
      kvModel.describe!({ kind: 'append', key: 'x', value: 'v' }, undefined),
      'append("x", "v") -> ?',
    );
  });
});

describe('kvModel with checkLinearizability', () => {
  test('keys are independent: interleavings across keys do not matter', () => {
    const history = [
      op(0, { kind: 'put', key: 'a', value: '1' }, {}, 0, 1),
      op(1, { kind: 'put', key: 'b', value: '1' }, {}, 2, 3),
      op(0, { kind: 'get', key: 'b' }, { value: '1' }, 4, 5),
      op(1, { kind: 'get', key: 'a' }, { value: '1' }, 4, 5),
      op(2, { kind: 'get', key: 'c' }, { value: null }, 0, 9),
    ];
    assert.deepEqual(checkLinearizability(kvModel, history), { result: 'ok' });
  });

  test('a violation is reported in the partition of its key', () => {
    const history = [
      op(0, { kind: 'put', key: 'a', value: '1' }, {}, 0, 1),
      op(1, { kind: 'put', key: 'b', value: '1' }, {}, 0, 1),
      op(2, { kind: 'put', key: 'c', value: '1' }, {}, 0, 1),
      op(0, { kind: 'get', key: 'a' }, { value: '1' }, 2, 3),
      op(1, { kind: 'get', key: 'c' }, { value: null }, 2, 3),
    ];
    const r = checkLinearizability(kvModel, history);
    assert.equal(r.result, 'illegal');
    if (r.result === 'illegal') {
      assert.equal(r.partition, 2);
      assert.match(r.longestPrefix.at(-1)!, /could not place: get\("c"\) -> null/);
    }
  });

  test('an unknown put observed only through later appends must still be linearized', () => {
    const history = [
      op(0, { kind: 'put', key: 'x', value: 'v' }, undefined, 0, Infinity),
      op(1, { kind: 'append', key: 'x', value: 'a' }, {}, 5, 6),
      op(1, { kind: 'get', key: 'x' }, { value: 'va' }, 7, 8),
    ];
    assert.deepEqual(checkLinearizability(kvModel, history), { result: 'ok' });
    const tooEarly = history.map((o) => (o.input.kind === 'put' ? { ...o, callTime: 9 } : o));
    assert.equal(checkLinearizability(kvModel, tooEarly).result, 'illegal');
  });

  test('an unknown append cannot explain a value containing it twice', () => {
    const history = [
      op(0, { kind: 'append', key: 'x', value: 'a' }, undefined, 0, Infinity),
      op(1, { kind: 'append', key: 'x', value: 'b' }, {}, 1, 2),
      op(1, { kind: 'get', key: 'x' }, { value: 'aba' }, 3, 4),
    ];
    assert.equal(checkLinearizability(kvModel, history).result, 'illegal');
    const ok = history.map((o) =>
      o.input.kind === 'get' ? { ...o, output: { value: 'ab' } satisfies KvOutput } : o,
    );
    assert.deepEqual(checkLinearizability(kvModel, ok), { result: 'ok' });
  });
});
