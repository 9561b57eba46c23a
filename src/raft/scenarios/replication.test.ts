// Log replication scenarios (Raft §5.3, §5.4.2 and figure 8; AppendEntries receiver rules).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../testing/network.ts';
import { type Message, MessageType, Role } from '../types.ts';

const plain = { preVote: false, checkQuorum: false };

function elect(net: Network, id: number): void {
  // A campaign may first only learn of a higher term; a few attempts settle it.
  for (let i = 0; i < 3 && net.raft(id).role !== Role.Leader; i++) {
    net.electionTimeout(id);
    net.stabilize();
  }
  assert.equal(net.raft(id).role, Role.Leader, `node ${id} should lead`);
}

test('a proposal commits once a majority holds it and every node applies it in order', () => {
  const net = new Network([1, 2, 3]);
  elect(net, 1);
  for (const word of ['a', 'b', 'c']) net.propose(1, word);
  net.stabilize();
  net.tickAll(1); // the next heartbeat carries the final commit index to followers
  for (const id of [1, 2, 3]) assert.deepEqual(net.node(id).applied, ['a', 'b', 'c']);
});

test('a minority cannot commit: entries wait until a majority is back', () => {
  const net = new Network([1, 2, 3]);
  elect(net, 1);
  net.isolate(2);
  net.isolate(3);
  net.propose(1, 'lonely');
  net.stabilize();
  assert.deepEqual(net.node(1).applied, []);
  net.heal();
  net.tickAll(1);
  assert.deepEqual(net.node(1).applied, ['lonely']);
});

test('a follower refuses proposals and names the leader', () => {
  const net = new Network([1, 2, 3]);
  elect(net, 1);
  const result = net.raft(2).propose(new Uint8Array([1]));
  assert.deepEqual(result.ok, false);
  assert.equal(!result.ok && result.reason, 'not-leader');
  assert.equal(!result.ok && result.leader, 1);
});

test('figure 8: an old-term entry on a majority is not committed by counting', () => {
  const net = new Network([1, 2, 3], { ...plain, maxMessageBytes: 0 });
  elect(net, 1);
  net.propose(1, 'a');
  net.stabilize();
  // (a) 1 appends "b" in term 2 but nobody receives it.
  net.isolate(1);
  net.propose(1, 'b');
  const indexB = net.raft(1).log.lastIndex();
  net.stabilize();
  // (b) 2 is elected in term 3 by 3's vote and appends its empty entry at the same index,
  //     which reaches nobody.
  net.heal();
  net.drop((m) => m.from === 2 && m.type === MessageType.Append);
  net.isolate(1);
  elect(net, 2);
  assert.equal(net.raft(2).log.term(indexB), 3);
  // (c) 2 goes away; 1 restarts, is elected in term 4 and copies "b" (term 2) to 3, but not
  //     its own term-4 entry. "b" is on a majority, yet must not count as committed.
  net.heal();
  net.isolate(2);
  net.restart(1);
  net.drop(
    (m) =>
      m.type === MessageType.Append &&
      m.entries.some((e) => e.term === 4) &&
      net.raft(m.to).log.matchTerm(m.index, m.logTerm), // would be accepted: drop it
  );
  elect(net, 1);
  assert.equal(net.raft(3).log.term(indexB), 2, '3 holds b');
  assert.ok(net.raft(1).log.committed < indexB, 'b must not be committed by counting replicas');
  // (d) 1 goes away; 2 restarts and (last term 3) can win 3's vote and overwrite "b".
  net.heal();
  net.isolate(1);
  net.restart(2);
  elect(net, 2);
  net.propose(2, 'c');
  net.stabilize();
  assert.equal(
    net.raft(3).log.term(indexB),
    3,
    'b was overwritten, which is only safe if uncommitted',
  );
  assert.deepEqual(net.node(3).applied, ['a', 'c']);
  // (e) 1 comes back and converges on the committed log.
  net.heal();
  net.tickAll(2);
  assert.deepEqual(net.node(1).applied, ['a', 'c']);
});

test('a divergent follower suffix is overwritten by the leader (log matching)', () => {
  const net = new Network([1, 2, 3], plain);
  elect(net, 1);
  net.propose(1, 'base');
  net.stabilize();
  // 1 writes three entries no one else sees, then loses leadership.
  net.isolate(1);
  for (const word of ['x1', 'x2', 'x3']) net.propose(1, word);
  net.heal();
  net.isolate(1);
  elect(net, 2);
  net.propose(2, 'y');
  net.stabilize();
  net.heal();
  net.tickAll(2);
  for (const id of [1, 2, 3]) assert.deepEqual(net.node(id).applied, ['base', 'y']);
  const last = net.raft(2).log.lastIndex();
  assert.equal(net.raft(1).log.lastIndex(), last);
  for (let i = 1; i <= last; i++) assert.equal(net.raft(1).log.term(i), net.raft(2).log.term(i));
});

test('a long divergent suffix is repaired in few round trips (conflict hint skips terms)', () => {
  const net = new Network([1, 2, 3], plain);
  elect(net, 1);
  net.isolate(1);
  for (let i = 0; i < 200; i++) net.propose(1, `stale-${i}`);
  net.heal();
  net.isolate(1);
  elect(net, 2);
  net.propose(2, 'fresh');
  net.stabilize();
  net.heal();
  const before = net.delivered.length;
  net.tickAll(2);
  const rejections = net.delivered
    .slice(before)
    .filter((m) => m.type === MessageType.AppendResponse && m.reject && m.from === 1);
  assert.ok(rejections.length <= 3, `${rejections.length} rejections to repair 200 entries`);
  assert.deepEqual(net.node(1).applied, ['fresh']);
});

test('Append messages are bounded in bytes and in number in flight', () => {
  const net = new Network([1, 2, 3], { maxMessageBytes: 100, maxInflightMessages: 4 });
  elect(net, 1);
  const sent: Message[] = [];
  net.drop((m) => {
    if (m.to === 3 && m.type === MessageType.Append) sent.push(m);
    return m.to === 3; // 3 never answers: the leader must stop at the window
  });
  for (let i = 0; i < 50; i++) net.propose(1, 'x'.repeat(60));
  net.stabilize();
  for (const m of sent) {
    const bytes = m.entries.reduce((sum, e) => sum + e.data.length, 0);
    assert.ok(m.entries.length === 1 || bytes <= 100, `message of ${bytes} bytes`);
  }
  assert.ok(sent.filter((m) => m.entries.length > 0).length <= 4, 'window of 4 messages');
  assert.equal(net.node(2).applied.length, 50, 'the healthy follower got everything');
});

test('the leader refuses proposals beyond the uncommitted byte budget', () => {
  const net = new Network([1, 2, 3], { maxUncommittedBytes: 1000 });
  elect(net, 1);
  net.isolate(2);
  net.isolate(3);
  let refused = 0;
  for (let i = 0; i < 20; i++) {
    const result = net.raft(1).propose(new Uint8Array(100));
    if (!result.ok) {
      assert.equal(result.reason, 'overloaded');
      refused++;
    }
  }
  assert.equal(refused, 10);
});

test('a restarted follower keeps its durable log and vote', () => {
  const net = new Network([1, 2, 3]);
  elect(net, 1);
  net.propose(1, 'kept');
  net.stabilize();
  const term = net.raft(2).term;
  net.restart(2);
  assert.equal(net.raft(2).term, term);
  assert.equal(net.raft(2).vote, 1);
  net.tickAll(2);
  assert.deepEqual(net.node(2).applied, ['kept'], 'replayed from its own log');
});
