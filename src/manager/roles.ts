// Promotion and demotion, run on the leader because a demotion changes the Raft membership.
// A promoted node learns its new role from its session, renews its certificate (the CA
// signs the role the store holds) and asks for a Raft seat; a demoted node leaves the Raft
// group here first, then learns it is a worker and stops its manager parts.
import { ConfChangeType } from '../raft/index.ts';
import type { Change, Node, NodeRole } from '../store/index.ts';
import { type ClusterState, QuorumLostError } from './cluster-state.ts';
import { addressOfRaftMember, clusterObject, managerAddresses } from './cluster-view.ts';

export class RoleChangeError extends Error {
  override name = 'RoleChangeError';
  readonly code = 'failed_precondition';
}

export interface RoleChangerOptions {
  state: ClusterState;
  /** Forwards the change to the leader at this address (this manager is a follower). */
  forward: (leaderAddr: string, nodeId: string, role: NodeRole, version: number) => Promise<void>;
}

const TRANSFER_WAIT_MS = 5000;

export class RoleChanger {
  constructor(private readonly options: RoleChangerOptions) {}

  async change(nodeId: string, role: NodeRole, version: number): Promise<void> {
    const { state } = this.options;
    if (!state.isLeader()) {
      const leader = addressOfRaftMember(state.store, state.leader());
      if (!leader) throw new QuorumLostError();
      return this.options.forward(leader, nodeId, role, version);
    }
    const node = state.store.get('nodes', nodeId);
    if (!node) throw Object.assign(new Error(`node ${nodeId} not found`), { code: 'not_found' });
    if (node.Spec.Role === role) return;
    if (role === 'manager') return this.promote(node, version);
    return this.demote(node, version);
  }

  private async promote(node: Node, version: number): Promise<void> {
    await this.options.state.propose([
      {
        kind: 'update',
        table: 'nodes',
        expectedVersion: version,
        object: { ...node, Spec: { ...node.Spec, Role: 'manager' } },
      },
    ]);
  }

  private async demote(node: Node, version: number): Promise<void> {
    const { state } = this.options;
    // Managers with a Raft seat other than this node (a node promoted a moment ago may have
    // none yet: demoting it only takes the role back).
    const others = managerAddresses(state.store).filter((m) => m.nodeId !== node.ID);
    if (others.length === 0) {
      throw new RoleChangeError('attempting to demote the last manager of the swarm');
    }
    const cluster = clusterObject(state.store)!;
    const raftId = cluster.Internal.raftIds[node.ID];
    if (raftId !== undefined) {
      if (raftId === state.raftId) return this.handOverThenDemote(node, version);
      this.checkQuorumAfterRemoving(raftId);
      await state.changeMembership(ConfChangeType.RemoveNode, raftId, new Uint8Array(0));
    }
    const { [node.ID]: _removed, ...raftIds } = cluster.Internal.raftIds;
    const { ManagerStatus: _status, ...worker } = node;
    const changes: Change[] = [
      {
        kind: 'update',
        table: 'nodes',
        expectedVersion: version,
        object: { ...worker, Spec: { ...node.Spec, Role: 'worker' } },
      },
      {
        kind: 'update',
        table: 'cluster',
        expectedVersion: cluster.Version.Index,
        object: { ...cluster, Internal: { ...cluster.Internal, raftIds } },
      },
    ];
    await state.propose(changes);
  }

  /** Removing a member must leave a majority of the remaining voters reachable. */
  private checkQuorumAfterRemoving(raftId: number): void {
    const status = this.options.state.raft.status();
    const remaining = status.voters.filter((id) => id !== raftId);
    const reachable = remaining.filter(
      (id) => id === status.id || status.progress.get(id)?.recentActive,
    ).length;
    if (reachable < Math.floor(remaining.length / 2) + 1) {
      throw new RoleChangeError(
        "can't remove member from the raft: this would result in a loss of quorum",
      );
    }
  }

  /** The leader cannot remove itself: it hands leadership over and lets the next leader do it. */
  private async handOverThenDemote(node: Node, version: number): Promise<void> {
    const { state } = this.options;
    const status = state.raft.status();
    const successor = status.voters.find(
      (id) => id !== status.id && status.progress.get(id)?.recentActive,
    );
    if (successor === undefined) {
      throw new RoleChangeError('no other reachable manager can take over the leadership');
    }
    state.transferLeadership(successor);
    const deadline = Date.now() + TRANSFER_WAIT_MS;
    while (state.isLeader() || state.leader() === 0) {
      if (Date.now() > deadline) throw new QuorumLostError();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.change(node.ID, 'worker', version);
  }
}
