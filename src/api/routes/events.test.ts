import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLog } from '../events/index.ts';
import { Router } from '../router.ts';
import { createApiServer } from '../server.ts';
import { rawRequest, withTempDir } from '../test-util.ts';
import { addEventRoutes, parseEventTime } from './events.ts';

test('event times are Unix seconds with an optional fraction', () => {
  assert.equal(parseEventTime('since', '1700000000'), 1_700_000_000_000_000_000n);
  assert.equal(parseEventTime('since', '1700000000.5'), 1_700_000_000_500_000_000n);
  assert.equal(parseEventTime('since', null), undefined);
  assert.throws(() => parseEventTime('since', '10m'), /invalid value for since: "10m"/);
});

test('/events: past events in the window, filtered, then the stream ends at until', async () => {
  await withTempDir(async (dir) => {
    const log = new EventLog();
    const at = (seconds: number) => BigInt(seconds) * 1_000_000_000n;
    for (const [seconds, type, name] of [
      [100, 'service', 'web'],
      [200, 'node', 'pi-1'],
      [300, 'service', 'db'],
    ] as const) {
      log.publish({
        Type: type,
        Action: 'create',
        Actor: { ID: name, Attributes: { name } },
        scope: 'swarm',
        time: seconds,
        timeNano: at(seconds),
      });
    }
    const router = new Router();
    addEventRoutes(router, log);
    const api = createApiServer({ routes: router, info: { version: '0.0.0' } });
    const socket = join(dir, 'api.sock');
    await api.listenUnix(socket);
    try {
      const filters = encodeURIComponent(JSON.stringify({ type: { service: true } }));
      const answer = await rawRequest(
        socket,
        'GET',
        `/v1.41/events?since=150&until=1000&filters=${filters}`,
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/json');
      const events = answer.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        events.map((event) => event.Actor.ID),
        ['db'],
      );
      assert.equal(log.subscriberCount, 0, 'the subscription ended with the stream');

      const backwards = await rawRequest(socket, 'GET', '/v1.41/events?since=300&until=200');
      assert.equal(backwards.status, 400);
      assert.match(
        JSON.parse(backwards.body).message,
        /`since` time \(300\) cannot be after `until` time \(200\)/,
      );
      const unknown = await rawRequest(
        socket,
        'GET',
        `/v1.41/events?until=1&filters=${encodeURIComponent('{"colour":["red"]}')}`,
      );
      assert.equal(unknown.status, 400);
      assert.match(JSON.parse(unknown.body).message, /invalid filter 'colour'/);
    } finally {
      await api.close();
    }
  });
});
