import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, Socket } from 'node:net';
import { after, test } from 'node:test';
import { waitFor } from '../testkit/index.ts';
import { dialTcp } from './dial.ts';
import { type HandleRelay, relayHandles } from './handle-relay.ts';
import { handleRelayAvailable, READ_BUFFER_BYTES, relaySockets, relayStreams } from './relay.ts';

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

type Path = 'handles' | 'streams';
const PATHS: Path[] = ['handles', 'streams'];

interface Relayed {
  client: Socket;
  task: Socket;
  relay: HandleRelay | null;
  closed: Promise<void>;
}

/** A relay in front of `upstreamPort`, made as the mesh's ingress makes it. */
async function relayTo(
  path: Path,
  upstreamPort: number,
  onRelay?: (relayed: Relayed) => void,
  prefix: Buffer | null = null,
) {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, async (client) => {
    const task = await dialTcp({ host: '127.0.0.1', port: upstreamPort }, 2_000);
    let done = () => {};
    const closed = new Promise<void>((resolve) => {
      done = resolve;
    });
    let relay: HandleRelay | null = null;
    if (path === 'handles') {
      relay = relayHandles(client, task, prefix, done);
      assert.ok(relay, 'Node 20 exposes the stream handles');
    } else {
      if (prefix) task.write(prefix);
      relayStreams(client, task, done);
    }
    onRelay?.({ client, task, relay, closed });
  });
  return listen(server);
}

function digest(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** Everything `socket` receives until its end. */
function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
}

/** Sends random bytes through an echo behind `port` and checks they all come back in order. */
async function echoRound(port: number): Promise<void> {
  const payload = randomBytes(3 * READ_BUFFER_BYTES + 12_345);
  const socket = connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  let length = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      length += chunk.length;
      if (length >= payload.length) resolve();
    });
    socket.on('error', reject);
    // Small writes interleave the connections' reads through the shared buffer; the large
    // one crosses the size up to which chunks are written as strings.
    const cut = Math.floor((payload.length - 100_000) / 1_000) * 1_000;
    for (let at = 0; at < cut; at += 1_000) socket.write(payload.subarray(at, at + 1_000));
    socket.write(payload.subarray(cut));
  });
  socket.destroy();
  assert.equal(digest(received), digest([payload]));
}

test('the handle path is what runs on this runtime', () => {
  assert.equal(handleRelayAvailable(), true);
});

for (const path of PATHS) {
  test(`${path}: many connections at once each get their own bytes back, in order`, async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    const port = await relayTo(path, await listen(echo));
    await Promise.all(Array.from({ length: 20 }, () => echoRound(port)));
  });

  test(`${path}: a chunk queued for a slow task survives other connections' reads`, async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    const slowDigest = new Promise<string>((resolve) => {
      const slow = createServer((socket) => {
        const parts: Buffer[] = [];
        socket.on('data', (data: Buffer) => {
          parts.push(data);
          socket.pause();
          setTimeout(() => socket.resume(), 1);
        });
        socket.on('end', () => resolve(digest(parts)));
      });
      void listen(slow).then(async (slowPort) => {
        const port = await relayTo(path, slowPort);
        connect({ host: '127.0.0.1', port }).end(payload);
      });
    });
    const echo = createServer((socket) => socket.pipe(socket));
    const echoPort = await relayTo(path, await listen(echo));
    for (let i = 0; i < 4; i++)
      await Promise.all(Array.from({ length: 5 }, () => echoRound(echoPort)));
    assert.equal(await slowDigest, digest([payload]));
  });

  test(`${path}: a half-close travels and the answer still comes back`, async () => {
    const upstream = createServer({ allowHalfOpen: true }, (socket) => {
      const got: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => got.push(chunk));
      socket.on('end', () => socket.end(`got ${Buffer.concat(got).length} bytes`));
    });
    let relayed: Relayed | undefined;
    const port = await relayTo(path, await listen(upstream), (r) => {
      relayed = r;
    });
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const answer = readAll(socket);
    socket.end(Buffer.alloc(100_000, 1));
    assert.equal((await answer).toString(), 'got 100000 bytes');
    socket.end();
    // Both halves shut: the relay closes by itself and its sockets say so.
    await relayed?.closed;
    assert.ok(relayed?.client.destroyed && relayed.task.destroyed);
  });

  test(`${path}: a slow task holds the client back: the relay buffers little towards it`, async () => {
    const total = 16 * 1024 * 1024;
    let resolveReceived = (_: number) => {};
    const received = new Promise<number>((resolve) => {
      resolveReceived = resolve;
    });
    const slow = createServer((socket) => {
      let got = 0;
      socket.on('data', (data: Buffer) => {
        got += data.length;
        // Reads a chunk, then rests: a consumer slower than the client.
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      });
      socket.on('end', () => resolveReceived(got));
    });
    let most = 0;
    let sampler: NodeJS.Timeout | undefined;
    const port = await relayTo(path, await listen(slow), ({ task, relay }) => {
      if (relay) {
        sampler = setInterval(() => {
          most = Math.max(most, relay.queuedBytes());
        }, 1);
        return;
      }
      const write = task.write.bind(task) as (chunk: Buffer) => boolean;
      task.write = ((chunk: Buffer) => {
        const taken = write(chunk);
        most = Math.max(most, task.writableLength);
        return taken;
      }) as typeof task.write;
    });
    const client = connect({ host: '127.0.0.1', port });
    client.end(Buffer.alloc(total, 7));
    assert.equal(await received, total);
    clearInterval(sampler);
    assert.ok(most > 0, 'the task was slower than the client');
    assert.ok(most <= 2 * READ_BUFFER_BYTES, `the relay held ${most} bytes for a slow task`);
    client.destroy();
  });

  test(`${path}: a prefix reaches the task before the client's bytes`, async () => {
    const upstream = createServer({ allowHalfOpen: true }, (socket) => {
      void readAll(socket).then((all) => socket.end(all));
    });
    const port = await relayTo(path, await listen(upstream), undefined, Buffer.from('HEADER|'));
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const answer = readAll(socket);
    socket.end('body');
    assert.equal((await answer).toString(), 'HEADER|body');
    socket.destroy();
  });

  test(`${path}: destroying one side ends the relay and the other connection`, async () => {
    const upstream = createServer((socket) => socket.pipe(socket));
    let relayed: Relayed | undefined;
    const port = await relayTo(path, await listen(upstream), (r) => {
      relayed = r;
    });
    const socket = connect({ host: '127.0.0.1', port });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.write('ping');
    await new Promise((resolve) => socket.once('data', resolve));
    relayed?.task.destroy();
    await relayed?.closed;
    await ended;
  });

  test(`${path}: a task that resets closes the client`, async () => {
    const upstream = createServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    const port = await relayTo(path, await listen(upstream));
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('hello');
    await closed;
  });
}

test('relaySockets takes the handle path and leaves the sockets as the faces of it', async () => {
  const echo = createServer((socket) => socket.pipe(socket));
  const echoPort = await listen(echo);
  const faces: Socket[] = [];
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, async (client) => {
    const task = await dialTcp({ host: '127.0.0.1', port: echoPort }, 2_000);
    relaySockets(client, task, null, () => {});
    faces.push(client, task);
  });
  const port = await listen(server);
  const socket = connect({ host: '127.0.0.1', port });
  socket.write('ping');
  await new Promise((resolve) => socket.once('data', resolve));
  // The faces have given their handles to the relay and are still open.
  assert.equal(faces.length, 2);
  for (const face of faces) {
    assert.equal((face as unknown as { _handle: unknown })._handle, null);
    assert.equal(face.destroyed, false);
  }
  socket.end();
  await waitFor('both faces to close', 5_000, async () => faces.every((f) => f.destroyed));
});

test('a socket without a handle is left to the stream path, untouched', () => {
  const unconnected = new Socket();
  assert.equal(
    relayHandles(unconnected, new Socket(), null, () => {}),
    null,
  );
  assert.equal(unconnected.destroyed, false);
});
