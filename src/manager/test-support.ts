// For tests of manager parts: a real one-member manager (Raft on an in-memory disk), the
// leader once started, stopped when the test ends.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MemFileSystem, RaftStorage } from '../storage/index.ts';
import { waitFor } from '../testkit/index.ts';
import { ClusterState } from './cluster-state.ts';

export async function singleManager(t: TestContext): Promise<ClusterState> {
  const storage = RaftStorage.open({ dir: '/raft', fs: new MemFileSystem(), kek: null });
  const state = new ClusterState({
    raftId: 1,
    storage,
    loaded: storage.load(),
    bootstrap: { voters: [1], learners: [], removed: [] },
    send: () => {},
    forward: () => Promise.reject(new Error('a one-member group has no one to forward to')),
    persist: 'thread-pool',
    tickMs: 5,
    electionTicks: 10,
    proposalTimeoutMs: 5000,
    onFatal: (error) => assert.fail(String(error)),
  });
  t.after(() => state.stop());
  state.start();
  await waitFor('the manager to lead', 5000, async () => (state.isLeader() ? true : undefined));
  return state;
}
