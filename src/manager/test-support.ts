// For tests of manager parts: a real one-member manager (Raft on an in-memory disk), the
// leader once started, stopped when the test ends.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MemFileSystem, RaftStorage } from '../storage/index.ts';
import { waitFor } from '../testkit/index.ts';
import { ClusterState, type ClusterStateOptions } from './cluster-state.ts';

/** What a test member needs said; the rest is fixed: an in-memory disk and fast ticks. */
export type TestMemberOptions = Pick<
  ClusterStateOptions,
  'raftId' | 'bootstrap' | 'send' | 'forward'
> &
  Partial<Pick<ClusterStateOptions, 'proposalTimeoutMs'>>;

/** A manager's replicated store on its own in-memory disk, ticking every 5 ms; not started. */
export function testMember(options: TestMemberOptions): ClusterState {
  const storage = RaftStorage.open({ dir: '/raft', fs: new MemFileSystem(), kek: null });
  return new ClusterState({
    storage,
    loaded: storage.load(),
    persist: 'thread-pool',
    tickMs: 5,
    electionTicks: 10,
    proposalTimeoutMs: 1500,
    onFatal: (error) => assert.fail(String(error)),
    ...options,
  });
}

export async function singleManager(t: TestContext): Promise<ClusterState> {
  const state = testMember({
    raftId: 1,
    bootstrap: { voters: [1], learners: [], removed: [] },
    send: () => {},
    forward: () => Promise.reject(new Error('a one-member group has no one to forward to')),
    proposalTimeoutMs: 5000,
  });
  t.after(() => state.stop());
  state.start();
  await waitFor('the manager to lead', 5000, async () => (state.isLeader() ? true : undefined));
  return state;
}
