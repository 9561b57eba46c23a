/**
 * Key-value model of the Raft simulator's client workload, for `checkLinearizability`.
 * Partitioned by key: operations on different keys never constrain each other.
 */
import type { Model, Operation } from './linearizability.ts';

export type KvInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'append'; key: string; value: string };

/** `{ value }` for a get (null when the key is missing), `{}` for put and append. */
export type KvOutput = { value: string | null } | Record<string, never>;

/** Immutable map from key to value; missing keys are absent. */
export type KvState = ReadonlyMap<string, string>;

export type KvOperation = Operation<KvInput, KvOutput>;

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => new Map(),

  step(state, input, output) {
    switch (input.kind) {
      case 'get': {
        if (output === undefined) return { ok: true, state };
        const actual = state.get(input.key) ?? null;
        return { ok: 'value' in output && output.value === actual, state };
      }
      case 'put':
        return { ok: true, state: new Map(state).set(input.key, input.value) };
      case 'append':
        return {
          ok: true,
          state: new Map(state).set(input.key, (state.get(input.key) ?? '') + input.value),
        };
    }
  },

  partition(ops) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of ops) {
      let group = byKey.get(op.input.key);
      if (group === undefined) {
        group = [];
        byKey.set(op.input.key, group);
      }
      group.push(op);
    }
    return [...byKey.values()].map(withoutUnobservable);
  },

  key(state) {
    const entries = [...state.entries()];
    if (entries.length > 1) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify(entries);
  },

  describe(input, output) {
    const key = JSON.stringify(input.key);
    switch (input.kind) {
      case 'get': {
        const result =
          output === undefined || !('value' in output) ? '?' : JSON.stringify(output.value);
        return `get(${key}) -> ${result}`;
      }
      case 'put':
      case 'append':
        return `${input.kind}(${key}, ${JSON.stringify(input.value)})${output === undefined ? ' -> ?' : ''}`;
    }
  },
};

/**
 * Drop the operations with unknown outcome (`returnTime === Infinity`) that no completed get of
 * the key could have observed, which the checker would otherwise have to try at every point after
 * their call. Sound because such operations are optional, and in any linearization that includes
 * one, removing it leaves a valid linearization:
 * - a get with unknown outcome changes nothing;
 * - a put of `v` leaves the key starting with `v` until the next put, so if no completed get
 *   returned a value starting with `v`, no get lies between it and the next put (or the end), and
 *   the states after that put are unchanged;
 * - likewise an append of `v`, with "containing `v`" instead of "starting with `v`".
 */
function withoutUnobservable(ops: KvOperation[]): KvOperation[] {
  const observed: string[] = [];
  for (const op of ops) {
    if (op.input.kind === 'get' && op.output !== undefined && 'value' in op.output) {
      const value = op.output.value;
      if (typeof value === 'string') observed.push(value);
    }
  }
  return ops.filter((op) => {
    if (op.returnTime !== Infinity) return true;
    const input = op.input;
    if (input.kind === 'get') return false;
    const { value } = input;
    return input.kind === 'put'
      ? observed.some((seen) => seen.startsWith(value))
      : observed.some((seen) => seen.includes(value));
  });
}
