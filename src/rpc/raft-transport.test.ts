import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EntryType, emptyMessage, type Message, MessageType } from '../raft/types.ts';
import { NODE_ID_METADATA, RaftTransport, type RaftTransportOptions } from './raft-transport.ts';
import { append, bytes, freePort, waitFor } from './test-util.ts';

const MiB = 1024 * 1024;

/** A started transport that the test closes when it ends, with the messages it received. */
async function startNode(
  t: TestContext,
  id: number,
  opts: Partial<RaftTransportOptions> = {},
): Promise<{ transport: RaftTransport; port: number; inbox: Message[] }> {
  const inbox: Message[] = [];
  const transport = new RaftTransport({
    selfId: id,
    listen: '127.0.0.1:0',
    onMessage: (m) => inbox.push(m),
    reconnectBackoffMs: { initial: 20, max: 200 },
    ...opts,
  });
  t.after(() => transport.close());
  const port = await transport.start();
  return { transport, port, inbox };
}

test('messages arrive in order per peer, including large entries and snapshot chunks', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  a.transport.addPeer(2, `127.0.0.1:${b.port}`);
  b.transport.addPeer(1, `127.0.0.1:${a.port}`);

  const toB: Message[] = [];
  for (let i = 0; i < 2000; i++) toB.push(append(1, 2, i));
  // Entries of 3 MiB: a few of them do not fit one 8 MiB batch, so batches are split.
  for (let i = 2000; i < 2004; i++) toB.push(append(1, 2, i, 3 * MiB));
  // One message just under the 8 MiB frame limit on its own.
  toB.push(append(1, 2, 2004, 8 * MiB - 4096));
  const snapshotSize = 3 * MiB + 5;
  for (let offset = 0, i = 2005; offset < snapshotSize; offset += MiB, i++) {
    const m = emptyMessage(MessageType.Snapshot, 1, 2, 1);
    m.index = i;
    m.snapshot = { index: 500, term: 1, conf: { voters: [1, 2], learners: [], removed: [] } };
    m.snapshotOffset = offset;
    m.snapshotSize = snapshotSize;
    m.chunk = bytes(Math.min(MiB, snapshotSize - offset), offset);
    toB.push(m);
  }
  for (let i = 0; i < toB.length; i += 100) a.transport.send(toB.slice(i, i + 100));
  const toA = [1, 2, 3].map((i) => {
    const m = emptyMessage(MessageType.AppendResponse, 2, 1, 1);
    m.index = i;
    return m;
  });
  b.transport.send(toA);

  await waitFor('all messages at B', () => b.inbox.length === toB.length);
  await waitFor('all messages at A', () => a.inbox.length === toA.length);
  assert.deepEqual(
    b.inbox.map((m) => m.index),
    toB.map((m) => m.index),
  );
  for (let i = 0; i < toB.length; i++) {
    const got = b.inbox[i]!;
    const want = toB[i]!;
    assert.equal(got.type, want.type);
    assert.equal(got.entries.length, want.entries.length);
    if (want.entries.length > 0) {
      assert.equal(got.entries[0]!.type, EntryType.Normal);
      assert.ok(Buffer.from(got.entries[0]!.data).equals(want.entries[0]!.data), `entry ${i}`);
    }
    assert.ok(Buffer.from(got.chunk).equals(want.chunk), `chunk ${i}`);
    assert.deepEqual(got.snapshot, want.snapshot);
    assert.equal(got.snapshotOffset, want.snapshotOffset);
  }
  assert.deepEqual(
    a.inbox.map((m) => m.index),
    [1, 2, 3],
  );
  const stats = a.transport.stats();
  assert.equal(stats.sent, toB.length);
  assert.equal(stats.dropped, 0);
  assert.ok(stats.batchesSent < toB.length, `batched: ${stats.batchesSent} writes`);
  assert.equal(b.transport.stats().received, toB.length);
  assert.deepEqual(a.transport.unreachable(), []);
});

test('a message larger than maxMessageBytes is dropped, the stream goes on', async (t) => {
  const a = await startNode(t, 1, { maxMessageBytes: 64 * 1024 });
  const b = await startNode(t, 2, { maxMessageBytes: 64 * 1024 });
  a.transport.addPeer(2, `127.0.0.1:${b.port}`);
  a.transport.send([append(1, 2, 1), append(1, 2, 2, 65 * 1024), append(1, 2, 3)]);
  await waitFor('two messages at B', () => b.inbox.length === 2);
  assert.deepEqual(
    b.inbox.map((m) => m.index),
    [1, 3],
  );
  assert.equal(a.transport.stats().dropped, 1);
});

test('a peer that is down, then starts (and restarts), gets the messages sent once it is up', async (t) => {
  const port = await freePort();
  const unreachableReports: number[] = [];
  const a = await startNode(t, 1, { onUnreachable: (id) => unreachableReports.push(id) });
  a.transport.addPeer(2, `127.0.0.1:${port}`);

  let seq = 0;
  a.transport.send([append(1, 2, seq++)]);
  await waitFor('peer 2 reported unreachable', () => a.transport.unreachable().includes(2));
  assert.ok(unreachableReports.includes(2));

  for (let round = 0; round < 2; round++) {
    const b = await startNode(t, 2, { listen: `127.0.0.1:${port}` });
    // Keep sending (as Raft's heartbeats would) until the peer hears from us.
    await waitFor(`B hears from A (round ${round})`, () => {
      a.transport.send([append(1, 2, seq++)]);
      return b.inbox.length > 0;
    });
    assert.deepEqual(a.transport.unreachable(), []);
    const after = seq;
    for (let i = 0; i < 100; i++) a.transport.send([append(1, 2, seq++)]);
    await waitFor('messages sent after B came up', () => b.inbox.at(-1)?.index === seq - 1);
    const got = b.inbox.map((m) => m.index);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, 'in order');
    for (let s = after; s < seq; s++) assert.ok(got.includes(s), `message ${s} delivered`);
    await b.transport.close();
    a.transport.send([append(1, 2, seq++)]);
    await waitFor('peer 2 unreachable again', () => a.transport.unreachable().includes(2));
  }
  assert.ok(a.transport.stats().dropped > 0);
});

test('the per-peer queue bound is respected and drops are counted', async (t) => {
  const a = await startNode(t, 1, { maxQueuedMessagesPerPeer: 100 });
  const b = await startNode(t, 2);
  a.transport.addPeer(2, `127.0.0.1:${b.port}`);
  const burst = Array.from({ length: 1000 }, (_, i) => append(1, 2, i));
  a.transport.send(burst); // all in one turn: nothing is flushed in between
  assert.equal(a.transport.stats().dropped, 900);
  await waitFor('the queued 100 at B', () => b.inbox.length === 100);
  assert.deepEqual(
    b.inbox.map((m) => m.index),
    burst.slice(0, 100).map((m) => m.index),
  );
  // Messages to unknown peers are dropped too, never thrown.
  a.transport.send([append(1, 9, 0)]);
  assert.equal(a.transport.stats().dropped, 901);
});

test('a stalled peer: bounded buffering, drops counted, delivery resumes', async (t) => {
  // The receiver runs in its own process so that SIGSTOP freezes it with its socket open.
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'testdata/receiver.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await waitFor('receiver port', () => /port \d+/.test(out));
  const port = Number(/port (\d+)/.exec(out)![1]);
  const a = await startNode(t, 1);
  a.transport.addPeer(2, `127.0.0.1:${port}`);
  const MARK = 1_000_000_000;
  a.transport.send([append(1, 2, MARK)]);
  await waitFor('first message', () => out.includes(`got ${MARK}\n`));

  child.kill('SIGSTOP');
  const burst = Array.from({ length: 1000 }, (_, i) => append(1, 2, i, 1024));
  let offered = 0;
  await waitFor('queue full while the peer is stalled', async () => {
    a.transport.send(burst);
    offered += burst.length;
    await new Promise((resolve) => setImmediate(resolve));
    return a.transport.stats().dropped >= 20_000;
  });
  const { sent } = a.transport.stats();
  // At most 4 batches in flight (each at most one full queue) plus what HTTP/2 flow control let
  // through: nothing like the offered load piles up in buffers.
  assert.ok(sent <= 5 * 4096, `sent ${sent} of ${offered} while stalled`);
  assert.deepEqual(a.transport.unreachable(), []);

  child.kill('SIGCONT');
  const delivered = () => [...out.matchAll(/got (\d+)/g)].map((m) => Number(m[1]));
  let seq = MARK + 1;
  await waitFor('delivery after the peer resumes', () => {
    a.transport.send([append(1, 2, seq++)]);
    return delivered().some((index) => index > MARK);
  });
  child.stdin.end();
});

test('a peer answering with another node id is not used', async (t) => {
  const errors: Error[] = [];
  const a = await startNode(t, 1, { onError: (err) => errors.push(err) });
  const c = await startNode(t, 3);
  a.transport.addPeer(2, `127.0.0.1:${c.port}`); // wrong address for node 2
  a.transport.send([append(1, 2, 0)]);
  await waitFor('error reported', () => errors.length > 0);
  assert.match(errors[0]!.message, /answered as node 3/);
  await waitFor('peer 2 unreachable', () => a.transport.unreachable().includes(2));
  assert.equal(c.inbox.length, 0);
});

/** As a certificate would: the caller's Raft id, here read from the metadata it sends. */
function claimedId(call: { metadata: { get(key: string): unknown[] } }): number | null {
  const value = call.metadata.get(NODE_ID_METADATA)[0];
  return value === undefined ? null : Number(value);
}

test('a peer whose recorded address is dead is dialled where its own streams come from', async (t) => {
  const moves: string[] = [];
  const a = await startNode(t, 1);
  const b = await startNode(t, 2, {
    identifyPeer: claimedId,
    onPeerAddress: (id, address) => moves.push(`${id} ${address}`),
  });
  // B's record of A is stale: another loopback host, where nobody listens on A's port.
  const stale = `127.0.0.9:${a.port}`;
  b.transport.addPeer(1, stale);
  b.transport.send([append(2, 1, 0)]);
  await waitFor('A unreachable at its stale address', () => b.transport.unreachable().includes(1));
  // A dials B (from 127.0.0.1): B learns where A is and reaches it there, port kept.
  a.transport.addPeer(2, `127.0.0.1:${b.port}`);
  let seq = 0;
  await waitFor('A hears from B', () => {
    a.transport.send([append(1, 2, seq++)]);
    b.transport.send([append(2, 1, seq++)]);
    return a.inbox.length > 0;
  });
  assert.deepEqual(moves, [`1 127.0.0.1:${a.port}`]);
  assert.equal(b.transport.workingAddress(1), `127.0.0.1:${a.port}`);
  // The store still names the stale address: nothing changes. Then it catches up: nothing
  // is re-dialled either.
  b.transport.addPeer(1, stale);
  b.transport.addPeer(1, `127.0.0.1:${a.port}`);
  assert.equal(b.transport.stats().peerMoves, 1);
  assert.equal(b.transport.workingAddress(1), `127.0.0.1:${a.port}`);
});

test('nothing is learned from a caller that is not proven to be the member', async (t) => {
  // Unproven; and proven to be member 3 while its metadata and messages claim member 1.
  for (const identifyPeer of [() => null, () => 3]) {
    const a = await startNode(t, 1);
    const b = await startNode(t, 2, { identifyPeer });
    b.transport.addPeer(1, `127.0.0.9:${a.port}`);
    b.transport.addPeer(3, `127.0.0.9:${a.port}`);
    a.transport.addPeer(2, `127.0.0.1:${b.port}`);
    let seq = 0;
    await waitFor('B hears from A', () => {
      a.transport.send([append(1, 2, seq++)]);
      return b.inbox.length > 0;
    });
    await waitFor('A unreachable at the recorded address', () =>
      b.transport.unreachable().includes(1),
    );
    assert.equal(b.transport.stats().peerMoves, 0);
    assert.equal(b.transport.workingAddress(1), null);
  }
});

test('a learned address that stops answering gives way to the recorded one', async (t) => {
  const port = await freePort();
  const a = await startNode(t, 1, { listen: `127.0.0.1:${port}` });
  const b = await startNode(t, 2, { identifyPeer: claimedId });
  // Recorded: where A will come back (same port). Learned first: where A is now.
  b.transport.addPeer(1, `127.0.0.2:${port}`);
  a.transport.addPeer(2, `127.0.0.1:${b.port}`);
  let seq = 0;
  await waitFor('B reaches A at the learned address', () => {
    a.transport.send([append(1, 2, seq++)]);
    b.transport.send([append(2, 1, seq++)]);
    return b.transport.workingAddress(1) === `127.0.0.1:${port}`;
  });
  await a.transport.close();
  const back = await startNode(t, 1, { listen: `127.0.0.2:${port}` });
  await waitFor('B reaches A back at its recorded address', () => {
    b.transport.send([append(2, 1, seq++)]);
    return back.inbox.length > 0;
  });
  assert.equal(b.transport.workingAddress(1), `127.0.0.2:${port}`);
});

test('redialAll() opens every stream again, at the same addresses', async (t) => {
  const a = await startNode(t, 1);
  const b = await startNode(t, 2);
  a.transport.addPeer(2, `127.0.0.1:${b.port}`);
  let seq = 0;
  await waitFor('B hears from A', () => {
    a.transport.send([append(1, 2, seq++)]);
    return b.inbox.length > 0;
  });
  const before = b.transport.stats().batchesReceived;
  a.transport.redialAll();
  const marker = 1_000_000;
  await waitFor('B hears from A again', () => {
    a.transport.send([append(1, 2, marker)]);
    return b.inbox.some((m) => m.index === marker);
  });
  assert.ok(b.transport.stats().batchesReceived > before);
  assert.equal(a.transport.stats().peerMoves, 0);
  assert.equal(a.transport.workingAddress(2), `127.0.0.1:${b.port}`);
});

test('close() ends streams and the server without leaking handles', async () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'testdata/close-exits.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const code = await exited;
    assert.equal(code, 0, `fixture exits on its own after close(): ${output}`);
    assert.match(output, /closed/);
  } finally {
    clearTimeout(timeout);
    child.kill('SIGKILL');
  }
});
