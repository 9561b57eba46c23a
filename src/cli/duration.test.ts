import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDurationMs } from './duration.ts';

test('Go durations parse as docker flags take them', () => {
  assert.equal(parseDurationMs('2160h'), 2160 * 3_600_000);
  assert.equal(parseDurationMs('1h30m'), 90 * 60_000);
  assert.equal(parseDurationMs('5s'), 5000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.throws(() => parseDurationMs('5'), /invalid duration "5"/);
  assert.throws(() => parseDurationMs('1x'), /invalid duration/);
});

test('durations print as Go prints them', () => {
  assert.equal(formatDuration(2160 * 3_600_000), '2160h0m0s');
  assert.equal(formatDuration(5000), '5s');
  assert.equal(formatDuration(90_000), '1m30s');
});
