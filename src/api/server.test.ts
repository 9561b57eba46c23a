import assert from 'node:assert/strict';
import { once } from 'node:events';
import { link, lstat, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiClient } from './client.ts';
import {
  ConflictError,
  NotFoundError,
  NotImplementedError,
  NotManagerError,
  UnavailableError,
} from './errors.ts';
import { parseFilters } from './request.ts';
import { empty, json, Router } from './router.ts';
import { type ApiServer, createApiServer, type SwarmPingStatus } from './server.ts';
import {
  MultiplexedStreamParser,
  StreamId,
  startJsonLines,
  startMultiplexedStream,
} from './streaming.ts';
import { rawRequest, withTempDir } from './test-util.ts';

function testRoutes(): Router {
  return new Router()
    .get('/echo/version', (context) => json(200, { version: context.version }))
    .get('/nodes/{id}', (context) => json(200, { id: context.params.id }))
    .post('/things/create', async (context) => json(201, { received: await context.body() }))
    .get('/things', (context) => {
      const filters = parseFilters(context.query, ['name', 'label']);
      return json(200, Object.fromEntries(filters));
    })
    .delete('/things/{id}', () => empty(204))
    .get('/fail/not-manager', () => {
      throw new NotManagerError();
    })
    .get('/fail/not-manager-shoal', () => {
      throw new NotManagerError({ cliName: 'shoal' });
    })
    .get('/fail/conflict', () => {
      throw new ConflictError('update out of sequence');
    })
    .get('/fail/not-found', () => {
      throw new NotFoundError('service web not found');
    })
    .get('/fail/not-implemented', () => {
      throw new NotImplementedError('plugins are not supported');
    })
    .get('/fail/store-name-conflict', () => {
      throw Object.assign(new Error('service web already exists'), { code: 'name_conflict' });
    })
    .get('/fail/store-not-found', async () => {
      throw Object.assign(new Error('node abc not found'), { code: 'not_found' });
    })
    .get('/fail/store-invalid-batch', () => {
      throw Object.assign(new Error('bad batch'), { code: 'invalid_batch' });
    })
    .get('/fail/plain', () => {
      throw new Error('boom');
    })
    .get('/events', async (context) => {
      const writer = startJsonLines(context.res);
      await writer.write({ Type: 'service', Action: 'create' });
      // Never ends on its own: only the client leaving or the server closing stops it.
      await new Promise<void>((resolve) =>
        context.signal.addEventListener('abort', () => resolve()),
      );
      await writer.end();
      return undefined;
    })
    .get('/stubborn-stream', (context) => {
      // Ignores its signal entirely: close() must still cut it.
      startJsonLines(context.res).write({ tick: 1 });
      return undefined;
    })
    .get('/logs', async (context) => {
      const writer = startMultiplexedStream(context.res, context.version);
      await writer.write(StreamId.stdout, 'hello\n');
      await writer.write(StreamId.stderr, 'oops\n');
      await writer.end();
      return undefined;
    })
    .post('/attach', (context) => {
      const socket = context.hijack();
      socket.on('data', (data: Buffer) => socket.write(`echo:${data.toString()}`));
      return undefined;
    });
}

const SWARM_STATUS: SwarmPingStatus = 'active/manager';

async function withServer(
  run: (context: { server: ApiServer; socketPath: string; dir: string }) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const server = createApiServer({
      routes: testRoutes(),
      info: { version: '0.1.0-test', gitCommit: 'abc1234', buildTime: '2026-01-01T00:00:00Z' },
      swarmStatus: () => SWARM_STATUS,
    });
    const socketPath = join(dir, 'run', 'shoal.sock');
    try {
      await server.listenUnix(socketPath);
      await run({ server, socketPath, dir });
    } finally {
      await server.close();
    }
  });
}

describe('api server over a unix socket', () => {
  test('GET and HEAD /_ping answer OK with dockerd headers', async () => {
    await withServer(async ({ socketPath }) => {
      const get = await rawRequest(socketPath, 'GET', '/_ping');
      assert.equal(get.status, 200);
      assert.equal(get.body, 'OK');
      assert.equal(get.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(get.headers['api-version'], '1.41');
      assert.equal(get.headers['docker-experimental'], 'false');
      assert.equal(get.headers.ostype, 'linux');
      assert.equal(get.headers.server, 'Shoal/0.1.0-test (linux)');
      assert.equal(get.headers['builder-version'], '1');
      assert.equal(get.headers.swarm, 'active/manager');
      assert.equal(get.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      for (const name of ['Api-Version', 'Docker-Experimental', 'Ostype', 'Server']) {
        assert.ok(get.rawHeaderNames.includes(name), `header ${name} spelled as dockerd does`);
      }

      const head = await rawRequest(socketPath, 'HEAD', '/_ping');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], '0');
      assert.equal(head.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(head.headers['api-version'], '1.41');
      assert.equal(head.headers.swarm, 'active/manager');
    });
  });

  test('GET /version answers Docker Version JSON', async () => {
    await withServer(async ({ socketPath }) => {
      const response = await rawRequest(socketPath, 'GET', '/v1.41/version');
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'application/json');
      const body = JSON.parse(response.body);
      assert.deepEqual(Object.keys(body), [
        'Platform',
        'Components',
        'Version',
        'ApiVersion',
        'MinAPIVersion',
        'GitCommit',
        'GoVersion',
        'Os',
        'Arch',
        'KernelVersion',
        'BuildTime',
      ]);
      assert.deepEqual(body.Platform, { Name: 'Shoal' });
      assert.equal(body.Components[0].Name, 'Engine');
      assert.equal(body.Components[0].Version, '0.1.0-test');
      assert.equal(body.Components[0].Details.ApiVersion, '1.41');
      assert.equal(body.Components[0].Details.MinAPIVersion, '1.12');
      assert.equal(body.Version, '0.1.0-test');
      assert.equal(body.ApiVersion, '1.41');
      assert.equal(body.MinAPIVersion, '1.12');
      assert.equal(body.GitCommit, 'abc1234');
      assert.equal(body.GoVersion, `node${process.versions.node}`);
      assert.equal(body.Os, 'linux');
      assert.equal(typeof body.Arch, 'string');
      assert.equal(typeof body.KernelVersion, 'string');
      assert.equal(body.BuildTime, '2026-01-01T00:00:00Z');
    });
  });

  test('version prefixes: accepted, too new and too old with dockerd messages', async () => {
    await withServer(async ({ socketPath }) => {
      const plain = await rawRequest(socketPath, 'GET', '/echo/version');
      assert.deepEqual(JSON.parse(plain.body), { version: '1.41' });
      for (const version of ['1.12', '1.24', '1.41']) {
        const response = await rawRequest(socketPath, 'GET', `/v${version}/echo/version`);
        assert.equal(response.status, 200);
        assert.deepEqual(JSON.parse(response.body), { version });
      }
      const ping = await rawRequest(socketPath, 'GET', '/v1.30/_ping');
      assert.equal(ping.body, 'OK');

      const tooNew = await rawRequest(socketPath, 'GET', '/v1.99/_ping');
      assert.equal(tooNew.status, 400);
      assert.equal(tooNew.headers['content-type'], 'application/json');
      assert.equal(
        tooNew.body,
        '{"message":"client version 1.99 is too new. Maximum supported API version is 1.41"}\n',
      );
      const tooOld = await rawRequest(socketPath, 'GET', '/v1.11/echo/version');
      assert.equal(tooOld.status, 400);
      assert.deepEqual(JSON.parse(tooOld.body), {
        message:
          'client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version',
      });
      assert.equal(tooOld.headers['api-version'], '1.41');
    });
  });

  test('unknown routes and wrong methods are 404 page not found', async () => {
    await withServer(async ({ socketPath }) => {
      for (const [method, path] of [
        ['GET', '/no/such/route'],
        ['GET', '/v1.41/no/such/route'],
        ['GET', '/v1.99/no/such/route'],
        ['POST', '/_ping'],
        ['PUT', '/nodes/abc'],
        ['GET', '/nodes/'],
      ] as const) {
        const response = await rawRequest(socketPath, method, path);
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(response.body), { message: 'page not found' });
      }
    });
  });

  test('path parameters are decoded', async () => {
    await withServer(async ({ socketPath }) => {
      const response = await rawRequest(socketPath, 'GET', '/v1.41/nodes/web%201?x=1');
      assert.deepEqual(JSON.parse(response.body), { id: 'web 1' });
    });
  });

  test('errors map to dockerd statuses and {"message"} bodies', async () => {
    await withServer(async ({ socketPath }) => {
      const cases: Array<[string, number, string]> = [
        [
          '/fail/not-manager',
          503,
          'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
        ],
        [
          '/fail/not-manager-shoal',
          503,
          'This node is not a swarm manager. Use "shoal swarm init" or "shoal swarm join" to connect this node to swarm and try again.',
        ],
        ['/fail/conflict', 409, 'update out of sequence'],
        ['/fail/not-found', 404, 'service web not found'],
        ['/fail/not-implemented', 501, 'plugins are not supported'],
        ['/fail/store-name-conflict', 409, 'service web already exists'],
        ['/fail/store-not-found', 404, 'node abc not found'],
        ['/fail/store-invalid-batch', 400, 'bad batch'],
        ['/fail/plain', 500, 'boom'],
      ];
      for (const [path, status, message] of cases) {
        const response = await rawRequest(socketPath, 'GET', path);
        assert.equal(response.status, status, path);
        assert.equal(response.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(response.body), { message }, path);
      }
      assert.equal(new UnavailableError('x').status, 503);
    });
  });

  test('JSON bodies: parsed, malformed, wrong content type, too large', async () => {
    await withServer(async ({ socketPath }) => {
      const json = { 'Content-Type': 'application/json' };
      const ok = await rawRequest(socketPath, 'POST', '/things/create', {
        headers: json,
        body: '{"Name":"web"}',
      });
      assert.equal(ok.status, 201);
      assert.deepEqual(JSON.parse(ok.body), { received: { Name: 'web' } });

      const untyped = await rawRequest(socketPath, 'POST', '/things/create', { body: '[1]' });
      assert.deepEqual(JSON.parse(untyped.body), { received: [1] });

      const malformed = await rawRequest(socketPath, 'POST', '/things/create', {
        headers: json,
        body: '{"Name":}',
      });
      assert.equal(malformed.status, 400);
      assert.match(
        JSON.parse(malformed.body).message,
        /^malformed JSON in request body at line 1, column 9 \(offset 8\): Unexpected token '}'/,
      );

      const wrongType = await rawRequest(socketPath, 'POST', '/things/create', {
        headers: { 'Content-Type': 'text/plain' },
        body: 'hello',
      });
      assert.equal(wrongType.status, 400);
      assert.deepEqual(JSON.parse(wrongType.body), {
        message: "Content-Type specified (text/plain) must be 'application/json'",
      });

      const tooLarge = await rawRequest(socketPath, 'POST', '/things/create', {
        headers: json,
        body: Buffer.alloc(1024 * 1024 + 1, 0x20),
      });
      assert.equal(tooLarge.status, 400);
      assert.deepEqual(JSON.parse(tooLarge.body), {
        message: 'request body too large (limit 1048576 bytes)',
      });

      // Chunked, so the limit is found while reading rather than from Content-Length; the
      // connection then still carries the next request.
      const client = new ApiClient({ socketPath });
      try {
        const chunked = await client.request('POST', '/things/create', {
          headers: { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' },
          body: Buffer.alloc(2 * 1024 * 1024, 0x20),
        });
        assert.equal(chunked.status, 400);
        assert.equal(
          chunked.json<{ message: string }>().message,
          'request body too large (limit 1048576 bytes)',
        );
        const after = await client.get('/_ping');
        assert.equal(after.text(), 'OK');
      } finally {
        client.close();
      }
    });
  });

  test('filters: both forms, and an invalid filter', async () => {
    await withServer(async ({ socketPath }) => {
      const current = encodeURIComponent('{"name":{"web":true},"label":{"a=b":true}}');
      const response = await rawRequest(socketPath, 'GET', `/things?filters=${current}`);
      assert.deepEqual(JSON.parse(response.body), { name: ['web'], label: ['a=b'] });
      const legacy = encodeURIComponent('{"name":["web","db"]}');
      const legacyResponse = await rawRequest(socketPath, 'GET', `/things?filters=${legacy}`);
      assert.deepEqual(JSON.parse(legacyResponse.body), { name: ['web', 'db'] });
      const invalid = encodeURIComponent('{"xyz":{"1":true}}');
      const invalidResponse = await rawRequest(socketPath, 'GET', `/things?filters=${invalid}`);
      assert.equal(invalidResponse.status, 400);
      assert.deepEqual(JSON.parse(invalidResponse.body), { message: "invalid filter 'xyz'" });
    });
  });

  test('the socket is 0600 in a 0700 directory it created, and is removed on close', async () => {
    await withTempDir(async (dir) => {
      const server = createApiServer({ routes: [], info: { version: '0.1.0' } });
      const socketPath = join(dir, 'nested', 'shoal', 'shoal.sock');
      try {
        await server.listenUnix(socketPath);
        const socketStat = await lstat(socketPath);
        assert.ok(socketStat.isSocket());
        assert.equal(socketStat.mode & 0o777, 0o600);
        assert.equal((await stat(join(dir, 'nested', 'shoal'))).mode & 0o777, 0o700);
      } finally {
        await server.close();
      }
      await assert.rejects(lstat(socketPath), { code: 'ENOENT' });
    });
  });

  test('a stale socket file is replaced; a live one or another file is refused', async () => {
    await withTempDir(async (dir) => {
      const socketPath = join(dir, 'shoal.sock');
      // A stale socket: bind, keep a second name for the inode, then close the listener.
      const previous = createNetServer();
      await new Promise<void>((resolve) => previous.listen(join(dir, 'old.sock'), resolve));
      await link(join(dir, 'old.sock'), socketPath);
      await new Promise<void>((resolve) => previous.close(() => resolve()));
      assert.ok((await lstat(socketPath)).isSocket());

      const first = createApiServer({ routes: [], info: { version: '0.1.0' } });
      const second = createApiServer({ routes: [], info: { version: '0.1.0' } });
      try {
        await first.listenUnix(socketPath);
        assert.equal((await rawRequest(socketPath, 'GET', '/_ping')).body, 'OK');

        await assert.rejects(second.listenUnix(socketPath), {
          name: 'AddressInUseError',
          message: `another daemon is listening on ${socketPath}`,
        });
        assert.equal((await rawRequest(socketPath, 'GET', '/_ping')).body, 'OK');

        const regularFile = join(dir, 'not-a-socket');
        await writeFile(regularFile, 'data');
        await assert.rejects(second.listenUnix(regularFile), /exists and is not a socket/);
      } finally {
        await second.close();
        await first.close();
      }
    });
  });

  test('close() ends open streams and hijacked connections without hanging', async () => {
    await withServer(async ({ server, socketPath }) => {
      const client = new ApiClient({ socketPath });
      try {
        const events = await client.stream('GET', '/events');
        assert.equal(events.headers['content-type'], 'application/json');
        const [firstChunk] = (await once(events, 'data')) as [Buffer];
        assert.deepEqual(JSON.parse(firstChunk.toString()), { Type: 'service', Action: 'create' });
        const stubborn = await client.stream('GET', '/stubborn-stream');
        await once(stubborn, 'data');

        const attach = connect(socketPath);
        attach.on('error', () => {});
        attach.write(
          'POST /v1.41/attach HTTP/1.1\r\nHost: shoal\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhi',
        );
        let received = '';
        attach.on('data', (data: Buffer) => {
          received += data.toString();
        });
        while (!received.includes('echo:hi')) await once(attach, 'data');
        assert.match(received, /^HTTP\/1\.1 101 UPGRADED\r\n/);
        assert.match(received, /Upgrade: tcp\r\n/);
        const closed = (stream: NodeJS.EventEmitter) =>
          new Promise<void>((resolve) => stream.once('close', () => resolve()));
        const attachClosed = closed(attach);
        const eventsEnded = once(events, 'end');
        // The stubborn stream is cut mid-response: its client sees an error, then close.
        stubborn.on('error', () => {});
        const stubbornClosed = closed(stubborn);

        const startedAt = performance.now();
        await server.close({ graceMs: 300 });
        assert.ok(performance.now() - startedAt < 2000, 'close() returned promptly');
        await Promise.all([attachClosed, eventsEnded, stubbornClosed]);
      } finally {
        client.close();
      }
    });
  });

  test('multiplexed logs over the API', async () => {
    await withServer(async ({ socketPath }) => {
      const client = new ApiClient({ socketPath });
      try {
        const response = await client.get('/logs');
        assert.equal(response.headers['content-type'], 'application/vnd.docker.raw-stream');
        const frames = new MultiplexedStreamParser().push(response.body);
        assert.deepEqual(
          frames.map((frame) => [frame.stream, frame.payload.toString()]),
          [
            [1, 'hello\n'],
            [2, 'oops\n'],
          ],
        );
      } finally {
        client.close();
      }
    });
  });

  test('an upgrade request to a route that does not hijack gets a normal answer', async () => {
    await withServer(async ({ socketPath }) => {
      const socket = connect(socketPath);
      socket.write(
        'GET /nope HTTP/1.1\r\nHost: shoal\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      let received = '';
      socket.on('data', (data: Buffer) => {
        received += data.toString();
      });
      await once(socket, 'end');
      socket.destroy();
      assert.match(received, /^HTTP\/1\.1 404 Not Found\r\n/);
      assert.match(received, /\{"message":"page not found"\}/);
    });
  });
});

describe('api client', () => {
  test('negotiates min(client, server) and prefixes paths', async () => {
    await withServer(async ({ socketPath }) => {
      const newer = new ApiClient({ socketPath, apiVersion: '1.43' });
      const older = new ApiClient({ socketPath, apiVersion: '1.30' });
      const fixed = new ApiClient({ socketPath, apiVersion: '1.25', negotiate: false });
      try {
        assert.equal(await newer.version(), '1.41');
        assert.deepEqual((await newer.get('/echo/version')).json(), { version: '1.41' });
        assert.deepEqual((await older.get('/echo/version')).json(), { version: '1.30' });
        assert.deepEqual((await fixed.get('/echo/version')).json(), { version: '1.25' });
        const created = await newer.post('/things/create', { Name: 'db' });
        assert.equal(created.status, 201);
        assert.deepEqual(created.json(), { received: { Name: 'db' } });
        assert.equal((await newer.delete('/things/x')).status, 204);
        assert.equal((await newer.head('/_ping')).status, 200);
        const missing = await newer.get('/nodes/a/b');
        assert.equal(missing.status, 404);
      } finally {
        newer.close();
        older.close();
        fixed.close();
      }
    });
  });

  test('assumes 1.24 when the ping has no Api-Version header', async () => {
    await withTempDir(async (dir) => {
      const socketPath = join(dir, 'plain.sock');
      const seen: string[] = [];
      const plain = createHttpServer((request, response) => {
        seen.push(`${request.method} ${request.url}`);
        response.end('OK');
      });
      await new Promise<void>((resolve) => plain.listen(socketPath, resolve));
      const client = new ApiClient({ socketPath });
      try {
        await client.get('/info');
        assert.deepEqual(seen, ['HEAD /_ping', 'GET /v1.24/info']);
      } finally {
        client.close();
        await new Promise<void>((resolve) => plain.close(() => resolve()));
      }
    });
  });

  test('works over TCP', async () => {
    const server = createApiServer({ routes: testRoutes(), info: { version: '0.1.0' } });
    try {
      const { address } = await server.listenTcp('127.0.0.1', 0);
      const client = new ApiClient({ host: '127.0.0.1', port: address.port });
      try {
        assert.deepEqual((await client.get('/nodes/n1')).json(), { id: 'n1' });
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });
});
