import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type KvInput, type KvOperation, type KvOutput, kvModel } from './kv-model.ts';
import {
  type CheckResult,
  checkLinearizability,
  type Model,
  type Operation,
} from './linearizability.ts';

// --- helpers ---------------------------------------------------------------------------------

const put = (
  clientId: number,
  key: string,
  value: string,
  callTime: number,
  returnTime: number,
): KvOperation => ({
  clientId,
  input: { kind: 'put', key, value },
  output: returnTime === Infinity ? undefined : {},
  callTime,
  returnTime,
});

const append = (
  clientId: number,
  key: string,
  value: string,
  callTime: number,
  returnTime: number,
): KvOperation => ({
  clientId,
  input: { kind: 'append', key, value },
  output: returnTime === Infinity ? undefined : {},
  callTime,
  returnTime,
});

const get = (
  clientId: number,
  key: string,
  value: string | null | undefined,
  callTime: number,
  returnTime: number,
): KvOperation => ({
  clientId,
  input: { kind: 'get', key },
  output: value === undefined ? undefined : { value },
  callTime,
  returnTime,
});

/** kvModel without partitioning: the whole history is one search. */
const kvWhole: Model<ReadonlyMap<string, string>, KvInput, KvOutput> = {
  ...kvModel,
  partition: undefined,
};

/**
 * Check with the partitioned model and, for small histories, also as one whole history with no
 * partitioning or pruning (P-compositionality says they agree).
 */
function check(history: KvOperation[], maxSteps?: number): CheckResult {
  const partitioned = checkLinearizability(kvModel, history, { maxSteps });
  if (history.length <= 20) {
    const whole = checkLinearizability(kvWhole, history, { maxSteps });
    assert.equal(partitioned.result, whole.result, 'partitioned and whole-history checks disagree');
  }
  return partitioned;
}

function assertOk(history: KvOperation[]): void {
  const r = check(history);
  assert.deepEqual(r, { result: 'ok' });
}

function assertIllegal(history: KvOperation[]): Extract<CheckResult, { result: 'illegal' }> {
  const r = check(history);
  assert.equal(r.result, 'illegal', JSON.stringify(r));
  return r as Extract<CheckResult, { result: 'illegal' }>;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randInt = (r: () => number, lo: number, hi: number): number =>
  lo + Math.floor(r() * (hi - lo + 1));

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

/**
 * Reference checker: tries every order of every subset of operations that contains all completed
 * ones. Exponential; only for tiny histories.
 */
function bruteForce<S, I, O>(model: Model<S, I, O>, history: Operation<I, O>[]): boolean {
  const used = history.map(() => false);
  const search = (state: S, requiredLeft: number): boolean => {
    if (requiredLeft === 0) return true;
    for (const [i, op] of history.entries()) {
      if (used[i]) continue;
      const blocked = history.some((o, j) => !used[j] && j !== i && o.returnTime < op.callTime);
      if (blocked) continue;
      const r = model.step(state, op.input, op.output);
      if (!r.ok) continue;
      used[i] = true;
      if (search(r.state, requiredLeft - (op.returnTime === Infinity ? 0 : 1))) return true;
      used[i] = false;
    }
    return false;
  };
  return search(model.init(), history.filter((op) => op.returnTime !== Infinity).length);
}

interface GenOptions {
  ops: number;
  keys: number;
  clients: number;
  /** Maximum distance of call and return from the linearization point. */
  jitter: number;
  unknownRate: number;
  appendRate: number;
}

/**
 * A linearizable history: operations are executed sequentially against a real in-memory store at
 * linearization points 10, 20, 30, ...; each gets a call time before and a return time after its
 * point, and each client runs one operation at a time. An operation with an unknown outcome takes
 * effect or not (at its point) at random, and its client is replaced by a fresh one.
 */
function generateHistory(seed: number, opts: GenOptions): KvOperation[] {
  const r = rng(seed);
  const store = new Map<string, string>();
  const busyUntil: number[] = Array.from({ length: opts.clients }, () => -1);
  const clientIds = busyUntil.map((_, i) => i);
  let nextClientId = opts.clients;
  const history: KvOperation[] = [];
  for (let i = 0; i < opts.ops; i++) {
    const point = 10 * (i + 1);
    const free = clientIds.map((_, s) => s).filter((s) => busyUntil[s]! < point);
    if (free.length === 0) continue;
    const slot = pick(r, free);
    const callTime = Math.max(busyUntil[slot]! + 1, point - randInt(r, 0, opts.jitter));
    const returnTime = point + randInt(r, 0, opts.jitter);
    const key = `k${randInt(r, 0, opts.keys - 1)}`;
    const roll = r();
    const input: KvInput =
      roll < 0.45
        ? { kind: 'get', key }
        : roll < 0.45 + opts.appendRate
          ? { kind: 'append', key, value: `a${i};` }
          : { kind: 'put', key, value: `v${i};` };
    const unknown = r() < opts.unknownRate;
    const takesEffect = !unknown || r() < 0.5;
    let output: KvOutput = {};
    if (input.kind === 'get') output = { value: store.get(key) ?? null };
    else if (takesEffect) {
      const prev = input.kind === 'append' ? (store.get(key) ?? '') : '';
      store.set(key, prev + input.value);
    }
    history.push({
      clientId: clientIds[slot]!,
      input,
      output: unknown ? undefined : output,
      callTime,
      returnTime: unknown ? Infinity : returnTime,
    });
    if (unknown) {
      clientIds[slot] = nextClientId++;
      busyUntil[slot] = callTime;
    } else busyUntil[slot] = returnTime;
  }
  return history;
}

// --- classic histories -----------------------------------------------------------------------

describe('checkLinearizability: classic histories', () => {
  test('empty history is linearizable', () => {
    assertOk([]);
  });

  test('sequential put then get', () => {
    assertOk([put(0, 'x', '1', 0, 1), get(1, 'x', '1', 2, 3)]);
  });

  test('read of a missing key returns null', () => {
    assertOk([get(0, 'x', null, 0, 1), put(0, 'x', '1', 2, 3), get(0, 'x', '1', 4, 5)]);
  });

  test('read of null after a completed write is illegal', () => {
    assertIllegal([put(0, 'x', '1', 0, 1), get(1, 'x', null, 2, 3)]);
  });

  test('stale read after a completed write is illegal', () => {
    assertIllegal([put(0, 'x', '1', 0, 1), put(0, 'x', '2', 2, 3), get(1, 'x', '1', 4, 5)]);
  });

  test('stale read concurrent with nothing, across clients, is illegal', () => {
    assertIllegal([
      put(0, 'x', '1', 0, 10),
      get(1, 'x', '1', 11, 12),
      put(2, 'x', '2', 13, 14),
      get(1, 'x', '1', 15, 16),
    ]);
  });

  test('concurrent writes read in different orders by two sequential readers are illegal', () => {
    assertIllegal([
      put(0, 'x', '1', 0, 100),
      put(1, 'x', '2', 0, 100),
      get(2, 'x', '1', 1, 2),
      get(2, 'x', '2', 3, 4),
      get(3, 'x', '2', 1, 2),
      get(3, 'x', '1', 3, 4),
    ]);
  });

  test('concurrent writes read in the same order by two readers are fine', () => {
    assertOk([
      put(0, 'x', '1', 0, 100),
      put(1, 'x', '2', 0, 100),
      get(2, 'x', '1', 1, 2),
      get(2, 'x', '2', 3, 4),
      get(3, 'x', '1', 1, 2),
      get(3, 'x', '2', 5, 6),
    ]);
  });

  test('overlapping writes permit either order', () => {
    for (const winner of ['1', '2']) {
      assertOk([put(0, 'x', '1', 0, 10), put(1, 'x', '2', 5, 15), get(2, 'x', winner, 20, 21)]);
    }
    assertIllegal([put(0, 'x', '1', 0, 10), put(1, 'x', '2', 5, 15), get(2, 'x', null, 20, 21)]);
  });

  test('a read concurrent with a write may see the old or the new value', () => {
    assertOk([put(0, 'x', '1', 0, 1), put(0, 'x', '2', 2, 10), get(1, 'x', '1', 3, 4)]);
    assertOk([put(0, 'x', '1', 0, 1), put(0, 'x', '2', 2, 10), get(1, 'x', '2', 3, 4)]);
  });

  test('reads flip-flopping during one write are illegal', () => {
    assertIllegal([
      put(0, 'x', '1', 0, 1),
      put(0, 'x', '2', 2, 20),
      get(1, 'x', '2', 3, 4),
      get(1, 'x', '1', 5, 6),
    ]);
  });

  test('a read observing a put that started after the read returned is illegal', () => {
    assertIllegal([get(0, 'x', '1', 0, 1), put(1, 'x', '1', 2, 3)]);
  });

  test('intervals that touch count as concurrent', () => {
    assertOk([put(0, 'x', '1', 0, 5), get(1, 'x', null, 5, 6)]);
    assertOk([get(1, 'x', '1', 0, 5), put(0, 'x', '1', 5, 6)]);
    assertIllegal([put(0, 'x', '1', 0, 5), get(1, 'x', null, 6, 7)]);
  });

  test('appends concatenate in linearization order', () => {
    assertOk([append(0, 'x', 'a', 0, 1), append(0, 'x', 'b', 2, 3), get(1, 'x', 'ab', 4, 5)]);
    assertIllegal([append(0, 'x', 'a', 0, 1), append(0, 'x', 'b', 2, 3), get(1, 'x', 'ba', 4, 5)]);
    assertOk([append(0, 'x', 'a', 0, 10), append(1, 'x', 'b', 0, 10), get(2, 'x', 'ba', 11, 12)]);
  });
});

// --- unknown outcomes ------------------------------------------------------------------------

describe('checkLinearizability: operations with unknown outcome', () => {
  test('an unknown-outcome put that is later observed is fine', () => {
    assertOk([put(0, 'x', '1', 0, 1), put(1, 'x', '2', 2, Infinity), get(2, 'x', '2', 50, 51)]);
  });

  test('an unknown-outcome put that is never observed is fine', () => {
    assertOk([
      put(0, 'x', '1', 0, 1),
      put(1, 'x', '2', 2, Infinity),
      get(2, 'x', '1', 50, 51),
      get(2, 'x', '1', 60, 61),
    ]);
  });

  test('an unknown-outcome put may take effect long after its call', () => {
    assertOk([
      put(1, 'x', '2', 0, Infinity),
      put(0, 'x', '1', 10, 11),
      get(2, 'x', '1', 20, 21),
      get(2, 'x', '2', 30, 31),
    ]);
  });

  test('an unknown-outcome put cannot be observed before its call', () => {
    assertIllegal([get(0, 'x', '2', 0, 1), put(1, 'x', '2', 5, Infinity)]);
  });

  test('an unknown-outcome put takes effect at most once: no flip-flop after observing it', () => {
    assertIllegal([
      put(0, 'x', '1', 0, 1),
      put(1, 'x', '2', 2, Infinity),
      get(2, 'x', '2', 10, 11),
      get(2, 'x', '1', 20, 21),
    ]);
  });

  test('an unknown-outcome append applies at most once', () => {
    assertOk([append(0, 'x', 'a', 0, Infinity), get(1, 'x', 'a', 5, 6)]);
    assertOk([append(0, 'x', 'a', 0, Infinity), get(1, 'x', null, 5, 6)]);
    assertIllegal([append(0, 'x', 'a', 0, Infinity), get(1, 'x', 'aa', 5, 6)]);
  });

  test('unknown-outcome gets constrain nothing', () => {
    assertOk([put(0, 'x', '1', 0, 1), get(1, 'x', undefined, 2, Infinity)]);
    assertIllegal([
      put(0, 'x', '1', 0, 1),
      get(1, 'x', undefined, 2, Infinity),
      get(1, 'x', '2', 3, 4),
    ]);
  });

  test('a completed op with unknown output must still be linearized within its interval', () => {
    assertOk([put(0, 'x', '1', 0, 1), get(1, 'x', undefined, 2, 3)]);
    // The put's output is lost but it did return, so a later read must see it.
    const lostReply: KvOperation = { ...put(0, 'x', '1', 0, 1), output: undefined };
    assertIllegal([lostReply, get(1, 'x', null, 2, 3)]);
  });

  test('only unknown-outcome ops: always fine', () => {
    assertOk([put(0, 'x', '1', 0, Infinity), get(1, 'x', undefined, 0, Infinity)]);
  });

  test('many unobserved unknown-outcome writes do not blow up the search', () => {
    const history: KvOperation[] = [];
    for (let i = 0; i < 40; i++) history.push(put(100 + i, 'x', `u${i}`, i, Infinity));
    for (let i = 0; i < 40; i++) history.push(put(0, 'x', `c${i}`, 100 + 2 * i, 101 + 2 * i));
    history.push(get(1, 'x', 'c39', 200, 201));
    // A violation at the very end must be found, not time out.
    history.push(get(1, 'x', 'c38', 202, 203));
    // kvWhole: kvModel.partition would drop the unobserved writes before the search.
    const r = checkLinearizability(kvWhole, history, { maxSteps: 1_000_000 });
    assert.equal(r.result, 'illegal', JSON.stringify(r));
    assert.deepEqual(checkLinearizability(kvWhole, history.slice(0, -1)), { result: 'ok' });
  });
});

// --- reporting, budget, validation -----------------------------------------------------------

describe('checkLinearizability: results', () => {
  test('an illegal result names the partition and describes the failure', () => {
    const history = [
      put(0, 'a', '1', 0, 1),
      get(1, 'a', '1', 2, 3),
      put(0, 'b', '1', 4, 5),
      put(0, 'b', '2', 6, 7),
      get(1, 'b', '1', 8, 9),
    ];
    const r = checkLinearizability(kvModel, history);
    assert.equal(r.result, 'illegal');
    if (r.result !== 'illegal') return;
    assert.equal(r.partition, 1);
    assert.deepEqual(r.longestPrefix.slice(0, 2), [
      '1. put("b", "1")  [client 0, op #2, called 4, returned 5]',
      '2. put("b", "2")  [client 0, op #3, called 6, returned 7]',
    ]);
    assert.equal(r.longestPrefix.length, 3);
    assert.match(r.longestPrefix[2]!, /^could not place: get\("b"\) -> "1" {2}\[client 1, op #4/);
    assert.match(r.longestPrefix[2]!, /state after the prefix: \[\["b","2"\]\]$/);
  });

  test('the default description is JSON when the model has none', () => {
    const r = checkLinearizability({ ...kvModel, describe: undefined }, [get(0, 'x', '1', 0, 1)]);
    assert.equal(r.result, 'illegal');
    if (r.result !== 'illegal') return;
    assert.match(
      r.longestPrefix[0]!,
      /^could not place: \{"kind":"get","key":"x"\} -> \{"value":"1"\}/,
    );
  });

  test('a step budget that is too small gives unknown', () => {
    const history = generateHistory(1, {
      ops: 200,
      keys: 1,
      clients: 5,
      jitter: 40,
      unknownRate: 0.05,
      appendRate: 0.2,
    });
    const r = checkLinearizability(kvModel, history, { maxSteps: 10 });
    assert.equal(r.result, 'unknown');
    if (r.result === 'unknown') assert.match(r.reason, /budget of 10 exhausted/);
    assert.deepEqual(checkLinearizability(kvModel, history, { maxSteps: 0 }).result, 'unknown');
    assert.deepEqual(checkLinearizability(kvModel, history), { result: 'ok' });
  });

  test('malformed histories throw', () => {
    assert.throws(() => checkLinearizability(kvModel, [put(0, 'x', '1', 5, 4)]), RangeError);
    assert.throws(
      () => checkLinearizability(kvModel, [put(0, 'x', '1', Number.NaN, 4)]),
      RangeError,
    );
    assert.throws(
      () => checkLinearizability(kvModel, [put(0, 'x', '1', 0, Number.NaN)]),
      RangeError,
    );
    assert.throws(
      () => checkLinearizability({ ...kvModel, partition: () => [] }, [put(0, 'x', '1', 0, 1)]),
      /partition returned 0 operations/,
    );
  });
});

// --- randomized ------------------------------------------------------------------------------

describe('checkLinearizability: randomized', () => {
  test('agrees with a brute-force reference on small random histories', () => {
    const r = rng(42);
    const counts = { ok: 0, illegal: 0 };
    for (let iter = 0; iter < 3000; iter++) {
      const n = randInt(r, 1, 7);
      const keys = r() < 0.5 ? ['x'] : ['x', 'y'];
      const history: KvOperation[] = [];
      for (let i = 0; i < n; i++) {
        const key = pick(r, keys);
        const callTime = randInt(r, 0, 10);
        const returnTime = r() < 0.2 ? Infinity : callTime + randInt(r, 0, 6);
        const roll = r();
        if (roll < 0.45) {
          const value =
            returnTime === Infinity
              ? undefined
              : pick(r, [null, '', '1', '2', 'a', '1a', 'ab', '2b']);
          history.push(get(i, key, value, callTime, returnTime));
        } else if (roll < 0.7) {
          history.push(append(i, key, pick(r, ['a', 'b']), callTime, returnTime));
        } else history.push(put(i, key, pick(r, ['1', '2', '']), callTime, returnTime));
      }
      const expected = bruteForce(kvModel, history) ? 'ok' : 'illegal';
      const actual = check(history).result;
      assert.equal(actual, expected, `history ${iter}: ${JSON.stringify(history)}`);
      counts[expected]++;
    }
    assert.ok(counts.ok > 500 && counts.illegal > 500, JSON.stringify(counts));
  });

  test('partitioned and pruned checks agree with whole-history checks on perturbed histories', () => {
    const r = rng(7);
    const counts = { ok: 0, illegal: 0 };
    for (let iter = 0; iter < 400; iter++) {
      const history = generateHistory(1000 + iter, {
        ops: randInt(r, 10, 30),
        keys: 2,
        clients: 4,
        jitter: 30,
        unknownRate: 0.25,
        appendRate: 0.3,
      });
      // Make some reads return other written values, or append one to what they read.
      const written = history.flatMap((o) => (o.input.kind === 'get' ? [] : [o.input.value]));
      const reads = history.flatMap((o, i) => (o.input.kind === 'get' && o.output ? [i] : []));
      for (let k = randInt(r, 0, 2); k > 0 && reads.length > 0 && written.length > 0; k--) {
        const i = pick(r, reads);
        const current = (history[i]!.output as { value: string | null }).value;
        const value = pick(r, written);
        history[i] = {
          ...history[i]!,
          output: { value: r() < 0.5 ? value : `${current}${value}` },
        };
      }
      const whole = checkLinearizability(kvWhole, history).result;
      assert.notEqual(whole, 'unknown');
      assert.equal(checkLinearizability(kvModel, history).result, whole, JSON.stringify(history));
      counts[whole as 'ok' | 'illegal']++;
    }
    assert.ok(counts.ok > 100 && counts.illegal > 100, JSON.stringify(counts));
  });

  const shapes: [string, GenOptions][] = [
    [
      'one key, puts only',
      { ops: 150, keys: 1, clients: 5, jitter: 40, unknownRate: 0, appendRate: 0 },
    ],
    [
      'one key, appends and unknown outcomes',
      { ops: 150, keys: 1, clients: 5, jitter: 40, unknownRate: 0.1, appendRate: 0.3 },
    ],
    [
      'three keys, high concurrency',
      { ops: 200, keys: 3, clients: 8, jitter: 80, unknownRate: 0.05, appendRate: 0.2 },
    ],
  ];

  for (const [name, opts] of shapes) {
    test(`jittered histories of a real store are linearizable, and corrupting a read is caught (${name})`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const history = generateHistory(seed, opts);
        assert.deepEqual(check(history), { result: 'ok' }, `seed ${seed}`);

        const reads = history
          .map((op, i) => [op, i] as const)
          .filter(([op]) => op.input.kind === 'get' && op.output !== undefined);
        const [, index] = pick(rng(seed), reads);
        const corrupted = history.slice();
        corrupted[index] = { ...history[index]!, output: { value: 'never-written' } };
        const r = check(corrupted);
        assert.equal(r.result, 'illegal', `seed ${seed}`);
        if (r.result === 'illegal') {
          assert.match(r.longestPrefix.at(-1)!, /never-written/, `seed ${seed}`);
        }
      }
    });
  }

  test('a stale read in a jittered put-only history is caught', () => {
    const opts = { ops: 150, keys: 1, clients: 5, jitter: 40, unknownRate: 0, appendRate: 0 };
    let caught = 0;
    for (let seed = 100; seed < 130; seed++) {
      const history = generateHistory(seed, opts);
      // Find a read and two puts P, Q with P before Q before the read in real time; reading P's
      // value is then stale (values are unique).
      for (const [gi, g] of history.entries()) {
        if (g.input.kind !== 'get') continue;
        const p = history.find(
          (pOp) =>
            pOp.input.kind === 'put' &&
            history.some(
              (q) =>
                q.input.kind === 'put' && pOp.returnTime < q.callTime && q.returnTime < g.callTime,
            ),
        );
        if (p === undefined || p.input.kind !== 'put') continue;
        const corrupted = history.slice();
        corrupted[gi] = { ...g, output: { value: p.input.value } };
        assert.equal(check(corrupted).result, 'illegal', `seed ${seed}`);
        caught++;
        break;
      }
    }
    assert.ok(caught >= 25, `only ${caught} histories had a suitable read`);
  });

  test('2,000 ops over 10 keys with ~5 concurrent clients fit the default budget', () => {
    const opts = {
      ops: 2000,
      keys: 10,
      clients: 5,
      jitter: 40,
      unknownRate: 0.02,
      appendRate: 0.2,
    };
    const history = generateHistory(7, opts);
    assert.ok(history.length > 1900);
    const r = checkLinearizability(kvModel, history);
    assert.notEqual(r.result, 'unknown');
    assert.deepEqual(r, { result: 'ok' });

    const reads = history.flatMap((op, i) => (op.input.kind === 'get' && op.output ? [i] : []));
    const corrupted = history.slice();
    const index = reads[Math.floor(reads.length / 2)]!;
    corrupted[index] = { ...history[index]!, output: { value: 'never-written' } };
    assert.equal(checkLinearizability(kvModel, corrupted).result, 'illegal');
  });
});
