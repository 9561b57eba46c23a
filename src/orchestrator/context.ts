// What every reconciliation reads besides the service and its tasks: the nodes, the clock, an
// ID source and the cluster's history limit. All injected: the orchestrators are pure.
import type { Node, Task } from '../store/index.ts';

export interface OrchestratorContext {
  /** Milliseconds since the epoch. */
  now: number;
  newId: () => string;
  nodes: ReadonlyMap<string, Node>;
  /** The cluster's TaskHistoryRetentionLimit: tasks kept per slot (or per node), alive or not. */
  historyLimit: number;
}

export function timestampOf(now: number): string {
  return new Date(now).toISOString();
}

/** The node can keep running a task: it exists, is not down and not drained. */
export function nodeKeepsTasks(node: Node | undefined): boolean {
  return node !== undefined && node.Status.State !== 'down' && node.Spec.Availability !== 'drain';
}

/** The task sits on a node that will not run it any more (drained, down or removed). */
export function isOnLostNode(task: Task, nodes: ReadonlyMap<string, Node>): boolean {
  return task.NodeID !== undefined && !nodeKeepsTasks(nodes.get(task.NodeID));
}
