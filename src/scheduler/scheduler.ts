// schedule(): which node each pending task goes to, or why none fits. Pure: the same input and
// the same random sequence give the same decisions.
//
// Order of work, as in swarmkit's scheduler:
//   1. Tasks that arrive with a NodeID (global services) are only checked against that node
//      (swarmkit's taskFitNode); when it does not fit, the reason is the bare explanation
//      ("insufficient resources on 1 node"), as swarmkit writes it.
//   2. The other tasks are grouped by service and spec version (swarmkit's commonSpecKey; a task
//      without SpecVersion is a group of its own), groups in the order their first task comes in
//      `pending`. A group is filtered once, split by its placement preferences, and its tasks are
//      placed one by one, each placement updating the node view (reservations, host ports, task
//      counts) that later tasks and groups of the same call see.
//   3. Tasks of a group left without a node all get the same reason: "no suitable node (...)".
//
// Bounds: building the view is O(nodes + placed). Each group costs O(nodes × (static filters +
// preferences)) to build its tree, O(leaf nodes × dynamic filters) per task placed, and one
// O(nodes × filters) explanation if some of its tasks stay unplaced. Nodes that fail a dynamic
// filter (resources, host ports, max replicas) are dropped from the group's candidates for good,
// since placements only ever use up nodes. So a call does at most O(pending × nodes × filter
// cost) work, where filter cost is the number of constraints, host ports and preferences of a
// task; no loop runs longer than that and nothing recurses deeper than the preferences.
import type { Node, Service, Task } from '../store/index.ts';
import {
  explain,
  type Filter,
  noSuitableNode,
  passes,
  pipelineFor,
  requirementsOf,
  type TaskRequirements,
} from './filters.ts';
import {
  addTask,
  isActive,
  type NodeInfo,
  newNodeInfo,
  placedTaskHostPorts,
  reservationsOf,
} from './node-info.ts';
import { buildTree, type DecisionTree, placeOne } from './preferences.ts';
import { selectNode, strategyOf } from './strategies.ts';
import type { Placement, ScheduleDecisions, ScheduleInput, Unplaced } from './types.ts';

/** The nodes as the scheduler sees them during one call. */
interface NodeView {
  /** In node ID order, which is also the order ties are broken in. */
  ordered: NodeInfo[];
  byId: Map<string, NodeInfo>;
}

type Outcome = { nodeId: string } | { reason: string };

export function schedule(input: ScheduleInput): ScheduleDecisions {
  assertInput(input);
  const view = buildView(input.nodes, input.placed, input.services);
  const outcomes = new Map<string, Outcome>();

  for (const task of input.pending) {
    if (task.NodeID) outcomes.set(task.ID, schedulePreassigned(view, task, input.services));
  }
  for (const group of groupPending(input.pending)) {
    scheduleGroup(view, group, input.services, input.random, outcomes);
  }

  const placed: Placement[] = [];
  const unplaced: Unplaced[] = [];
  for (const task of input.pending) {
    const outcome = outcomes.get(task.ID)!;
    if ('nodeId' in outcome) placed.push({ taskId: task.ID, nodeId: outcome.nodeId });
    else unplaced.push({ taskId: task.ID, reason: outcome.reason });
  }
  return { placed, unplaced };
}

function assertInput(input: ScheduleInput): void {
  if (typeof input.random !== 'function') throw new TypeError('scheduler: random is required');
  const nodeIds = new Set<string>();
  for (const node of input.nodes) {
    if (nodeIds.has(node.ID)) throw new Error(`scheduler: node ${node.ID} listed twice`);
    nodeIds.add(node.ID);
  }
  const placedIds = new Set(input.placed.map((task) => task.ID));
  const pendingIds = new Set<string>();
  for (const task of input.pending) {
    if (pendingIds.has(task.ID)) throw new Error(`scheduler: task ${task.ID} pending twice`);
    if (placedIds.has(task.ID)) {
      throw new Error(`scheduler: task ${task.ID} is both pending and placed`);
    }
    pendingIds.add(task.ID);
  }
}

function buildView(
  nodes: readonly Node[],
  placed: readonly Task[],
  services: ReadonlyMap<string, Service>,
): NodeView {
  const ordered = [...nodes]
    .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))
    .map((node) => newNodeInfo(node));
  const byId = new Map(ordered.map((info) => [info.id, info]));
  for (const task of placed) {
    const info = task.NodeID ? byId.get(task.NodeID) : undefined;
    // A task on a node that left the cluster holds nothing anywhere the scheduler can place.
    if (info === undefined) continue;
    addTask(
      info,
      { ServiceID: task.ServiceID, active: isActive(task) },
      reservationsOf(task.Spec),
      placedTaskHostPorts(task, services.get(task.ServiceID)),
    );
  }
  return { ordered, byId };
}

/** Unassigned tasks by (service, spec version), in the order of their first task. */
function groupPending(pending: readonly Task[]): Task[][] {
  const groups = new Map<string, Task[]>();
  for (const task of pending) {
    if (task.NodeID) continue;
    const key =
      task.SpecVersion === undefined
        ? `task\u0000${task.ID}`
        : `service\u0000${task.ServiceID}\u0000${task.SpecVersion.Index}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [task]);
    else group.push(task);
  }
  return [...groups.values()];
}

function schedulePreassigned(
  view: NodeView,
  task: Task,
  services: ReadonlyMap<string, Service>,
): Outcome {
  const nodeId = task.NodeID!;
  const service = services.get(task.ServiceID);
  if (service === undefined) return { reason: serviceNotFound(task.ServiceID) };
  const info = view.byId.get(nodeId);
  if (info === undefined) return { reason: `node ${nodeId} not found` };
  const requirements = requirementsOf(task, service);
  const pipeline = pipelineFor(requirements);
  if (!passes(pipeline, requirements, info)) {
    return { reason: explain(pipeline, requirements, [info]) };
  }
  commit(info, task, requirements);
  return { nodeId };
}

function scheduleGroup(
  view: NodeView,
  group: readonly Task[],
  services: ReadonlyMap<string, Service>,
  random: () => number,
  outcomes: Map<string, Outcome>,
): void {
  const first = group[0]!;
  const service = services.get(first.ServiceID);
  if (service === undefined) {
    // The service was removed; the orchestrator removes its tasks. Assigning them would only
    // start containers about to be stopped.
    for (const task of group) outcomes.set(task.ID, { reason: serviceNotFound(task.ServiceID) });
    return;
  }
  // Every task of a group has the same spec, so the first speaks for all (as in swarmkit).
  const requirements = requirementsOf(first, service);
  const pipeline = pipelineFor(requirements);
  const staticFilters = pipeline.filter((filter) => !filter.dynamic);
  const dynamicFilters = pipeline.filter((filter) => filter.dynamic);
  const placement = first.Spec.Placement;
  const tree = buildTree(
    view.ordered,
    requirements.serviceId,
    placement?.Preferences ?? [],
    (info) => passes(staticFilters, requirements, info),
  );
  const strategy = strategyOf(placement?.Strategy);
  const pickInLeaf = (leaf: DecisionTree): NodeInfo | undefined => {
    leaf.candidates = stillFitting(leaf.candidates, dynamicFilters, requirements);
    return selectNode(strategy, leaf.candidates, requirements, random);
  };

  let reason: string | undefined;
  for (const task of group) {
    const info = reason === undefined ? placeOne(tree, pickInLeaf) : undefined;
    if (info !== undefined) {
      commit(info, task, requirements);
      outcomes.set(task.ID, { nodeId: info.id });
      continue;
    }
    reason ??= noSuitableNode(explain(pipeline, requirements, view.ordered));
    outcomes.set(task.ID, { reason });
  }
}

function stillFitting(
  candidates: NodeInfo[],
  dynamicFilters: readonly Filter[],
  requirements: TaskRequirements,
): NodeInfo[] {
  if (dynamicFilters.length === 0) return candidates;
  return candidates.filter((info) => passes(dynamicFilters, requirements, info));
}

function commit(info: NodeInfo, task: Task, requirements: TaskRequirements): void {
  addTask(
    info,
    { ServiceID: task.ServiceID, active: isActive(task) },
    requirements.reservations,
    requirements.hostPorts,
  );
}

function serviceNotFound(serviceId: string): string {
  return `service ${serviceId} not found`;
}
