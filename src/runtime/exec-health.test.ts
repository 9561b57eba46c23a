// Docker's healthcheck arithmetic, and probes with timeouts and bounded output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HealthTracker, PROBE_OUTPUT_BYTES_MAX, runProbe } from './exec-health.ts';

test('passing makes healthy; retries failures in a row make unhealthy', () => {
  const tracker = new HealthTracker({ retries: 2, startPeriodMs: 0 }, 0);
  assert.equal(tracker.status, 'starting');
  assert.equal(tracker.record(false, 10), 'starting');
  assert.equal(tracker.record(true, 20), 'healthy');
  assert.equal(tracker.record(false, 30), 'healthy');
  assert.equal(tracker.record(false, 40), 'unhealthy');
  assert.equal(tracker.record(false, 50), 'unhealthy');
  assert.equal(tracker.record(true, 60), 'healthy');
});

test('failures during the start period do not count while starting', () => {
  const tracker = new HealthTracker({ retries: 1, startPeriodMs: 1000 }, 5000);
  assert.equal(tracker.record(false, 5500), 'starting');
  assert.equal(tracker.record(false, 5900), 'starting');
  assert.equal(tracker.record(false, 6001), 'unhealthy');
  const early = new HealthTracker({ retries: 1, startPeriodMs: 1000 }, 5000);
  assert.equal(early.record(true, 5100), 'healthy');
  // Once healthy, the start period no longer shields failures.
  assert.equal(early.record(false, 5200), 'unhealthy');
});

test('probes: exit codes, output bounded, timeouts kill the probe', async () => {
  const context = { env: { PATH: '/usr/bin:/bin' }, cwd: '/' };
  const ok = await runProbe(['/bin/sh', '-c', 'echo fine'], context, 5000);
  assert.deepEqual(ok, { exitCode: 0, output: 'fine\n', timedOut: false });
  const failing = await runProbe(['/bin/sh', '-c', 'echo bad >&2; exit 4'], context, 5000);
  assert.equal(failing.exitCode, 4);
  assert.equal(failing.output, 'bad\n');
  const loud = await runProbe(['/bin/sh', '-c', 'yes | head -c 100000'], context, 5000);
  assert.equal(loud.output.length, PROBE_OUTPUT_BYTES_MAX);
  const startMs = Date.now();
  const slow = await runProbe(['/bin/sh', '-c', 'sleep 30'], context, 200);
  assert.equal(slow.timedOut, true);
  assert.notEqual(slow.exitCode, 0);
  assert.ok(Date.now() - startMs < 5000);
  const missing = await runProbe(['/nonexistent/probe'], context, 5000);
  assert.equal(missing.exitCode, -1);
  assert.match(missing.output, /cannot run healthcheck/);
});
