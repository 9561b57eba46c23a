import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuSeconds, median } from './cpu.ts';

test('the median is the middle value, or the lower middle one', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2);
  assert.throws(() => median([]), /median of nothing/);
});

test('CPU time of a process grows as it works', () => {
  const before = cpuSeconds(process.pid);
  const deadline = performance.now() + 10_000;
  // Busy until the kernel has counted at least one more tick (10 ms) of CPU time.
  while (cpuSeconds(process.pid) <= before && performance.now() < deadline);
  assert.ok(cpuSeconds(process.pid) > before, 'CPU time never grew');
});
