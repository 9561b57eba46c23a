// The filter pipeline: which nodes a task may go to, and why not, in swarmkit's order and words
// (manager/scheduler/filter.go and pipeline.go). Each filter is enabled only when the task asks
// for what it checks (swarmkit's SetTask); a node's first failing filter is the one blamed.
//
//   ready         Status.State 'ready', availability 'active'
//                 "1 node not available for new tasks", "N nodes not available for new tasks"
//   runtime       Shoal's: the node offers the task's runtime (docker or exec)
//                 "docker runtime not available on N nodes"
//   resources     NanoCPUs, MemoryBytes and generic resources left on the node
//                 "insufficient resources on N nodes"
//   constraints   Placement.Constraints
//                 "scheduling constraints not satisfied on N nodes"
//   platform      Placement.Platforms against Description.Platform
//                 "unsupported platform on N nodes"
//   host ports    a host-mode PublishedPort already held on the node
//                 "host-mode port already in use on N nodes"
//   max replicas  Placement.MaxReplicas active tasks of the service already on the node
//                 "max replicas per node limit exceed" (swarmkit gives no count here)
//
// Left out: swarmkit's plugin filter (Shoal has no volume, network or log driver plugins to
// check) and its CSI volume filter. ContainerSpec.Devices (Shoal's extension) is not filtered
// either: nodes do not report their device files, so the manager cannot know whether a
// PathOnHost exists; the node's runtime fails the task when it does not. Pin such services
// with a constraint (e.g. node.labels.zigbee==true).
//
// Explanation (swarmkit's Pipeline.Explain): the filters that failed, most failures first
// (ties in pipeline order), joined by "; ". Unlike swarmkit, whose counters are reset whenever
// some node passes and so may forget nodes checked earlier, the count covers every node.
import type { RuntimeName, Service, Task } from '../store/index.ts';
import { type Constraint, matchesConstraints, parseConstraints } from './constraints.ts';
import {
  fitsResources,
  type NodeInfo,
  type Reservations,
  reservationsOf,
  reservesAnything,
  serviceHostPorts,
  serviceTaskCount,
  taskRuntime,
} from './node-info.ts';

/** What the filters need to know about a task; shared by all tasks of one group. */
export interface TaskRequirements {
  serviceId: string;
  runtime: RuntimeName | undefined;
  reservations: Reservations;
  /** Undefined when there are none or they do not parse (swarmkit disables the filter then). */
  constraints: Constraint[] | undefined;
  platforms: { Architecture?: string; OS?: string }[];
  /** `protocol/port` keys of the task's host-mode published ports. */
  hostPorts: string[];
  /** 0: no limit. */
  maxReplicas: number;
}

export type FilterName =
  | 'ready'
  | 'runtime'
  | 'resources'
  | 'constraints'
  | 'platform'
  | 'host-ports'
  | 'max-replicas';

export interface Filter {
  readonly name: FilterName;
  /**
   * False when the filter's verdict depends on the node and the task only, so it holds for the
   * whole call; true when placements (reservations, ports, counts) can change it.
   */
  readonly dynamic: boolean;
  /** Whether the filter applies to the task (swarmkit's SetTask). */
  enabled(requirements: TaskRequirements): boolean;
  check(requirements: TaskRequirements, node: NodeInfo): boolean;
  /** The failure as swarmkit words it, for `nodes` nodes. */
  explain(nodes: number, requirements: TaskRequirements): string;
}

export function requirementsOf(task: Task, service: Service | undefined): TaskRequirements {
  const placement = task.Spec.Placement;
  let constraints: Constraint[] | undefined;
  if (placement?.Constraints !== undefined && placement.Constraints.length > 0) {
    try {
      constraints = parseConstraints(placement.Constraints);
    } catch {
      // Validated when the service was created; like swarmkit, a bad one disables the filter.
      constraints = undefined;
    }
  }
  const maxReplicas = placement?.MaxReplicas;
  return {
    serviceId: task.ServiceID,
    runtime: taskRuntime(task.Spec),
    reservations: reservationsOf(task.Spec),
    constraints,
    platforms: placement?.Platforms ?? [],
    hostPorts: serviceHostPorts(service),
    maxReplicas:
      typeof maxReplicas === 'number' && Number.isFinite(maxReplicas) && maxReplicas > 0
        ? Math.floor(maxReplicas)
        : 0,
  };
}

/** "1 node" or "N nodes". */
function nodes(count: number): string {
  return count === 1 ? '1 node' : `${count} nodes`;
}

const readyFilter: Filter = {
  name: 'ready',
  dynamic: false,
  enabled: () => true,
  check: (_, info) =>
    info.node.Status?.State === 'ready' && info.node.Spec.Availability === 'active',
  explain: (count) => `${nodes(count)} not available for new tasks`,
};

// Shoal's own filter: a node runs only the runtimes it lists. The message names the runtime,
// since a user who sees it must either install that runtime or change the image.
const runtimeFilter: Filter = {
  name: 'runtime',
  dynamic: false,
  enabled: (requirements) => requirements.runtime !== undefined,
  check: (requirements, info) =>
    requirements.runtime === undefined || info.runtimes.has(requirements.runtime),
  explain: (count, requirements) =>
    `${requirements.runtime ?? 'docker'} runtime not available on ${nodes(count)}`,
};

const resourceFilter: Filter = {
  name: 'resources',
  dynamic: true,
  enabled: (requirements) => reservesAnything(requirements.reservations),
  check: (requirements, info) => fitsResources(info, requirements.reservations),
  explain: (count) => `insufficient resources on ${nodes(count)}`,
};

const constraintFilter: Filter = {
  name: 'constraints',
  dynamic: false,
  enabled: (requirements) => requirements.constraints !== undefined,
  check: (requirements, info) => matchesConstraints(info.node, requirements.constraints ?? []),
  explain: (count) => `scheduling constraints not satisfied on ${nodes(count)}`,
};

const platformFilter: Filter = {
  name: 'platform',
  dynamic: false,
  enabled: (requirements) => requirements.platforms.length > 0,
  check: (requirements, info) => {
    const platform = info.node.Description?.Platform;
    if (platform === undefined) return false;
    return requirements.platforms.some((wanted) => platformMatches(wanted, platform));
  },
  explain: (count) => `unsupported platform on ${nodes(count)}`,
};

const hostPortFilter: Filter = {
  name: 'host-ports',
  dynamic: true,
  enabled: (requirements) => requirements.hostPorts.length > 0,
  check: (requirements, info) =>
    requirements.hostPorts.every((key) => !info.usedHostPorts.has(key)),
  explain: (count) => `host-mode port already in use on ${nodes(count)}`,
};

const maxReplicasFilter: Filter = {
  name: 'max-replicas',
  dynamic: true,
  enabled: (requirements) => requirements.maxReplicas > 0,
  check: (requirements, info) =>
    serviceTaskCount(info, requirements.serviceId) < requirements.maxReplicas,
  // swarmkit's wording, without a count.
  explain: () => 'max replicas per node limit exceed',
};

/** Every filter, in swarmkit's order (Shoal's runtime filter right after readiness). */
export const FILTERS: readonly Filter[] = [
  readyFilter,
  runtimeFilter,
  resourceFilter,
  constraintFilter,
  platformFilter,
  hostPortFilter,
  maxReplicasFilter,
];

/** The pipeline for one task: the filters that apply to it, in order. */
export function pipelineFor(requirements: TaskRequirements): Filter[] {
  return FILTERS.filter((filter) => filter.enabled(requirements));
}

/** The first filter the node fails, or undefined when it passes them all. */
export function firstFailure(
  pipeline: readonly Filter[],
  requirements: TaskRequirements,
  node: NodeInfo,
): Filter | undefined {
  return pipeline.find((filter) => !filter.check(requirements, node));
}

export function passes(
  pipeline: readonly Filter[],
  requirements: TaskRequirements,
  node: NodeInfo,
): boolean {
  return firstFailure(pipeline, requirements, node) === undefined;
}

/**
 * Why no node fits: each node blamed on its first failing filter, the filters sorted by how many
 * nodes they failed (most first, ties in pipeline order), explained and joined by "; ".
 */
export function explain(
  pipeline: readonly Filter[],
  requirements: TaskRequirements,
  nodeInfos: Iterable<NodeInfo>,
): string {
  const failures = new Map<Filter, number>();
  for (const info of nodeInfos) {
    const failed = firstFailure(pipeline, requirements, info);
    if (failed !== undefined) failures.set(failed, (failures.get(failed) ?? 0) + 1);
  }
  // Array.prototype.sort is stable, so equal counts keep the pipeline order.
  return pipeline
    .filter((filter) => failures.has(filter))
    .sort((a, b) => failures.get(b)! - failures.get(a)!)
    .map((filter) => filter.explain(failures.get(filter)!, requirements))
    .join('; ');
}

/** swarmkit's task error when a task fits nowhere: "no suitable node (...)". */
export function noSuitableNode(explanation: string): string {
  return explanation === '' ? 'no suitable node' : `no suitable node (${explanation})`;
}

/**
 * Architecture names as nodes report them (uname: x86_64, aarch64, armv7l) and as images and
 * users write them (GOARCH: amd64, arm64, arm). swarmkit normalizes x86_64 → amd64 and
 * aarch64 → arm64; Shoal also folds the 32-bit ARM names (armv8l is an ARMv8 CPU in 32-bit
 * mode) and the x86 ones, so Raspberry Pis (armv7l, armv6l) take `arm` images, which is the
 * failure of swarmkit#2294.
 */
const ARCHITECTURE_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
  armv8l: 'arm',
  armv7l: 'arm',
  armv7: 'arm',
  armv6l: 'arm',
  armv6: 'arm',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
  i686: '386',
  x86: '386',
};

export function normalizeArchitecture(architecture: string): string {
  return Object.hasOwn(ARCHITECTURE_ALIASES, architecture)
    ? ARCHITECTURE_ALIASES[architecture]!
    : architecture;
}

/** swarmkit's platformEqual: an empty field in the wanted platform matches anything. */
export function platformMatches(
  wanted: { Architecture?: string; OS?: string },
  node: { Architecture: string; OS: string },
): boolean {
  const wantedArchitecture = normalizeArchitecture(wanted.Architecture ?? '');
  const architectureOk =
    wantedArchitecture === '' ||
    wantedArchitecture === normalizeArchitecture(node.Architecture ?? '');
  const osOk = !wanted.OS || wanted.OS === node.OS;
  return architectureOk && osOk;
}
