// Placement preferences (`spread=node.labels.datacenter`): swarmkit's decision tree. Each
// preference splits the nodes by the value its descriptor reads on them, nested in the order
// given; nodes without the label form their own group (value ""), which receives tasks in the
// same proportion as any other group, as Docker documents. Tasks are spread evenly over the
// groups at each level (counting the service's tasks already there); a group with no room left
// hands its share to the others. Inside a leaf, the service's strategy picks the node.
//
// swarmkit computes per-branch quotas for the whole batch and iterates its branches in map
// order; Shoal places one task at a time into the branch with the fewest tasks of the service
// (ties: the smaller value first, so the "" group comes first), which gives the same counts when
// the groups start even and a more even result when they start uneven, deterministically.
//
// Descriptors: `node.labels.X` and `engine.labels.X` as in swarmkit; Shoal also accepts
// `node.id`, `node.hostname`, `node.role`, `node.platform.os` and `node.platform.arch` (swarmkit's
// TODO). Any other descriptor is ignored, as swarmkit ignores it.
import type { Node } from '../store/index.ts';
import { ENGINE_LABEL_PREFIX, labelName, NODE_LABEL_PREFIX, ownValue } from './constraints.ts';
import { PlacementPreferenceError } from './errors.ts';
import { type NodeInfo, serviceTaskCount } from './node-info.ts';

/** Docker's PlacementPreference (only spread exists). */
export interface PlacementPreference {
  Spread: { SpreadDescriptor: string };
}

/**
 * Parses the docker CLI's `--placement-pref` value (`spread=node.labels.datacenter`), with the
 * CLI's messages. The descriptor is not checked, as the CLI does not check it; see
 * isSupportedSpreadDescriptor.
 */
export function parsePlacementPreference(value: string): PlacementPreference {
  const fields = value.split('=');
  if (fields.length !== 2) {
    throw new PlacementPreferenceError(
      'placement preference must be of the format "<strategy>=<arg>"',
      value,
    );
  }
  const [strategy, descriptor] = fields as [string, string];
  if (strategy !== 'spread') {
    throw new PlacementPreferenceError(
      `unsupported placement preference ${strategy} (only spread is supported)`,
      value,
    );
  }
  return { Spread: { SpreadDescriptor: descriptor } };
}

type ValueReader = (node: Node) => string;

const FIELD_READERS: Readonly<Record<string, ValueReader>> = {
  'node.id': (node) => node.ID,
  'node.hostname': (node) => node.Description?.Hostname ?? '',
  'node.role': (node) => node.Spec.Role,
  'node.platform.os': (node) => node.Description?.Platform?.OS ?? '',
  'node.platform.arch': (node) => node.Description?.Platform?.Architecture ?? '',
};

/** How to read a descriptor's value on a node; undefined when the descriptor is unsupported. */
export function spreadReader(descriptor: string): ValueReader | undefined {
  const nodeLabel = labelName(descriptor, NODE_LABEL_PREFIX);
  if (nodeLabel !== undefined) return (node) => ownValue(node.Spec.Labels, nodeLabel);
  const engineLabel = labelName(descriptor, ENGINE_LABEL_PREFIX);
  if (engineLabel !== undefined) {
    return (node) => ownValue(node.Description?.Engine?.Labels, engineLabel);
  }
  const field = descriptor.toLowerCase();
  return Object.hasOwn(FIELD_READERS, field) ? FIELD_READERS[field] : undefined;
}

/** Whether the scheduler spreads over this descriptor (others are ignored, as in swarmkit). */
export function isSupportedSpreadDescriptor(descriptor: string): boolean {
  return spreadReader(descriptor) !== undefined;
}

export interface DecisionTree {
  /** Active tasks of the service on every node under this branch (eligible or not). */
  tasks: number;
  /** Set once no node under this branch can take another task of the group. */
  full: boolean;
  /** Inner branch: one sub-branch per value, in value order. Undefined for a leaf. */
  branches: DecisionTree[] | undefined;
  /** Leaf: the nodes that passed the group's static filters, in node ID order. */
  candidates: NodeInfo[];
}

interface BuildingTree {
  tasks: number;
  next: Map<string, BuildingTree> | undefined;
  candidates: NodeInfo[];
}

/**
 * Splits the nodes by the preferences (swarmkit's nodeSet.tree). Every node counts its tasks of
 * the service in its branches; only nodes passing `isCandidate` can receive tasks.
 */
export function buildTree(
  nodeInfos: readonly NodeInfo[],
  serviceId: string,
  preferences: readonly PlacementPreference[],
  isCandidate: (info: NodeInfo) => boolean,
): DecisionTree {
  const readers: ValueReader[] = [];
  for (const preference of preferences) {
    const descriptor = preference?.Spread?.SpreadDescriptor;
    const reader = typeof descriptor === 'string' ? spreadReader(descriptor) : undefined;
    if (reader !== undefined) readers.push(reader);
  }
  const root: BuildingTree = { tasks: 0, next: undefined, candidates: [] };
  for (const info of nodeInfos) {
    const tasks = serviceTaskCount(info, serviceId);
    let branch = root;
    for (const read of readers) {
      branch.tasks += tasks;
      branch.next ??= new Map();
      const value = read(info.node);
      let next = branch.next.get(value);
      if (next === undefined) {
        next = { tasks: 0, next: undefined, candidates: [] };
        branch.next.set(value, next);
      }
      branch = next;
    }
    branch.tasks += tasks;
    if (isCandidate(info)) branch.candidates.push(info);
  }
  return finish(root);
}

function finish(tree: BuildingTree): DecisionTree {
  if (tree.next === undefined) {
    return { tasks: tree.tasks, full: false, branches: undefined, candidates: tree.candidates };
  }
  const values = [...tree.next.keys()].sort(compareStrings);
  return {
    tasks: tree.tasks,
    full: false,
    branches: values.map((value) => finish(tree.next!.get(value)!)),
    candidates: [],
  };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Places one task: descends into the branch with the fewest tasks of the service that still has
 * room, and lets `pickInLeaf` choose the node there. Returns undefined (and marks the tree full)
 * when no branch has room. Every failed descent marks a branch full, so the work per call is
 * bounded by the size of the tree plus the leaf picks.
 */
export function placeOne(
  tree: DecisionTree,
  pickInLeaf: (leaf: DecisionTree) => NodeInfo | undefined,
): NodeInfo | undefined {
  if (tree.full) return undefined;
  if (tree.branches === undefined) {
    const picked = pickInLeaf(tree);
    if (picked === undefined) tree.full = true;
    else tree.tasks += 1;
    return picked;
  }
  for (;;) {
    let best: DecisionTree | undefined;
    for (const branch of tree.branches) {
      if (!branch.full && (best === undefined || branch.tasks < best.tasks)) best = branch;
    }
    if (best === undefined) {
      tree.full = true;
      return undefined;
    }
    const picked = placeOne(best, pickInLeaf);
    if (picked !== undefined) {
      tree.tasks += 1;
      return picked;
    }
    // placeOne marked `best` full; try the next branch.
  }
}
