// Leader election scenarios (Raft §5.2, figure 2 RequestVote rules, pre-vote and check-quorum
// from the Raft thesis §9.6 and §6.2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isType, Network } from '../testing/network.ts';
import { MessageType, Role } from '../types.ts';

test('a follower whose election timer fires wins a three-node election', () => {
  const net = new Network([1, 2, 3]);
  net.electionTimeout(1);
  net.stabilize();
  assert.equal(net.raft(1).role, Role.Leader);
  assert.equal(net.raft(1).term, 2, 'bootstrap is term 1; the first election makes term 2');
  for (const id of [2, 3]) {
    assert.equal(net.raft(id).role, Role.Follower);
    assert.equal(net.raft(id).leader, 1);
  }
});

test('pre-vote: a candidate without a quorum of pre-votes never raises its term', () => {
  const net = new Network([1, 2, 3]);
  net.isolate(1);
  for (let i = 0; i < 5; i++) net.electionTimeout(1);
  net.stabilize();
  assert.equal(net.raft(1).term, 1, 'isolated pre-candidate keeps its term');
  assert.equal(net.raft(1).role, Role.PreCandidate);
  net.heal();
  net.electionTimeout(2);
  net.stabilize();
  assert.equal(net.raft(2).role, Role.Leader);
  assert.equal(net.raft(2).term, 2, 'the rejoined node did not force a term bump');
});

test('a node grants at most one vote per term (figure 2: votedFor)', () => {
  const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
  net.raft(1).tick();
  // Two candidates in the same term: 1 and 2 both campaign for term 2.
  net.electionTimeout(1);
  net.electionTimeout(2);
  const votesFrom3 = net
    .pending()
    .filter((m) => m.type === MessageType.Vote && m.to === 3)
    .map((m) => m.from);
  assert.deepEqual(votesFrom3.sort(), [1, 2]);
  net.deliverOnly((m) => m.to === 3 && m.type === MessageType.Vote);
  const answers = net.pending().filter((m) => m.from === 3 && m.type === MessageType.VoteResponse);
  assert.equal(answers.filter((m) => !m.reject).length, 1, 'exactly one grant in term 2');
  net.stabilize();
  const leaders = [1, 2, 3].filter((id) => net.raft(id).role === Role.Leader);
  assert.ok(leaders.length <= 1);
});

test('a vote is refused to a candidate whose log is behind (§5.4.1 election restriction)', () => {
  const net = new Network([1, 2, 3]);
  net.electionTimeout(1);
  net.stabilize();
  net.isolate(3);
  net.propose(1, 'x');
  net.stabilize();
  // 3 missed "x". Whatever it does, it cannot be elected by 1 or 2.
  net.heal();
  net.drop((m) => m.from === 1 && m.to === 3); // keep 3 behind while it campaigns
  net.tickAll(1);
  for (let i = 0; i < 5; i++) {
    net.electionTimeout(3);
    net.stabilize();
  }
  assert.notEqual(net.raft(3).role, Role.Leader);
  assert.ok(net.node(1).applied.includes('x'));
});

test('a higher term in any message turns a leader into a follower (figure 2: all servers)', () => {
  const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
  net.electionTimeout(1);
  net.stabilize();
  net.isolate(1);
  net.electionTimeout(2);
  net.stabilize();
  assert.equal(net.raft(2).role, Role.Leader);
  assert.equal(net.raft(2).term, 3);
  net.heal();
  net.tickAll(1);
  assert.equal(net.raft(1).role, Role.Follower);
  assert.equal(net.raft(1).term, 3);
  assert.equal(net.raft(1).leader, 2);
});

test('check-quorum: a leader that hears from no majority steps down', () => {
  const net = new Network([1, 2, 3]);
  net.electionTimeout(1);
  net.stabilize();
  net.isolate(1);
  // Activity is sampled once per election timeout, so within two timeouts it must step down.
  net.tickAll(9);
  assert.equal(net.raft(1).role, Role.Leader, 'not before an election timeout');
  net.tickAll(11);
  assert.equal(net.raft(1).role, Role.Follower, 'stepped down within two election timeouts');
});

test('check-quorum lease: followers ignore a disruptive candidate while the leader is alive', () => {
  const net = new Network([1, 2, 3], { preVote: false });
  net.electionTimeout(1);
  net.stabilize();
  // 3 is cut from the leader only; without the lease its higher-term votes would depose 1.
  net.cut(1, 3);
  for (let i = 0; i < 3; i++) {
    net.electionTimeout(3);
    net.tickAll(1);
  }
  assert.equal(net.raft(1).role, Role.Leader);
  assert.equal(net.raft(2).leader, 1);
  assert.equal(net.raft(1).term, 2);
});

test('a single-node cluster elects itself and commits alone', () => {
  const net = new Network([1]);
  net.electionTimeout(1);
  net.stabilize();
  assert.equal(net.raft(1).role, Role.Leader);
  net.propose(1, 'solo');
  net.stabilize();
  assert.deepEqual(net.node(1).applied, ['solo']);
});

test('a split vote is resolved by randomized timeouts', () => {
  const net = new Network([1, 2, 3, 4, 5], {}, 7);
  net.tickAll(60);
  const leaders = [1, 2, 3, 4, 5].filter((id) => net.raft(id).role === Role.Leader);
  assert.equal(leaders.length, 1);
  const term = net.raft(leaders[0]!).term;
  for (const id of [1, 2, 3, 4, 5]) assert.equal(net.raft(id).leader, leaders[0]);
  assert.ok(term >= 2);
  assert.ok(net.delivered.some(isType(MessageType.PreVote)));
});
