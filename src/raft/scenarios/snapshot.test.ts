// Snapshot and log compaction scenarios: a follower behind the compaction point receives the
// snapshot in bounded chunks, survives lost chunks, and continues from the log after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSnapshot, Network } from '../testing/network.ts';
import { MessageType, Role } from '../types.ts';

function compact(net: Network, id: number, keepEntries: number) {
  const node = net.node(id);
  const raft = node.raft;
  const snapshot = raft.createSnapshot(raft.log.applied, encodeSnapshot(node.applied), keepEntries);
  node.disk.snapshot = snapshot;
  node.disk.entries = node.disk.entries.filter((e) => e.index > snapshot.metadata.index);
  return snapshot;
}

test('a follower behind the compaction point is restored from a chunked snapshot', () => {
  const net = new Network([1, 2, 3], { snapshotChunkBytes: 64 });
  net.electionTimeout(1);
  net.stabilize();
  net.isolate(3);
  for (let i = 0; i < 50; i++) net.propose(1, `value-${i}`);
  net.stabilize();
  const snapshot = compact(net, 1, 0);
  assert.ok(snapshot.data.length > 64 * 5, 'several chunks are needed');
  assert.equal(net.raft(1).log.firstIndex(), snapshot.metadata.index + 1);
  net.heal();
  net.tickAll(1);
  const chunks = net.delivered.filter((m) => m.type === MessageType.Snapshot && m.to === 3);
  assert.ok(chunks.length >= 5);
  for (const m of chunks) assert.ok(m.chunk.length <= 64);
  net.propose(1, 'after-snapshot');
  net.stabilize();
  net.tickAll(1);
  assert.deepEqual(net.node(3).applied, net.node(1).applied);
  assert.equal(net.node(3).applied.at(-1), 'after-snapshot');
});

test('a lost snapshot chunk is resent and the transfer completes', () => {
  const net = new Network([1, 2, 3], { snapshotChunkBytes: 32 });
  net.electionTimeout(1);
  net.stabilize();
  net.isolate(3);
  for (let i = 0; i < 20; i++) net.propose(1, `v${i}`);
  net.stabilize();
  compact(net, 1, 0);
  net.heal();
  let dropped = 0;
  net.drop((m) => m.type === MessageType.Snapshot && m.snapshotOffset === 64 && dropped++ < 2);
  net.tickAll(12);
  assert.equal(dropped, 3, 'the chunk at offset 64 was lost twice then delivered');
  assert.deepEqual(net.node(3).applied, net.node(1).applied);
});

test('a restarted node recovers from its snapshot and the log after it', () => {
  const net = new Network([1, 2, 3]);
  net.electionTimeout(1);
  net.stabilize();
  for (let i = 0; i < 10; i++) net.propose(1, `a${i}`);
  net.stabilize();
  net.tickAll(1);
  compact(net, 2, 0);
  for (let i = 0; i < 5; i++) net.propose(1, `b${i}`);
  net.stabilize();
  net.tickAll(1);
  const before = [...net.node(2).applied];
  net.restart(2);
  net.node(2).applied = [...before.slice(0, 10)]; // the state machine restored from the snapshot
  net.tickAll(1);
  assert.deepEqual(net.node(2).applied, before);
});

test('a leader keeps recent entries after compaction so a slightly lagging follower needs no snapshot', () => {
  const net = new Network([1, 2, 3]);
  net.electionTimeout(1);
  net.stabilize();
  net.isolate(3);
  for (let i = 0; i < 10; i++) net.propose(1, `x${i}`);
  net.stabilize();
  compact(net, 1, 100);
  net.heal();
  net.tickAll(1);
  assert.equal(
    net.delivered.filter((m) => m.type === MessageType.Snapshot).length,
    0,
    'entries were enough',
  );
  assert.deepEqual(net.node(3).applied, net.node(1).applied);
  assert.equal(net.raft(1).role, Role.Leader);
});
