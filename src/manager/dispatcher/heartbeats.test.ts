import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Heartbeats } from './heartbeats.ts';

test('a node is expired only after three silent periods', () => {
  const hb = new Heartbeats({ periodMs: 1000 });
  assert.equal(hb.graceMs, 3000);
  hb.beat('n1', 0);
  assert.deepEqual(hb.expired(2999), []);
  assert.deepEqual(hb.expired(3000), []);
  assert.deepEqual(hb.expired(3001), ['n1']);
  assert.deepEqual(hb.expired(10_000), [], 'each expiry is reported once');
  assert.equal(hb.has('n1'), false);
  hb.beat('n1', 10_000);
  assert.equal(hb.has('n1'), true, 'a node that comes back is tracked again');
  assert.deepEqual(hb.expired(13_001), ['n1']);
});

test('a blip shorter than the grace never expires a node', () => {
  const hb = new Heartbeats({ periodMs: 100, graceMultiplier: 3 });
  let now = 0;
  hb.beat('n1', now);
  // Beats with gaps up to just under the grace, checked every half period.
  for (const gap of [100, 250, 299, 120, 300, 50]) {
    for (let t = now; t <= now + gap; t += 50) assert.deepEqual(hb.expired(t), []);
    now += gap;
    hb.beat('n1', now);
  }
  assert.deepEqual(hb.expired(now + 300), []);
  assert.deepEqual(hb.expired(now + 301), ['n1']);
});

test('each node has its own deadline; forget stops tracking', () => {
  const hb = new Heartbeats({ periodMs: 10 });
  hb.beat('a', 0);
  hb.beat('b', 20);
  hb.beat('c', 5);
  hb.forget('c');
  assert.deepEqual(hb.expired(31), ['a']);
  assert.deepEqual(hb.expired(51), ['b']);
  assert.equal(hb.size, 0);
});

test('after a leader change, known nodes get twice the grace', () => {
  const hb = new Heartbeats({ periodMs: 1000 });
  hb.startAsNewLeader(['a', 'b'], 10_000);
  assert.deepEqual(hb.expired(10_000 + 3001), [], 'not down after one grace');
  hb.beat('a', 12_000);
  assert.deepEqual(hb.expired(16_000), [], 'a beat does not shorten the longer deadline');
  assert.deepEqual(hb.expired(16_001).sort(), ['a', 'b']);
  // A node already tracked with a later deadline keeps it.
  hb.beat('c', 100_000);
  hb.startAsNewLeader(['c'], 90_000);
  assert.deepEqual(hb.expired(103_000), []);
  assert.deepEqual(hb.expired(103_001), ['c']);
});

test('at most maxNodes are tracked', () => {
  const hb = new Heartbeats({ periodMs: 10, maxNodes: 2 });
  assert.equal(hb.beat('a', 0), true);
  assert.equal(hb.beat('b', 0), true);
  assert.equal(hb.beat('c', 0), false);
  assert.equal(hb.beat('a', 5), true, 'known nodes still beat');
  hb.startAsNewLeader(['d', 'e'], 0);
  assert.equal(hb.size, 2);
  assert.equal(hb.has('d'), false);
  hb.forget('b');
  assert.equal(hb.beat('c', 5), true);
  hb.clear();
  assert.equal(hb.size, 0);
});

test('refuses a non-positive period', () => {
  assert.throws(() => new Heartbeats({ periodMs: 0 }), RangeError);
  assert.throws(() => new Heartbeats({ periodMs: 10, graceMultiplier: 0.5 }), RangeError);
});
