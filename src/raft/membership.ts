// Cluster membership as seen at the applied index: voters, learners and retired ids.
// Changes are single-server (one voter added or removed per committed change), so the
// majorities of two consecutive configurations always overlap (Raft thesis §4.1).
import { type ConfChange, ConfChangeType, type ConfState, type NodeId } from './types.ts';

export class Membership {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  readonly removed = new Set<NodeId>();

  static from(state: ConfState): Membership {
    const membership = new Membership();
    for (const id of state.voters) membership.voters.add(id);
    for (const id of state.learners) membership.learners.add(id);
    for (const id of state.removed) membership.removed.add(id);
    return membership;
  }

  toState(): ConfState {
    const sorted = (set: Set<NodeId>) => [...set].sort((a, b) => a - b);
    return {
      voters: sorted(this.voters),
      learners: sorted(this.learners),
      removed: sorted(this.removed),
    };
  }

  isMember(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /**
   * Why the change cannot be proposed, or null when it can. Checked by the leader before it
   * proposes; `apply` re-checks the parts that decide the outcome, deterministically.
   */
  refusal(change: ConfChange): string | null {
    const { nodeId } = change;
    if (this.removed.has(nodeId)) return `node id ${nodeId} was removed and cannot be reused`;
    switch (change.type) {
      case ConfChangeType.AddLearner:
        if (this.learners.has(nodeId)) return `node ${nodeId} is already a learner`;
        if (this.voters.has(nodeId) && this.voters.size === 1)
          return 'cannot demote the last voter';
        return null;
      case ConfChangeType.AddVoter:
        if (this.voters.has(nodeId)) return `node ${nodeId} is already a voter`;
        if (!this.learners.has(nodeId)) return `node ${nodeId} must join as a learner first`;
        return null;
      case ConfChangeType.RemoveNode:
        if (!this.isMember(nodeId)) return `node ${nodeId} is not a member`;
        if (this.voters.has(nodeId) && this.voters.size === 1)
          return 'cannot remove the last voter';
        return null;
    }
  }

  /** Applies a committed change; a change that is no longer valid is a no-op on every node. */
  apply(change: ConfChange): boolean {
    const { nodeId } = change;
    if (this.removed.has(nodeId)) return false;
    const lastVoter = this.voters.size === 1 && this.voters.has(nodeId);
    switch (change.type) {
      case ConfChangeType.AddLearner:
        if (lastVoter) return false;
        this.voters.delete(nodeId);
        this.learners.add(nodeId);
        return true;
      case ConfChangeType.AddVoter:
        this.learners.delete(nodeId);
        this.voters.add(nodeId);
        return true;
      case ConfChangeType.RemoveNode:
        if (lastVoter) return false;
        this.voters.delete(nodeId);
        this.learners.delete(nodeId);
        this.removed.add(nodeId);
        return true;
    }
  }
}
