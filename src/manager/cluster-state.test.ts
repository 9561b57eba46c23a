// Managers' replicated store: three ClusterStates in one process over an in-memory network,
// each with its own in-memory disk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfChangeType, EMPTY_BYTES, type Message, type NodeId } from '../raft/index.ts';
import { ConflictError } from '../store/index.ts';
import { createService, serviceInput } from '../store/test-support.ts';
import { waitFor } from '../testkit/index.ts';
import { type ClusterState, QuorumLostError } from './cluster-state.ts';
import { testMember } from './test-support.ts';

class Cluster {
  readonly members = new Map<NodeId, ClusterState>();
  readonly blocked = new Set<NodeId>();

  add(raftId: NodeId, founders: NodeId[] | null): ClusterState {
    const state = testMember({
      raftId,
      bootstrap: founders ? { voters: founders, learners: [], removed: [] } : null,
      send: (messages) => this.send(messages),
      forward: (leader, batch) => this.members.get(leader)!.proposeHere(batch),
    });
    this.members.set(raftId, state);
    state.start();
    return state;
  }

  private send(messages: Message[]): void {
    for (const m of messages) {
      if (this.blocked.has(m.from) || this.blocked.has(m.to)) continue;
      setImmediate(() => this.members.get(m.to)?.step(m));
    }
  }

  async leader(): Promise<ClusterState> {
    return waitFor('a leader', 5000, async () =>
      [...this.members.values()].find((m) => m.isLeader() && !this.blocked.has(m.raftId)),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.stop()));
  }
}

async function converged(cluster: Cluster, check: (member: ClusterState) => boolean) {
  await waitFor('every member to apply', 5000, async () =>
    [...cluster.members.values()].every(check) ? true : undefined,
  );
}

test('a write on the leader or a follower is applied by every manager', async (t) => {
  const cluster = new Cluster();
  t.after(() => cluster.stop());
  for (const id of [1, 2, 3]) cluster.add(id, [1, 2, 3]);
  const leader = await cluster.leader();
  await leader.propose([createService('s1', 'web')]);
  const follower = [...cluster.members.values()].find((m) => m !== leader)!;
  await follower.propose([createService('s2', 'db')]);
  await converged(cluster, (m) => m.store.count('services') === 2);
  const web = follower.store.get('services', 's1')!;
  assert.equal(web.Spec.Name, 'web');
});

test('a stale version is refused and changes nothing', async (t) => {
  const cluster = new Cluster();
  t.after(() => cluster.stop());
  for (const id of [1, 2, 3]) cluster.add(id, [1, 2, 3]);
  const leader = await cluster.leader();
  await leader.propose([createService('s1', 'web')]);
  const version = leader.store.get('services', 's1')!.Version.Index;
  const update = (replicas: number) => ({
    kind: 'update' as const,
    table: 'services' as const,
    object: serviceInput('s1', 'web', replicas),
    expectedVersion: version,
  });
  await leader.propose([update(3)]);
  await assert.rejects(leader.propose([update(5)]), ConflictError);
  const service = leader.store.get('services', 's1')!;
  assert.deepEqual(service.Spec.Mode, { Replicated: { Replicas: 3 } });
});

test('without a quorum, writes fail with a clear error instead of hanging', async (t) => {
  const cluster = new Cluster();
  t.after(() => cluster.stop());
  for (const id of [1, 2, 3]) cluster.add(id, [1, 2, 3]);
  const leader = await cluster.leader();
  for (const member of cluster.members.values()) {
    if (member !== leader) cluster.blocked.add(member.raftId);
  }
  const started = Date.now();
  await assert.rejects(leader.propose([createService('s1', 'web')]), QuorumLostError);
  assert.ok(Date.now() - started < 3000);
  assert.equal(leader.store.count('services'), 0, 'reads still work and show nothing half-made');
});

test('a manager joins as a learner, catches up, and is promoted to voter', async (t) => {
  const cluster = new Cluster();
  t.after(() => cluster.stop());
  for (const id of [1, 2, 3]) cluster.add(id, [1, 2, 3]);
  const leader = await cluster.leader();
  for (let i = 0; i < 20; i++) await leader.propose([createService(`s${i}`, `svc${i}`)]);
  const joiner = cluster.add(4, null);
  await leader.changeMembership(ConfChangeType.AddLearner, 4, EMPTY_BYTES);
  // Caught up as the leader sees it: a voter is only added once its match reaches the commit.
  await waitFor('the learner to catch up', 5000, async () => {
    const status = leader.raft.status();
    const match = status.progress.get(4)?.match ?? 0;
    return joiner.store.count('services') === 20 && match >= status.commit ? true : undefined;
  });
  await leader.changeMembership(ConfChangeType.AddVoter, 4, EMPTY_BYTES);
  assert.deepEqual(leader.raft.status().voters, [1, 2, 3, 4]);
  await joiner.propose([createService('from-4', 'joined')]);
  await converged(cluster, (m) => m.store.count('services') === 21);
});
