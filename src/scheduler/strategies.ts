// How the scheduler picks among the nodes of a leaf that pass every filter (Placement.Strategy,
// a Shoal extension; swarmkit only spreads).
//
//   spread   swarmkit's nodeLess: fewest active tasks of this service, then fewest active
//            tasks in all. Remaining ties go to the smallest node ID, so a run is reproducible
//            without spending random numbers.
//   binpack  classic Docker Swarm's binpack: the node that would be the most loaded by
//            reservations once the task is on it (for each of CPU and memory the task reserves:
//            reserved after placement / total; summed), then the node with the most active
//            tasks, then the smallest node ID. A task reserving nothing goes where most tasks
//            already are, so binpack fills one node before the next (within the filters, e.g.
//            MaxReplicas).
//   random   uniform among the candidates, one call to input.random per placement with more
//            than one candidate.
import type { PlacementStrategy } from '../store/index.ts';
import type { TaskRequirements } from './filters.ts';
import { type NodeInfo, serviceTaskCount } from './node-info.ts';

export const PLACEMENT_STRATEGIES: readonly PlacementStrategy[] = ['spread', 'binpack', 'random'];

export function isPlacementStrategy(value: unknown): value is PlacementStrategy {
  return typeof value === 'string' && (PLACEMENT_STRATEGIES as readonly string[]).includes(value);
}

/** The strategy a task asks for; 'spread' when unset or unknown. */
export function strategyOf(value: unknown): PlacementStrategy {
  return isPlacementStrategy(value) ? value : 'spread';
}

/** Picks one of `candidates` (all fit the task); undefined only when there are none. */
export function selectNode(
  strategy: PlacementStrategy,
  candidates: readonly NodeInfo[],
  requirements: TaskRequirements,
  random: () => number,
): NodeInfo | undefined {
  if (candidates.length <= 1) return candidates[0];
  switch (strategy) {
    case 'spread':
      return best(candidates, (a, b) => spreadLess(a, b, requirements.serviceId));
    case 'binpack':
      return best(candidates, (a, b) => binpackLess(a, b, requirements));
    case 'random':
      return candidates[randomIndex(random, candidates.length)];
  }
}

/** The first candidate no other is strictly better than (candidates are in node ID order). */
function best(
  candidates: readonly NodeInfo[],
  less: (a: NodeInfo, b: NodeInfo) => boolean,
): NodeInfo | undefined {
  let chosen = candidates[0];
  for (const candidate of candidates) {
    if (chosen === undefined || less(candidate, chosen)) chosen = candidate;
  }
  return chosen;
}

/** swarmkit's nodeLess without its recent-failures rule (Shoal keeps no failure history). */
export function spreadLess(a: NodeInfo, b: NodeInfo, serviceId: string): boolean {
  const byServiceA = serviceTaskCount(a, serviceId);
  const byServiceB = serviceTaskCount(b, serviceId);
  if (byServiceA !== byServiceB) return byServiceA < byServiceB;
  return a.activeTasks < b.activeTasks;
}

function binpackLess(a: NodeInfo, b: NodeInfo, requirements: TaskRequirements): boolean {
  const weightA = binpackWeight(a, requirements);
  const weightB = binpackWeight(b, requirements);
  if (weightA !== weightB) return weightA > weightB;
  return a.activeTasks > b.activeTasks;
}

/** Load after placing the task, over the dimensions the task reserves (0 when none). */
export function binpackWeight(info: NodeInfo, requirements: TaskRequirements): number {
  const { nanoCpus, memoryBytes } = requirements.reservations;
  let weight = 0;
  if (nanoCpus > 0 && info.totalNanoCpus > 0) {
    weight += (info.totalNanoCpus - info.availableNanoCpus + nanoCpus) / info.totalNanoCpus;
  }
  if (memoryBytes > 0 && info.totalMemoryBytes > 0) {
    weight +=
      (info.totalMemoryBytes - info.availableMemoryBytes + memoryBytes) / info.totalMemoryBytes;
  }
  return weight;
}

/** An index in [0, count) from input.random, which must return a number in [0, 1). */
export function randomIndex(random: () => number, count: number): number {
  const value = random();
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(`scheduler: input.random() returned ${value}, not a number in [0, 1)`);
  }
  return Math.min(count - 1, Math.floor(value * count));
}
