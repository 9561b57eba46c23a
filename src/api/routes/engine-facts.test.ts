// /info and /events on a node with a Docker Engine, through a real API server, with a small
// HTTP server on a unix socket in the engine's place (the real engine is exercised in
// test/docker-cli-engine): the engine's counts in /info, its events on the /events stream.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { waitFor } from '../../testkit/index.ts';
import { EngineProxy } from '../engine-proxy.ts';
import { EventLog } from '../events/index.ts';
import { createApiServer } from '../server.ts';
import { rawRequest, withTempDir } from '../test-util.ts';
import type { SwarmControl } from './control.ts';
import { buildRoutes } from './index.ts';
import { engineFacts } from './system.ts';

const ENGINE_INFO = {
  ID: 'engine',
  Containers: 3,
  ContainersRunning: 2,
  ContainersPaused: 0,
  ContainersStopped: 1,
  Images: 7,
  Driver: 'overlay2',
  DriverStatus: [['Backing Filesystem', 'extfs']],
  Swarm: { LocalNodeState: 'inactive' },
};

const at = (seconds: number) => BigInt(seconds) * 1_000_000_000n;
const containerEvent = (seconds: number, action: string) =>
  JSON.stringify({
    status: action,
    id: 'c1',
    Type: 'container',
    Action: action,
    Actor: { ID: 'c1', Attributes: { name: 'box' } },
    scope: 'local',
    time: seconds,
    timeNano: `${at(seconds)}`,
  }).replace(/"timeNano":"(\d+)"/, '"timeNano":$1');

/** An engine stand-in: /info, and /events with a past and a live stream it records. */
async function fakeEngine(t: TestContext, path: string) {
  const seen: string[] = [];
  const live = new Set<ServerResponse>();
  const server = createServer((incoming, response) => {
    const url = new URL(incoming.url ?? '/', 'http://engine');
    seen.push(`${url.pathname}${url.search}`);
    response.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/info') {
      response.end(JSON.stringify(ENGINE_INFO));
      return;
    }
    const until = url.searchParams.get('until');
    if (until !== null && Number(until) < Date.now() / 1000) {
      // The past: two container events, then the end of the stream.
      response.end(`${containerEvent(150, 'create')}\n${containerEvent(250, 'start')}\n`);
      return;
    }
    response.writeHead(200);
    response.flushHeaders();
    live.add(response);
    response.once('close', () => live.delete(response));
  });
  server.listen(path);
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { seen, live };
}

async function withApi(
  t: TestContext,
  engineSocket: string,
  run: (socket: string, log: EventLog) => Promise<void>,
) {
  await withTempDir(async (dir) => {
    const log = new EventLog();
    const control = { state: 'inactive', identity: null, cluster: null } as unknown as SwarmControl;
    const routes = buildRoutes(
      control,
      { name: 'test', version: '0.0.0', dataDir: dir, newId: () => 'x' },
      { events: log, engine: new EngineProxy({ socketPath: engineSocket }) },
    );
    const server = createApiServer({ routes, info: { version: '0.0.0' } });
    const socket = join(dir, 'api.sock');
    await server.listenUnix(socket);
    t.after(() => server.close());
    await run(socket, log);
  });
}

test('/info: the engine counts containers and images; Shoal the rest', async (t) => {
  await withTempDir(async (dir) => {
    const engineSocket = join(dir, 'engine.sock');
    await fakeEngine(t, engineSocket);
    await withApi(t, engineSocket, async (socket) => {
      const info = JSON.parse((await rawRequest(socket, 'GET', '/v1.41/info')).body);
      assert.deepEqual(
        [info.Containers, info.ContainersRunning, info.ContainersStopped, info.Images],
        [3, 2, 1, 7],
      );
      assert.equal(info.Driver, 'overlay2');
      assert.deepEqual(info.DriverStatus, [['Backing Filesystem', 'extfs']]);
      assert.equal(info.Name, 'test');
      assert.equal(info.Swarm.LocalNodeState, 'inactive');
      assert.deepEqual(info.Warnings, []);
    });
    await withApi(t, join(dir, 'no-engine.sock'), async (socket) => {
      const info = JSON.parse((await rawRequest(socket, 'GET', '/v1.41/info')).body);
      assert.deepEqual([info.Containers, info.Images], [0, 0]);
      assert.match(info.Warnings.join('\n'), /Docker Engine on .*no-engine\.sock did not answer/);
    });
  });
  assert.deepEqual(engineFacts({ Containers: -1, Images: 'x', DriverStatus: [[1, 2]] }), {
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: 0,
    Driver: '',
    DriverStatus: null,
  });
});

test('/events: the engine past merged in time order with the swarm past', async (t) => {
  await withTempDir(async (dir) => {
    const engineSocket = join(dir, 'engine.sock');
    const engine = await fakeEngine(t, engineSocket);
    await withApi(t, engineSocket, async (socket, log) => {
      for (const seconds of [100, 200, 300]) {
        log.publish({
          Type: 'service',
          Action: 'create',
          Actor: { ID: `s${seconds}`, Attributes: { name: `s${seconds}` } },
          scope: 'swarm',
          time: seconds,
          timeNano: at(seconds),
        });
      }
      const filters = encodeURIComponent(JSON.stringify({ label: ['a'] }));
      const answer = await rawRequest(
        socket,
        'GET',
        `/v1.41/events?since=50&until=1000&filters=${filters}`,
      );
      assert.equal(answer.status, 200);
      const events = answer.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { Type: string; time: number });
      // The swarm's events have no label `a`; the engine applies the filters to its own.
      assert.deepEqual(
        events.map((event) => `${event.Type}@${event.time}`),
        ['container@150', 'container@250'],
      );
      assert.match(answer.body, /"timeNano":250000000000\b/);
      assert.deepEqual(
        engine.seen.at(-1),
        `/events?filters=${filters}&since=50.000000000&until=1000.000000000`,
      );

      const all = await rawRequest(socket, 'GET', '/v1.41/events?since=50&until=1000');
      assert.deepEqual(
        all.body
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { time: number }).time),
        [100, 150, 200, 250, 300],
      );
    });
  });
});

test('/events live: engine and swarm events as they come; leaving closes both', async (t) => {
  await withTempDir(async (dir) => {
    const engineSocket = join(dir, 'engine.sock');
    const engine = await fakeEngine(t, engineSocket);
    await withApi(t, engineSocket, async (socket, log) => {
      let body = '';
      const outgoing = request({ socketPath: socket, path: '/v1.41/events', agent: false });
      t.after(() => outgoing.destroy());
      const [response] = (await once(outgoing.end(), 'response')) as [NodeJS.ReadableStream];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      const engineStream = await waitFor('the engine stream', 5000, async () =>
        engine.live.size === 1 ? [...engine.live][0] : undefined,
      );
      engineStream.write(`${containerEvent(Math.floor(Date.now() / 1000), 'start')}\n`);
      await waitFor('the engine event', 5000, async () =>
        body.includes('"Type":"container"') ? true : undefined,
      );
      log.publish({
        Type: 'node',
        Action: 'update',
        Actor: { ID: 'n1', Attributes: { name: 'pi' } },
        scope: 'swarm',
        time: 1,
        timeNano: at(1),
      });
      await waitFor('the swarm event', 5000, async () =>
        body.includes('"Type":"node"') ? true : undefined,
      );
      outgoing.destroy();
      await waitFor('the engine stream to close', 5000, async () =>
        engine.live.size === 0 && log.subscriberCount === 0 ? true : undefined,
      );
    });
  });
});
