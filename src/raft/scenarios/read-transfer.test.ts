// ReadIndex (linearizable reads without a log write) and leadership transfer scenarios.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../testing/network.ts';
import { MessageType, Role } from '../types.ts';

const id = (text: string) => new TextEncoder().encode(text);

function leader(net: Network, node: number): void {
  net.electionTimeout(node);
  net.stabilize();
  assert.equal(net.raft(node).role, Role.Leader);
}

test('a leader answers a read at its commit index after a quorum heartbeat', () => {
  const net = new Network([1, 2, 3]);
  leader(net, 1);
  net.propose(1, 'w');
  net.stabilize();
  assert.ok(net.raft(1).readIndex(id('r1')));
  net.processReadies();
  assert.equal(net.node(1).readStates.length, 0, 'not before the quorum answers');
  net.stabilize();
  assert.equal(net.node(1).readStates.length, 1);
  assert.equal(net.node(1).readStates[0]!.index, net.raft(1).log.committed);
});

test('a deposed leader cut off from the majority cannot confirm a read', () => {
  const net = new Network([1, 2, 3]);
  leader(net, 1);
  net.isolate(1);
  assert.ok(net.raft(1).readIndex(id('stale')));
  net.stabilize();
  net.tickAll(3);
  assert.equal(net.node(1).readStates.length, 0);
});

test('a follower read is forwarded to the leader and answered with its commit index', () => {
  const net = new Network([1, 2, 3]);
  leader(net, 1);
  for (const v of ['a', 'b']) net.propose(1, v);
  net.stabilize();
  assert.ok(net.raft(3).readIndex(id('f1')));
  net.stabilize();
  const [state] = net.node(3).readStates;
  assert.ok(state);
  assert.equal(state.index, net.raft(1).log.committed);
  assert.deepEqual(Buffer.from(state.requestId).toString(), 'f1');
});

test('reads asked before the new leader commits in its term wait for that commit', () => {
  const net = new Network([1, 2, 3]);
  net.electOnly(1);
  assert.equal(net.raft(1).role, Role.Leader);
  assert.ok(net.raft(1).readIndex(id('early')));
  net.processReadies();
  assert.equal(net.node(1).readStates.length, 0);
  net.stabilize();
  assert.equal(net.node(1).readStates.length, 1);
  assert.equal(net.raft(1).log.term(net.node(1).readStates[0]!.index), net.raft(1).term);
});

test('many reads share one heartbeat round', () => {
  const net = new Network([1, 2, 3]);
  leader(net, 1);
  const before = net.delivered.filter((m) => m.type === MessageType.Heartbeat).length;
  for (let i = 0; i < 10; i++) net.raft(1).readIndex(id(`r${i}`));
  net.stabilize();
  const heartbeats = net.delivered.filter((m) => m.type === MessageType.Heartbeat).length - before;
  assert.equal(heartbeats, 2, 'one heartbeat per follower');
  assert.equal(net.node(1).readStates.length, 10);
});

test('leadership transfer: the target catches up, campaigns at once and wins', () => {
  const net = new Network([1, 2, 3]);
  leader(net, 1);
  net.isolate(3);
  for (let i = 0; i < 5; i++) net.propose(1, `t${i}`);
  net.stabilize();
  net.heal();
  assert.ok(net.raft(1).transferLeadership(3));
  const refused = net.raft(1).propose(id('during'));
  assert.equal(!refused.ok && refused.reason, 'transferring');
  net.stabilize();
  assert.equal(net.raft(3).role, Role.Leader);
  assert.equal(net.raft(1).role, Role.Follower);
  assert.equal(net.node(3).applied.length >= 5 || net.raft(3).log.lastIndex() >= 9, true);
});

test('a leadership transfer to an unreachable node is abandoned after an election timeout', () => {
  const net = new Network([1, 2, 3]);
  leader(net, 1);
  net.isolate(3);
  assert.ok(net.raft(1).transferLeadership(3));
  net.tickAll(11);
  assert.equal(net.raft(1).role, Role.Leader);
  assert.ok(net.raft(1).propose(id('resumed')).ok);
});
