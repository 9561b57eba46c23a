import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, Socket } from 'node:net';
import { after, test } from 'node:test';
import { dialTcp } from './dial.ts';
import { adoptAccepted, Forwarder, READ_BUFFER_BYTES, relay } from './relay.ts';

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

/** A relay in front of `upstreamPort`, made as the mesh's ingress makes it. */
async function relayTo(upstreamPort: number, onUpstream?: (task: Socket) => void) {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, async (accepted) => {
    const fromTask = new Forwarder(accepted);
    const task = await dialTcp({ host: '127.0.0.1', port: upstreamPort }, 2_000, fromTask);
    onUpstream?.(task);
    const client = adoptAccepted(accepted, new Forwarder(task));
    assert.ok(client, 'this runtime exposes accepted handles');
    fromTask.to(client);
    relay(client, true, task, true, () => {});
  });
  return listen(server);
}

function digest(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

test('many connections at once each get their own bytes back, in order', async () => {
  const echo = createServer((socket) => socket.pipe(socket));
  const port = await relayTo(await listen(echo));
  const round = async () => {
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
      // Small writes interleave the connections' reads through the shared buffer.
      for (let at = 0; at < payload.length; at += 1_000)
        socket.write(payload.subarray(at, at + 1_000));
    });
    socket.destroy();
    assert.equal(digest(received), digest([payload]));
  };
  await Promise.all(Array.from({ length: 20 }, round));
});

test('a half-close travels and the answer still comes back', async () => {
  const upstream = createServer({ allowHalfOpen: true }, (socket) => {
    const got: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => got.push(chunk));
    socket.on('end', () => socket.end(`got ${Buffer.concat(got).length} bytes`));
  });
  const port = await relayTo(await listen(upstream));
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const answer = await new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(parts).toString()));
    socket.on('error', reject);
    socket.end(Buffer.alloc(100_000, 1));
  });
  assert.equal(answer, 'got 100000 bytes');
  socket.destroy();
});

test('a slow task holds the client back: the relay buffers little towards it', async () => {
  const total = 16 * 1024 * 1024;
  let slowPort = 0;
  const received = new Promise<number>((resolve) => {
    const slow = createServer((socket) => {
      let got = 0;
      socket.on('data', (data: Buffer) => {
        got += data.length;
        // Reads a chunk, then rests: a consumer slower than the client.
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      });
      socket.on('end', () => resolve(got));
    });
    servers.push(slow);
    slow.listen(0, '127.0.0.1');
  });
  const slowServer = servers.at(-1) as Server;
  if (!slowServer.listening) await new Promise((resolve) => slowServer.once('listening', resolve));
  slowPort = (slowServer.address() as { port: number }).port;
  let most = 0;
  const port = await relayTo(slowPort, (task) => {
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
  assert.ok(most > 0, 'the task was slower than the client');
  assert.ok(most <= 2 * READ_BUFFER_BYTES, `the relay held ${most} bytes for a slow task`);
  client.destroy();
});

test('a socket without a handle is left to the stream path', () => {
  const unconnected = new Socket();
  assert.equal(adoptAccepted(unconnected, new Forwarder()), null);
  assert.equal(unconnected.destroyed, false);
});
