import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressWatch } from './address-watch.ts';

test('checks on its period, one timer however often started, none once stopped', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let checks = 0;
  const watch = new AddressWatch({
    check: () => {
      checks++;
    },
    log: () => {},
    periodMs: 30_000,
  });
  t.after(() => watch.stop());
  watch.start();
  watch.start();
  t.mock.timers.tick(29_999);
  assert.equal(checks, 0);
  t.mock.timers.tick(1);
  assert.equal(checks, 1, 'one periodic check, however often start() was called');
  t.mock.timers.tick(30_000);
  assert.equal(checks, 2);

  watch.stop();
  watch.start();
  t.mock.timers.tick(120_000);
  assert.equal(checks, 2, 'nothing runs once stopped, nor starts again');
});

test('a failing check is logged and the watch goes on', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const lines: string[] = [];
  let calls = 0;
  const watch = new AddressWatch({
    check: () => {
      calls++;
      throw new Error('no interfaces');
    },
    log: (line) => lines.push(line),
    periodMs: 20,
  });
  t.after(() => watch.stop());
  watch.start();
  t.mock.timers.tick(40);
  assert.equal(calls, 2);
  assert.match(lines[0] ?? '', /address check: no interfaces/);
});
