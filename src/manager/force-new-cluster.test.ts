import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfChangeType,
  DEFAULT_CONFIG,
  type Entry,
  EntryType,
  encodeConfChange,
  Raft,
} from '../raft/index.ts';
import { MemFileSystem, RaftStorage } from '../storage/index.ts';
import { forceNewCluster, membershipAtEnd } from './force-new-cluster.ts';

const EMPTY = new Uint8Array(0);

function conf(index: number, type: ConfChangeType, nodeId: number): Entry {
  return {
    term: 1,
    index,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type, nodeId, context: EMPTY }),
  };
}

function normal(index: number, term: number): Entry {
  return { term, index, type: EntryType.Normal, data: Buffer.from(`data ${index}`) };
}

/** Storage holding the log of a three-member group, reopened as a restarted member would. */
function storageWithThreeMembers(fs: MemFileSystem): RaftStorage {
  const storage = RaftStorage.open({ dir: '/raft', fs, kek: null });
  storage.load();
  storage.save({ term: 3, vote: 1, commit: 5 }, [
    conf(1, ConfChangeType.AddVoter, 1),
    conf(2, ConfChangeType.AddLearner, 2),
    conf(3, ConfChangeType.AddVoter, 2),
    conf(4, ConfChangeType.AddVoter, 3),
    normal(5, 2),
    normal(6, 3), // not committed when the quorum was lost
  ]);
  storage.close();
  return RaftStorage.open({ dir: '/raft', fs, kek: null });
}

test('the membership at the end of the log replays every conf change', () => {
  const storage = storageWithThreeMembers(new MemFileSystem());
  assert.deepEqual(membershipAtEnd(storage.load()), {
    voters: [1, 2, 3],
    learners: [],
    removed: [],
  });
});

test('force-new-cluster leaves this member alone, with every entry committed', () => {
  const fs = new MemFileSystem();
  const storage = storageWithThreeMembers(fs);
  assert.deepEqual(forceNewCluster(storage, 1), [2, 3]);
  storage.close();
  const reopened = RaftStorage.open({ dir: '/raft', fs, kek: null });
  const loaded = reopened.load();
  assert.equal(loaded.hardState.term, 4);
  assert.equal(loaded.hardState.commit, 8);
  assert.equal(loaded.entries.length, 8);
  assert.deepEqual(membershipAtEnd(loaded), { voters: [1], learners: [], removed: [2, 3] });

  // The Raft core started on it applies everything and, alone, elects itself.
  const raft = new Raft(
    { ...DEFAULT_CONFIG, id: 1, random: () => 0.5 },
    { ...loaded, bootstrap: null },
  );
  for (let i = 0; i < 100 && raft.leader !== 1; i++) {
    raft.tick();
    if (raft.hasReady()) raft.advance(raft.ready());
  }
  assert.equal(raft.leader, 1);
  assert.deepEqual(raft.status().voters, [1]);
});

test('a member that is not a voter cannot force a new cluster', () => {
  const storage = storageWithThreeMembers(new MemFileSystem());
  assert.throws(() => forceNewCluster(storage, 9), /not a voter/);
});
