// Membership change scenarios: learners catch up before voting, one change at a time, ids
// never reused, the leader cannot remove itself without handing over first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../testing/network.ts';
import { type ConfChange, ConfChangeType, EMPTY_BYTES, Role } from '../types.ts';

function change(type: ConfChangeType, nodeId: number): ConfChange {
  return { type, nodeId, context: EMPTY_BYTES };
}

function leaderOf(net: Network, id: number): void {
  net.electionTimeout(id);
  net.stabilize();
  assert.equal(net.raft(id).role, Role.Leader);
}

test('a new node joins as a learner, catches up, then becomes a voter', () => {
  const net = new Network([1, 2, 3]);
  leaderOf(net, 1);
  for (let i = 0; i < 20; i++) net.propose(1, `w${i}`);
  net.stabilize();
  net.addNode(4, null);
  const refusedVoter = net.raft(1).proposeConfChange(change(ConfChangeType.AddVoter, 4));
  assert.equal(!refusedVoter.ok && refusedVoter.reason, 'invalid-conf-change');
  assert.ok(net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 4)).ok);
  net.stabilize();
  net.tickAll(1);
  assert.deepEqual(net.raft(4).status().learners, [4]);
  assert.equal(net.node(4).applied.length, 20, 'the learner received the whole log');
  assert.ok(net.raft(1).proposeConfChange(change(ConfChangeType.AddVoter, 4)).ok);
  net.stabilize();
  net.tickAll(1);
  for (const id of [1, 2, 3, 4]) assert.deepEqual(net.raft(id).status().voters, [1, 2, 3, 4]);
  // Four voters need three: with 3 and 4 gone nothing commits.
  net.isolate(3);
  net.isolate(4);
  net.propose(1, 'needs-three');
  net.stabilize();
  assert.ok(!net.node(1).applied.includes('needs-three'));
  net.heal();
  net.tickAll(1);
  assert.ok(net.node(1).applied.includes('needs-three'));
});

test('a learner never votes and never campaigns', () => {
  const net = new Network([1, 2, 3]);
  leaderOf(net, 1);
  net.addNode(4, null);
  net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 4));
  net.stabilize();
  net.tickAll(1);
  net.isolate(1);
  for (let i = 0; i < 5; i++) net.electionTimeout(4);
  assert.equal(net.raft(4).role, Role.Follower);
  assert.equal(net.raft(4).term, net.raft(2).term, 'no term bump from a learner');
});

test('only one membership change may be in flight', () => {
  const net = new Network([1, 2, 3]);
  leaderOf(net, 1);
  net.addNode(4, null);
  net.addNode(5, null);
  assert.ok(net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 4)).ok);
  const second = net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 5));
  assert.equal(!second.ok && second.reason, 'conf-change-pending');
  net.stabilize();
  assert.ok(net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 5)).ok);
});

test('a new leader accepts no change before it has committed an entry of its term', () => {
  const net = new Network([1, 2, 3]);
  net.electOnly(1); // the empty entry of the new term is not yet committed
  assert.equal(net.raft(1).role, Role.Leader);
  net.addNode(4, null);
  const early = net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 4));
  assert.equal(!early.ok && early.reason, 'conf-change-pending');
  net.stabilize();
  assert.ok(net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 4)).ok);
});

test('a removed node id can never be used again', () => {
  const net = new Network([1, 2, 3]);
  leaderOf(net, 1);
  assert.ok(net.raft(1).proposeConfChange(change(ConfChangeType.RemoveNode, 3)).ok);
  net.stabilize();
  net.tickAll(1);
  assert.deepEqual(net.raft(1).status().voters, [1, 2]);
  assert.deepEqual(net.raft(1).status().removed, [3]);
  const again = net.raft(1).proposeConfChange(change(ConfChangeType.AddLearner, 3));
  assert.equal(!again.ok && again.reason, 'invalid-conf-change');
  assert.match(!again.ok ? (again.detail ?? '') : '', /removed/);
  // Two voters left: both are needed.
  net.isolate(2);
  net.propose(1, 'two-needed');
  net.stabilize();
  assert.ok(!net.node(1).applied.includes('two-needed'));
});

test('the leader hands over before it is removed', () => {
  const net = new Network([1, 2, 3]);
  leaderOf(net, 1);
  const self = net.raft(1).proposeConfChange(change(ConfChangeType.RemoveNode, 1));
  assert.equal(!self.ok && self.reason, 'invalid-conf-change');
  assert.ok(net.raft(1).transferLeadership(2));
  net.stabilize();
  assert.equal(net.raft(2).role, Role.Leader);
  net.tickAll(1);
  assert.ok(net.raft(2).proposeConfChange(change(ConfChangeType.RemoveNode, 1)).ok);
  net.stabilize();
  net.tickAll(1);
  assert.deepEqual(net.raft(2).status().voters, [2, 3]);
  net.propose(2, 'after');
  net.stabilize();
  assert.ok(net.node(3).applied.includes('after') || net.node(2).applied.includes('after'));
  for (let i = 0; i < 5; i++) net.electionTimeout(1);
  assert.notEqual(net.raft(1).role, Role.Leader, 'a removed node does not campaign');
});

test('the last voter cannot be removed', () => {
  const net = new Network([1]);
  leaderOf(net, 1);
  const result = net.raft(1).proposeConfChange(change(ConfChangeType.RemoveNode, 1));
  assert.equal(!result.ok && result.reason, 'invalid-conf-change');
});
