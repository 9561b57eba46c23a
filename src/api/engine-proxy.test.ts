// The proxy to the node's engine, through a real API server, with a small HTTP server on a
// unix socket in the engine's place (the real engine is exercised in test/docker-cli-engine).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineProxy, isEnginePath } from './engine-proxy.ts';
import { Router } from './router.ts';
import { addDistributionRoutes, registryDigest, repositoryOf } from './routes/distribution.ts';
import { createApiServer } from './server.ts';
import { rawRequest, withTempDir } from './test-util.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** An engine stand-in: echoes requests, streams, answers image inspects, and upgrades. */
async function fakeEngine(path: string): Promise<Server> {
  const server = createServer((request: IncomingMessage, response) => {
    if (request.url?.startsWith('/images/')) {
      const known = decodeURIComponent(request.url) === '/images/nginx:1.27/json';
      response.writeHead(known ? 200 : 404, { 'Content-Type': 'application/json' });
      response.end(
        JSON.stringify(
          known
            ? { RepoDigests: [`docker.io/library/nginx@${DIGEST}`] }
            : { message: 'No such image' },
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.writeHead(202, { 'Content-Type': 'text/plain', 'Api-Version': '1.47' });
      response.write(`${request.method} ${request.url} `);
      response.end(Buffer.concat(chunks));
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket) => {
    socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.write(`attached ${request.url}\n`);
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
  });
  server.listen(path);
  await once(server, 'listening');
  return server;
}

test('engine paths are everything but the swarm, system and Shoal endpoints', () => {
  for (const path of [
    '/containers/json',
    '/images/x/json',
    '/exec/1/start',
    '/system/df',
    '/volumes',
  ]) {
    assert.ok(isEnginePath(path), path);
  }
  for (const path of [
    '/services',
    '/nodes/x',
    '/swarm/init',
    '/tasks',
    '/secrets',
    '/events',
    '/info',
    '/_ping',
    '/shoal/ca/x',
    '/networks',
    '/',
  ]) {
    assert.ok(!isEnginePath(path), path);
  }
});

test('requests, bodies and upgraded connections go to the engine and back', async () => {
  await withTempDir(async (dir) => {
    const engineSocket = join(dir, 'engine.sock');
    const engine = await fakeEngine(engineSocket);
    const api = createApiServer({
      routes: new Router(),
      info: { version: '0.0.0' },
      engineProxy: new EngineProxy({ socketPath: engineSocket }),
    });
    const socket = join(dir, 'api.sock');
    await api.listenUnix(socket);
    try {
      const answer = await rawRequest(socket, 'POST', '/v1.41/containers/create?name=x', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"Image":"busybox"}',
      });
      assert.equal(answer.status, 202);
      assert.equal(answer.body, 'POST /v1.41/containers/create?name=x {"Image":"busybox"}');
      assert.equal(answer.headers['api-version'], '1.47', "the engine's own headers");

      const swarm = await rawRequest(socket, 'GET', '/v1.41/services/nope/whatever');
      assert.equal(swarm.status, 404, 'swarm paths are never proxied');

      const raw = connect(socket);
      await once(raw, 'connect');
      raw.write(
        'POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
      );
      let received = '';
      raw.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('attached') && !received.includes('PING')) raw.write('ping');
      });
      const deadline = Date.now() + 5000;
      while (!received.includes('PING') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.match(received, /^HTTP\/1\.1 101 UPGRADED/);
      assert.match(received, /attached \/v1\.41\/exec\/abc\/start/);
      assert.match(received, /PING/);
      raw.destroy();
    } finally {
      await api.close();
      engine.close();
    }
  });
});

test('without an engine: 501 with --docker none, 503 when its socket does not answer', async () => {
  await withTempDir(async (dir) => {
    const none = createApiServer({
      routes: new Router(),
      info: { version: '0.0.0' },
      engineProxy: new EngineProxy({ socketPath: null }),
    });
    const absent = createApiServer({
      routes: new Router(),
      info: { version: '0.0.0' },
      engineProxy: new EngineProxy({ socketPath: join(dir, 'missing.sock') }),
    });
    await none.listenUnix(join(dir, 'none.sock'));
    await absent.listenUnix(join(dir, 'absent.sock'));
    try {
      const noEngine = await rawRequest(join(dir, 'none.sock'), 'GET', '/v1.41/containers/json');
      assert.equal(noEngine.status, 501);
      assert.match(
        JSON.parse(noEngine.body).message,
        /\/containers\/json is not supported on this node: it runs tasks without a Docker Engine/,
      );
      const down = await rawRequest(join(dir, 'absent.sock'), 'GET', '/v1.41/images/json');
      assert.equal(down.status, 503);
      assert.match(JSON.parse(down.body).message, /does not answer on .*missing\.sock \(ENOENT\)/);
    } finally {
      await none.close();
      await absent.close();
    }
  });
});

test('distribution: exec images have no digest, registry digests pin, the rest is 404', async () => {
  assert.equal(repositoryOf('docker.io/library/nginx:1.27'), 'nginx');
  assert.equal(
    repositoryOf('registry.local:5000/team/app@sha256:1'),
    'registry.local:5000/team/app',
  );
  assert.equal(registryDigest('nginx:1.27', { RepoDigests: [`nginx@${DIGEST}`] }), DIGEST);
  assert.equal(registryDigest('other', { RepoDigests: [`nginx@${DIGEST}`] }), undefined);
  await withTempDir(async (dir) => {
    const engineSocket = join(dir, 'engine.sock');
    const engine = await fakeEngine(engineSocket);
    const router = new Router();
    addDistributionRoutes(router, new EngineProxy({ socketPath: engineSocket }));
    const api = createApiServer({ routes: router, info: { version: '0.0.0' } });
    const socket = join(dir, 'api.sock');
    await api.listenUnix(socket);
    try {
      const exec = await rawRequest(socket, 'GET', '/v1.41/distribution/exec:/bin/sleep/json');
      assert.equal(exec.status, 200);
      assert.deepEqual(JSON.parse(exec.body), {
        Descriptor: { mediaType: '', digest: '', size: 0 },
        Platforms: [],
      });
      const pinned = await rawRequest(socket, 'GET', '/v1.41/distribution/nginx:1.27/json');
      assert.equal(JSON.parse(pinned.body).Descriptor.digest, DIGEST);
      const given = await rawRequest(socket, 'GET', `/v1.41/distribution/app@${DIGEST}/json`);
      assert.equal(JSON.parse(given.body).Descriptor.digest, DIGEST);
      const unknown = await rawRequest(socket, 'GET', '/v1.41/distribution/unknown:1/json');
      assert.equal(unknown.status, 404);
      assert.match(JSON.parse(unknown.body).message, /No such image: unknown:1/);
    } finally {
      await api.close();
      engine.close();
    }
  });
});
