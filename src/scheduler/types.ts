// The scheduler's inputs and decisions. The scheduler is pure: it reads a snapshot of nodes
// and tasks and returns which node each pending task goes to (or why none fits). The manager's
// leader feeds it from the store and proposes the decisions as one batch.
import type { Node, Service, Task } from '../store/index.ts';

export interface ScheduleInput {
  /** Every node of the cluster (any state; the filters decide). */
  nodes: readonly Node[];
  /**
   * Every task that holds resources or ports on a node: assigned (NodeID set), desired state
   * at most 'running', status not yet terminal. Used for reservations, host ports, max replicas
   * per node and spreading.
   */
  placed: readonly Task[];
  /** The tasks to place (status 'pending', no NodeID), in the order they should be tried. */
  pending: readonly Task[];
  /** The services of the pending tasks, by ID (strategy, placement preferences). */
  services: ReadonlyMap<string, Service>;
  /** In [0, 1); for the 'random' strategy and ties. Injected so runs are reproducible. */
  random: () => number;
}

export interface Placement {
  taskId: string;
  nodeId: string;
}

export interface Unplaced {
  taskId: string;
  /** As swarm words it: "no suitable node (scheduling constraints not satisfied on 3 nodes)". */
  reason: string;
}

export interface ScheduleDecisions {
  placed: Placement[];
  unplaced: Unplaced[];
}
