// `swarm init --force-new-cluster`: a surviving manager of a cluster that lost its quorum
// becomes the only member of its Raft group, with all the state it holds.
//
// As etcd's --force-new-cluster: everything in this member's log counts as committed, and
// entries removing every other member are appended in a new term, committed too. When the
// member starts, it applies them like any membership change and, alone, elects itself. The
// other managers are then recorded as workers (recordRecovery), so that one that comes back
// learns its new role and drops its stale Raft data instead of disrupting the new group.
import {
  ConfChangeType,
  type ConfState,
  decodeConfChange,
  type Entry,
  EntryType,
  encodeConfChange,
} from '../raft/index.ts';
import type { LoadedState, RaftStorage } from '../storage/index.ts';
import type { Change, Store } from '../store/index.ts';

/** The membership at the end of the log: the snapshot's, then every conf change after it. */
export function membershipAtEnd(loaded: LoadedState): ConfState {
  const conf = loaded.snapshot?.metadata.conf ?? { voters: [], learners: [], removed: [] };
  const voters = new Set(conf.voters);
  const learners = new Set(conf.learners);
  const removed = new Set(conf.removed);
  for (const entry of loaded.entries) {
    if (entry.type !== EntryType.ConfChange) continue;
    const change = decodeConfChange(entry.data);
    if (change.type === ConfChangeType.AddLearner) {
      learners.add(change.nodeId);
    } else if (change.type === ConfChangeType.AddVoter) {
      learners.delete(change.nodeId);
      voters.add(change.nodeId);
    } else {
      voters.delete(change.nodeId);
      learners.delete(change.nodeId);
      removed.add(change.nodeId);
    }
  }
  return { voters: [...voters], learners: [...learners], removed: [...removed] };
}

/**
 * Rewrites this member's log so that it alone makes the group. Returns the Raft ids removed.
 * The storage must be open and not used by a running member.
 */
export function forceNewCluster(storage: RaftStorage, selfId: number): number[] {
  const loaded = storage.load();
  const conf = membershipAtEnd(loaded);
  if (!conf.voters.includes(selfId)) {
    throw new Error(`this node (Raft member ${selfId}) is not a voter of the group it holds`);
  }
  const others = [...conf.voters, ...conf.learners]
    .filter((id) => id !== selfId)
    .sort((a, b) => a - b);
  const lastIndex = loaded.entries.at(-1)?.index ?? loaded.snapshot?.metadata.index ?? 0;
  const term = loaded.hardState.term + 1;
  const entries: Entry[] = others.map((nodeId, k) => ({
    term,
    index: lastIndex + 1 + k,
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId, context: new Uint8Array(0) }),
  }));
  const commit = lastIndex + entries.length;
  storage.save({ term, vote: selfId, commit }, entries);
  return others;
}

/** The store changes that follow a recovery: removed managers become workers. */
export function recordRecovery(store: Store, removed: readonly number[]): Change[] {
  const cluster = store.list('cluster')[0];
  if (cluster === undefined) return [];
  const gone = new Set(removed);
  const raftIds = { ...cluster.Internal.raftIds };
  const changes: Change[] = [];
  for (const [nodeId, raftId] of Object.entries(cluster.Internal.raftIds)) {
    if (!gone.has(raftId)) continue;
    delete raftIds[nodeId];
    const node = store.get('nodes', nodeId);
    if (node === undefined) continue;
    const { ManagerStatus: _dropped, ...rest } = node;
    changes.push({
      kind: 'update',
      table: 'nodes',
      expectedVersion: node.Version.Index,
      object: { ...rest, Spec: { ...node.Spec, Role: 'worker' } },
    });
  }
  if (
    changes.length === 0 &&
    Object.keys(raftIds).length === Object.keys(cluster.Internal.raftIds).length
  ) {
    return [];
  }
  changes.unshift({
    kind: 'update',
    table: 'cluster',
    expectedVersion: cluster.Version.Index,
    object: { ...cluster, Internal: { ...cluster.Internal, raftIds } },
  });
  return changes;
}
