// Read helpers over the store that several manager components share.
import type { Cluster, Node, Store } from '../store/index.ts';

export interface ManagerAddress {
  nodeId: string;
  addr: string;
  raftId: number;
}

/** The one cluster object (absent only before `swarm init` has committed). */
export function clusterObject(store: Store): Cluster | undefined {
  return store.list('cluster')[0];
}

/** Every manager that holds a place in the Raft group, with its cluster address. */
export function managerAddresses(store: Store): ManagerAddress[] {
  const raftIds = clusterObject(store)?.Internal.raftIds ?? {};
  const managers: ManagerAddress[] = [];
  for (const node of store.list('nodes')) {
    const raftId = raftIds[node.ID];
    if (node.ManagerStatus && raftId !== undefined) {
      managers.push({ nodeId: node.ID, addr: node.ManagerStatus.Addr, raftId });
    }
  }
  return managers;
}

/** The cluster address of the manager with this Raft id ('' if unknown). */
export function addressOfRaftMember(store: Store, raftId: number): string {
  return managerAddresses(store).find((m) => m.raftId === raftId)?.addr ?? '';
}

export function nodeOfRaftMember(store: Store, raftId: number): Node | undefined {
  const entry = Object.entries(clusterObject(store)?.Internal.raftIds ?? {}).find(
    ([, id]) => id === raftId,
  );
  return entry ? store.get('nodes', entry[0]) : undefined;
}
