import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseBytes, parseCpus, parseDuration, UnitError } from './units.ts';

describe('units', () => {
  it('parses Go durations to nanoseconds', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('10s'), 10e9);
    assert.equal(parseDuration('1m30s'), 90e9);
    assert.equal(parseDuration('1.5h'), 5400e9);
    assert.equal(parseDuration('300ms'), 300e6);
    assert.equal(parseDuration('2us'), 2000);
    assert.equal(parseDuration('2µs'), 2000);
    assert.equal(parseDuration('-1s'), -1e9);
    assert.equal(parseDuration('.5s'), 500e6);
    for (const bad of ['', '10', 's', '1d', '1.2.3s', '1s1', '--1s']) {
      assert.throws(() => parseDuration(bad), UnitError, bad);
    }
  });

  it('formats durations as Go does', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(90e9), '1m30s');
    assert.equal(formatDuration(3600e9), '1h0m0s');
    assert.equal(formatDuration(1.5e9), '1.5s');
    assert.equal(formatDuration(300e6), '300ms');
  });

  it('parses sizes with binary multiples', () => {
    assert.equal(parseBytes('1024'), 1024);
    assert.equal(parseBytes('512m'), 512 * 1024 ** 2);
    assert.equal(parseBytes('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('100kb'), 102400);
    assert.equal(parseBytes('2 MiB'), 2 * 1024 ** 2);
    for (const bad of ['', 'x', '1.5x', '-1m', '1e3']) {
      assert.throws(() => parseBytes(bad), UnitError, bad);
    }
  });

  it('parses CPU counts exactly', () => {
    assert.equal(parseCpus('0.5'), 500_000_000);
    assert.equal(parseCpus('2'), 2_000_000_000);
    assert.equal(parseCpus('0.000000001'), 1);
    assert.equal(parseCpus('.25'), 250_000_000);
    assert.throws(() => parseCpus('0.0000000001'), /value is too precise/);
    assert.throws(() => parseCpus('half'), /failed to parse half as a rational number/);
  });
});
