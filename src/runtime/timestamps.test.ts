// The RFC 3339 nano timestamps of log entries and statuses, and Docker's zero time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRfc3339Nano, presentTime, rfc3339ToUnixSeconds } from './timestamps.ts';

test('RFC 3339 with nanoseconds, both ways', () => {
  const date = new Date('2026-01-02T03:04:05.678Z');
  assert.equal(formatRfc3339Nano(date), '2026-01-02T03:04:05.678000000Z');
  const seconds = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000;
  assert.equal(rfc3339ToUnixSeconds('2026-01-02T03:04:05Z'), seconds);
  assert.ok(
    Math.abs(rfc3339ToUnixSeconds('2026-01-02T03:04:05.123456789Z') - (seconds + 0.123456789)) <
      1e-6,
  );
  assert.equal(rfc3339ToUnixSeconds('2026-01-02T05:04:05.5+02:00'), seconds + 0.5);
  assert.ok(Number.isNaN(rfc3339ToUnixSeconds('yesterday')));
  assert.equal(rfc3339ToUnixSeconds(formatRfc3339Nano(date)), date.getTime() / 1000);
});

test("Docker's zero time is no time", () => {
  assert.equal(presentTime('0001-01-01T00:00:00Z'), undefined);
  assert.equal(presentTime(''), undefined);
  assert.equal(presentTime('2026-01-02T03:04:05Z'), '2026-01-02T03:04:05Z');
});
