import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collectLines,
  formatEventTime,
  lineTimeNano,
  mergeByTime,
  mergeUntilPrimaryEnds,
} from './merge.ts';

test('an engine line keeps its nanosecond time exactly', () => {
  const line =
    '{"Type":"container","Action":"start","time":1700000000,"timeNano":1700000000123456789}';
  assert.equal(lineTimeNano(line), 1_700_000_000_123_456_789n);
  assert.equal(lineTimeNano('{"Type":"container"}'), undefined);
  assert.equal(formatEventTime(1_700_000_000_000_000_042n), '1700000000.000000042');
});

test('two ordered pasts become one in time order, the first source winning ties', () => {
  const line = (timeNano: bigint, text: string) => ({ timeNano, text });
  const merged = mergeByTime(
    [line(1n, 'swarm-1'), line(5n, 'swarm-5'), line(9n, 'swarm-9')],
    [line(0n, 'engine-0'), line(5n, 'engine-5'), line(12n, 'engine-12')],
  );
  assert.deepEqual(
    merged.map((entry) => entry.text),
    ['engine-0', 'swarm-1', 'swarm-5', 'engine-5', 'swarm-9', 'engine-12'],
  );
  assert.deepEqual(mergeByTime([], []), []);
});

async function* lines(...items: string[]) {
  yield* items;
}

test('collecting a finite source stops at the bound and skips lines without a time', async () => {
  const collected = await collectLines(
    lines('{"timeNano":3}', 'not an event', '{"timeNano":4}', '{"timeNano":5}'),
    2,
  );
  assert.deepEqual(collected, [
    { timeNano: 3n, text: '{"timeNano":3}\n' },
    { timeNano: 4n, text: '{"timeNano":4}\n' },
  ]);
});

/** A source whose items are pushed by the test, ending when told. */
function pushed() {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item: string) {
      queue.push(item);
      signal();
    },
    end() {
      ended = true;
      signal();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = queue.shift();
        if (item !== undefined) yield item;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

test('live sources: items as they come, the secondary may end first, the primary ends all', async () => {
  const primary = pushed();
  const secondary = pushed();
  const merged = mergeUntilPrimaryEnds(primary, secondary)[Symbol.asyncIterator]();
  secondary.push('engine-a');
  assert.deepEqual(await merged.next(), { done: false, value: 'engine-a' });
  primary.push('swarm-a');
  assert.deepEqual(await merged.next(), { done: false, value: 'swarm-a' });
  secondary.end();
  primary.push('swarm-b');
  assert.deepEqual(await merged.next(), { done: false, value: 'swarm-b' });
  primary.end();
  assert.deepEqual(await merged.next(), { done: true, value: undefined });
});

test('a failing secondary is dropped; without one, the primary alone', async () => {
  async function* failing(): AsyncGenerator<string> {
    yield 'engine-a';
    throw new Error('cut');
  }
  const primary = pushed();
  const merged = mergeUntilPrimaryEnds(primary, failing())[Symbol.asyncIterator]();
  assert.deepEqual(await merged.next(), { done: false, value: 'engine-a' });
  primary.push('swarm-a');
  assert.deepEqual(await merged.next(), { done: false, value: 'swarm-a' });
  primary.end();
  assert.deepEqual(await merged.next(), { done: true, value: undefined });
  const alone: string[] = [];
  for await (const item of mergeUntilPrimaryEnds(lines('x', 'y'), null)) alone.push(item);
  assert.deepEqual(alone, ['x', 'y']);
});
