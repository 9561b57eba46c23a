/**
 * Linearizability checker for client histories recorded by the simulator.
 *
 * The search is Wing & Gong's, with the optimisations described by Lowe ("Testing for
 * linearizability", 2017) and used by Porcupine:
 *
 * - P-compositionality: a model may split the history into independent partitions (e.g. one per
 *   key); a history is linearizable iff every partition is.
 * - Just-in-time linearization over a doubly linked list of call/return events: an operation may
 *   be linearized next iff its call precedes the first return event still in the list; linearizing
 *   an operation unlinks its call and return events, and backtracking relinks them (dancing links).
 * - Memoisation of (set of linearized operations, model state) configurations already explored.
 *
 * Operations whose outcome is unknown (`returnTime === Infinity`: the client timed out or crashed)
 * are optional: they may be linearized at any point after their call, or never. They have no
 * return event, so they never block the search, and the search succeeds as soon as every
 * completed operation is linearized. Because the set of linearized optional operations only ever
 * narrows the future, a configuration is also pruned when an explored configuration has the same
 * completed operations and state and a subset of its optional operations (it has at least the same
 * options, so if it failed this one fails too), and when the last linearized operation is optional
 * and the next one would reach the same state without it (see `absorbs`). Even so, many concurrent
 * optional operations whose effects do not commute (e.g. appends) can make the search exponential;
 * models should drop, in `partition`, optional operations that provably cannot matter.
 *
 * Real-time order: A precedes B iff `A.returnTime < B.callTime`. Intervals that merely touch
 * (`A.returnTime === B.callTime`) are treated as concurrent.
 *
 * Throws on a malformed history (non-finite call time, return before call) or a partition that
 * loses completed operations.
 *
 * Soundness: 'ok' is only reported once a complete witness linearization has been built, each
 * step accepted by `model.step` and consistent with real-time order. 'illegal' relies on the model
 * contract below (deterministic `step`, no mutation of states, `key` injective on states).
 */

export interface Operation<Input, Output> {
  clientId: number;
  input: Input;
  /** `undefined` when the outcome is unknown. */
  output: Output | undefined;
  callTime: number;
  /**
   * `Infinity` (with `output` undefined) for an operation whose outcome is unknown: it may or may
   * not have taken effect, at any point after `callTime`.
   */
  returnTime: number;
}

export interface Model<State, Input, Output> {
  init(): State;
  /**
   * Apply `input` to `state`; `ok` says whether `output` is what the operation returns from that
   * state. `output === undefined` means the outcome is unknown and must be accepted. Must be
   * deterministic and must not mutate `state` (states are kept for backtracking).
   */
  step(state: State, input: Input, output: Output | undefined): { ok: boolean; state: State };
  /**
   * Split the history into independent parts (e.g. by key). Must return every completed operation
   * exactly once; may leave out operations with unknown outcome that provably cannot matter (ones
   * that can be removed from any linearization that includes them).
   */
  partition?(ops: Operation<Input, Output>[]): Operation<Input, Output>[][];
  /** Canonical, injective encoding of a state, for memoisation. */
  key(state: State): string;
  describe?(input: Input, output: Output | undefined): string;
}

export type CheckResult =
  | { result: 'ok' }
  | {
      result: 'illegal';
      /** Index into `model.partition(history)` (0 when the model does not partition). */
      partition: number;
      /** The longest partial linearization found, one line per op, then the op that could not be placed. */
      longestPrefix: string[];
    }
  | { result: 'unknown'; reason: string };

export interface CheckOptions {
  /** Search budget, shared by all partitions: one unit per candidate tried or backtrack. */
  maxSteps?: number;
}

export const DEFAULT_MAX_STEPS = 10_000_000;

export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: Operation<I, O>[],
  options?: CheckOptions,
): CheckResult {
  const maxSteps = options?.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps >= 0)) throw new RangeError(`maxSteps must be >= 0, got ${maxSteps}`);
  history.forEach(validate);

  const partitions = model.partition ? model.partition(history) : [history];
  const completed = (ops: Operation<I, O>[]) =>
    ops.filter((op) => op.returnTime !== Infinity).length;
  const total = partitions.reduce((n, p) => n + p.length, 0);
  const completedTotal = partitions.reduce((n, p) => n + completed(p), 0);
  if (completedTotal !== completed(history) || total > history.length) {
    throw new Error(
      `model.partition returned ${total} operations (${completedTotal} completed) for a history ` +
        `of ${history.length} (${completed(history)} completed)`,
    );
  }

  const indexOf = new Map<Operation<I, O>, number>();
  for (const [i, op] of history.entries()) indexOf.set(op, i);
  const budget = { left: maxSteps };

  // Smallest partitions first, so that a violation in a small one is found even when a large one
  // exhausts the budget.
  const order = partitions
    .map((_, i) => i)
    .sort((a, b) => partitions[a]!.length - partitions[b]!.length);
  for (const p of order) {
    const outcome = checkPartition(model, partitions[p]!, budget);
    if (outcome.kind === 'illegal') {
      return {
        result: 'illegal',
        partition: p,
        longestPrefix: describeFailure(model, outcome, indexOf),
      };
    }
    if (outcome.kind === 'budget') {
      return {
        result: 'unknown',
        reason:
          `step budget of ${maxSteps} exhausted while checking partition ${p} ` +
          `(${partitions[p]!.length} operations)`,
      };
    }
  }
  return { result: 'ok' };
}

function validate<I, O>(op: Operation<I, O>, i: number): void {
  if (typeof op.callTime !== 'number' || !Number.isFinite(op.callTime)) {
    throw new RangeError(`operation ${i}: callTime must be a finite number, got ${op.callTime}`);
  }
  if (typeof op.returnTime !== 'number' || Number.isNaN(op.returnTime)) {
    throw new RangeError(`operation ${i}: returnTime must be a number, got ${op.returnTime}`);
  }
  if (op.returnTime < op.callTime) {
    throw new RangeError(
      `operation ${i}: returnTime ${op.returnTime} is before callTime ${op.callTime}`,
    );
  }
}

const CALL = 0;
const RETURN = 1;

interface EventNode {
  kind: typeof CALL | typeof RETURN;
  /** Index into the partition's completed operations (-1 for the sentinels). */
  op: number;
  time: number;
  prev: EventNode;
  next: EventNode;
  /** For a call, its return event. */
  match: EventNode | null;
}

interface Frame<S> {
  /** Linearized operation: a call event (completed op) or an index into the optional ops. */
  node: EventNode | null;
  optional: number;
  prevState: S;
  /** Phase-2 context of the parent configuration (for optional frames). */
  firstReturn: EventNode;
}

/** Per (linearized completed ops, state): the minimal sets of linearized optional ops explored. */
type Memo = Map<string, Uint32Array[]>;

type PartitionOutcome<I, O> =
  | { kind: 'ok' }
  | { kind: 'budget' }
  | {
      kind: 'illegal';
      prefix: Operation<I, O>[];
      blocked: Operation<I, O> | null;
      stateKey: string;
    };

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  budget: { left: number },
): PartitionOutcome<I, O> {
  // Completed ops are numbered in order of return, so that the linearized ones are mostly a
  // prefix: see `linearizedKey`.
  const required = ops
    .filter((op) => op.returnTime !== Infinity)
    .sort((a, b) => a.returnTime - b.returnTime || a.callTime - b.callTime);
  const optional = ops
    .filter((op) => op.returnTime === Infinity)
    .sort((a, b) => a.callTime - b.callTime);
  if (required.length === 0) return { kind: 'ok' };

  // Event list, sorted by time; at equal times calls come first (touching intervals overlap).
  const head = makeSentinel(-Infinity);
  const tail = makeSentinel(Infinity);
  tail.kind = RETURN;
  const events: EventNode[] = [];
  for (const [i, op] of required.entries()) {
    const ret: EventNode = {
      kind: RETURN,
      op: i,
      time: op.returnTime,
      prev: head,
      next: head,
      match: null,
    };
    events.push({ kind: CALL, op: i, time: op.callTime, prev: head, next: head, match: ret }, ret);
  }
  events.sort((a, b) => a.time - b.time || a.kind - b.kind || a.op - b.op);
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  prev.next = tail;
  tail.prev = prev;

  const reqBits = new Uint32Array((required.length + 31) >>> 5);
  const optBits = new Uint32Array((optional.length + 31) >>> 5);
  /** Completed ops linearized so far, and the length of the prefix 0..prefix-1 all linearized. */
  let linearized = 0;
  let prefix = 0;
  const memo: Memo = new Map();

  const linearizeRequired = (i: number): void => {
    setBit(reqBits, i);
    linearized++;
    if (i === prefix) while (prefix < required.length && getBit(reqBits, prefix)) prefix++;
  };
  const undoRequired = (i: number): void => {
    clearBit(reqBits, i);
    linearized--;
    if (i < prefix) prefix = i;
  };

  let state = model.init();
  const stack: Frame<S>[] = [];
  let best: PartitionOutcome<I, O> & { kind: 'illegal' } = {
    kind: 'illegal',
    prefix: [],
    blocked: null,
    stateKey: '',
  };
  let bestDepth = -1;

  // Cursor: phase 1 walks call events up to the first return event; phase 2 then walks the
  // optional operations called no later than that return.
  let node: EventNode = head.next;
  let firstReturn: EventNode = tail;
  let optPos = -1;

  for (;;) {
    if (linearized === required.length) return { kind: 'ok' };
    if (budget.left <= 0) return { kind: 'budget' };
    budget.left--;

    let op: Operation<I, O> | undefined;
    if (optPos < 0) {
      if (node.kind === CALL) op = required[node.op]!;
      else {
        firstReturn = node;
        optPos = 0;
      }
    }
    if (optPos >= 0) {
      while (optPos < optional.length && getBit(optBits, optPos)) optPos++;
      const candidate = optional[optPos];
      if (candidate !== undefined && candidate.callTime <= firstReturn.time) op = candidate;
    }

    if (op === undefined) {
      // Dead end: the first pending return's operation cannot be placed here. Backtrack.
      if (stack.length > bestDepth) {
        bestDepth = stack.length;
        best = {
          kind: 'illegal',
          prefix: stack.map((f) => (f.node ? required[f.node.op]! : optional[f.optional]!)),
          blocked: firstReturn.op >= 0 ? required[firstReturn.op]! : null,
          stateKey: model.key(state),
        };
      }
      const frame = stack.pop();
      if (frame === undefined) return best;
      state = frame.prevState;
      if (frame.node) {
        undoRequired(frame.node.op);
        relink(frame.node);
        node = frame.node.next;
        optPos = -1;
      } else {
        clearBit(optBits, frame.optional);
        firstReturn = frame.firstReturn;
        optPos = frame.optional + 1;
      }
      continue;
    }

    const result = model.step(state, op.input, op.output);
    if (result.ok) {
      const stateKey = model.key(result.state);
      const isRequired = optPos < 0;
      if (isRequired) linearizeRequired(node.op);
      else setBit(optBits, optPos);
      if (
        !absorbs(model, stack, op, stateKey) &&
        visit(memo, `${linearizedKey(reqBits, prefix, linearized)}|${stateKey}`, optBits)
      ) {
        if (isRequired) {
          stack.push({ node, optional: -1, prevState: state, firstReturn });
          unlink(node);
        } else {
          stack.push({ node: null, optional: optPos, prevState: state, firstReturn });
        }
        state = result.state;
        node = head.next;
        optPos = -1;
        continue;
      }
      if (isRequired) undoRequired(node.op);
      else clearBit(optBits, optPos);
    }
    if (optPos < 0) node = node.next;
    else optPos++;
  }
}

/**
 * Exact, compact encoding of the set of linearized completed ops: the length of the prefix of ops
 * (in return order) that are all linearized, then the others. Every linearized op was called
 * before the first unlinearized op returned, so the others are few (bounded by the concurrency).
 */
function linearizedKey(bits: Uint32Array, prefix: number, count: number): string {
  let key = String(prefix);
  let left = count - prefix;
  for (let w = prefix >>> 5; left > 0; w++) {
    let word = bits[w]!;
    if (w === prefix >>> 5) word &= ~((1 << (prefix & 31)) - 1) | 0;
    while (word !== 0) {
      const low = word & -word;
      key += `,${(w << 5) + 31 - Math.clz32(low)}`;
      word ^= low;
      left--;
    }
  }
  return key;
}

/**
 * Whether linearizing `op` now is pointless because the last linearized operation is optional and
 * `op` reaches the same state without it. Then the configuration `op` would lead to is dominated by
 * the one reached by linearizing `op` instead of that optional operation, which has the same
 * completed operations and state, one optional operation fewer, and is (or will be) explored from
 * the parent configuration: `op` is a candidate there too, since an optional operation changes no
 * event in the list.
 */
function absorbs<S, I, O>(
  model: Model<S, I, O>,
  stack: Frame<S>[],
  op: Operation<I, O>,
  stateKey: string,
): boolean {
  const top = stack.at(-1);
  if (top === undefined || top.node !== null) return false;
  const alt = model.step(top.prevState, op.input, op.output);
  return alt.ok && model.key(alt.state) === stateKey;
}

function makeSentinel(time: number): EventNode {
  const node = { kind: CALL, op: -1, time, match: null } as unknown as EventNode;
  node.prev = node;
  node.next = node;
  return node;
}

/** Remove a call event and its return event from the list. */
function unlink(call: EventNode): void {
  call.prev.next = call.next;
  call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev.next = ret.next;
  ret.next.prev = ret.prev;
}

/** Undo `unlink`, in reverse order. */
function relink(call: EventNode): void {
  const ret = call.match!;
  ret.prev.next = ret;
  ret.next.prev = ret;
  call.prev.next = call;
  call.next.prev = call;
}

/**
 * Record a configuration; false if it, or a configuration with the same completed operations and
 * state but a subset of its optional operations, was explored already.
 */
function visit(memo: Memo, key: string, optBits: Uint32Array): boolean {
  const seen = memo.get(key);
  if (seen === undefined) {
    memo.set(key, [optBits.length === 0 ? NO_BITS : optBits.slice()]);
    return true;
  }
  if (seen.some((set) => isSubset(set, optBits))) return false;
  const kept = seen.filter((set) => !isSubset(optBits, set));
  kept.push(optBits.slice());
  memo.set(key, kept);
  return true;
}

const NO_BITS = new Uint32Array(0);

function getBit(bits: Uint32Array, i: number): boolean {
  return (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
}

function setBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5]! |= 1 << (i & 31);
}

function clearBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5]! &= ~(1 << (i & 31));
}

/** Whether every bit of `a` is set in `b`. */
function isSubset(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if ((a[i]! & ~b[i]!) !== 0) return false;
  return true;
}

function describeFailure<S, I, O>(
  model: Model<S, I, O>,
  outcome: PartitionOutcome<I, O> & { kind: 'illegal' },
  indexOf: Map<Operation<I, O>, number>,
): string[] {
  const format = (op: Operation<I, O>): string => {
    const text = model.describe
      ? model.describe(op.input, op.output)
      : `${JSON.stringify(op.input)} -> ${op.output === undefined ? '?' : JSON.stringify(op.output)}`;
    const index = indexOf.get(op);
    const returned = op.returnTime === Infinity ? '?' : String(op.returnTime);
    return (
      `${text}  [client ${op.clientId}${index === undefined ? '' : `, op #${index}`}, ` +
      `called ${op.callTime}, returned ${returned}]`
    );
  };
  const lines = outcome.prefix.map((op, i) => `${i + 1}. ${format(op)}`);
  lines.push(
    outcome.blocked
      ? `could not place: ${format(outcome.blocked)}; state after the prefix: ${outcome.stateKey}`
      : `could not extend the prefix; state after it: ${outcome.stateKey}`,
  );
  return lines;
}
