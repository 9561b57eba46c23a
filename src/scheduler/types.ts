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
  /**
   * The tasks to place (status 'pending'), in the order they should be tried. A task that comes
   * with a NodeID (a global service's) is only checked against that node.
   */
  pending: readonly Task[];
  /**
   * Services by ID: those of the pending tasks (required: their host-mode published ports; a
   * pending task whose service is missing is left unplaced), and best also those of the placed
   * tasks, whose host-mode ports are otherwise known only from their Status.PortStatus.
   * Placement (constraints, preferences, strategy, max replicas, platforms) is read from each
   * task's own Spec, as swarmkit does.
   */
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
