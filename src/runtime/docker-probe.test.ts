// probeDocker against HTTP servers on unix sockets that answer as an engine does, or do not;
// docker-driver.test.ts runs it against a real Docker Engine too.
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeTempDir, removeTempDirs } from '../testkit/index.ts';
import { probeDocker, versionOf } from './docker-probe.ts';

const dir = makeTempDir('shoal-docker-probe-');
const servers: Server[] = [];
after(async () => {
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  removeTempDirs();
});

async function serve(name: string, handler: RequestListener): Promise<string> {
  const socketPath = join(dir, `${name}.sock`);
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

test('probeDocker: the Version of an engine answering GET /version', async () => {
  const paths: string[] = [];
  const socketPath = await serve('engine', (request, response) => {
    paths.push(`${request.method} ${request.url}`);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ Version: '26.1.5+dfsg1', ApiVersion: '1.45', Os: 'linux' }));
  });
  assert.deepEqual(await probeDocker(socketPath), { version: '26.1.5+dfsg1' });
  assert.deepEqual(paths, ['GET /version']);
});

test('probeDocker: null when what answers is not an engine', async () => {
  const notFound = await serve('not-found', (_request, response) => {
    response.statusCode = 404;
    response.end('{"message":"page not found"}');
  });
  assert.equal(await probeDocker(notFound), null);
  const notJson = await serve('not-json', (_request, response) => response.end('<html></html>'));
  assert.equal(await probeDocker(notJson), null);
  const huge = await serve('huge', (_request, response) => {
    response.end(JSON.stringify({ Version: '1', Padding: 'x'.repeat(100 * 1024) }));
  });
  assert.equal(await probeDocker(huge), null);
});

test('probeDocker: null when nothing listens, or within the timeout when nothing answers', async () => {
  assert.equal(await probeDocker(join(dir, 'nobody.sock'), 500), null);
  const silent = await serve('silent', () => {
    // Never answers.
  });
  const startedMs = performance.now();
  assert.equal(await probeDocker(silent, 300), null);
  const elapsedMs = performance.now() - startedMs;
  assert.ok(elapsedMs >= 250 && elapsedMs < 5000, `answered after ${elapsedMs} ms`);
});

test('versionOf: only a JSON object with a string Version', () => {
  assert.deepEqual(versionOf('{"Version":"20.10.24"}'), { version: '20.10.24' });
  assert.equal(versionOf('{"Version":20}'), null);
  assert.equal(versionOf('null'), null);
  assert.equal(versionOf(''), null);
});
