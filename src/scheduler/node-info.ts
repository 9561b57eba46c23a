// The scheduler's working view of each node (swarmkit's NodeInfo): what it has left after the
// reservations of the tasks placed on it, which host-mode ports those tasks hold, and how many
// active tasks it runs in all and per service. Built once per schedule() call from the input,
// then updated in memory after each placement so later tasks of the same call see it.
import { runtimeOf } from '../runtime/driver.ts';
import {
  type GenericResource,
  type Node,
  type PortConfig,
  type RuntimeName,
  type Service,
  TASK_STATES,
  type Task,
  type TaskSpec,
} from '../store/index.ts';

export interface NodeInfo {
  readonly node: Node;
  readonly id: string;
  /** Runtimes the node offers (Engine.Plugins of Type 'Runtime'; none listed: exec only). */
  readonly runtimes: ReadonlySet<RuntimeName>;
  readonly totalNanoCpus: number;
  readonly totalMemoryBytes: number;
  /** Node resources minus the reservations of the tasks on it; negative when over-committed. */
  availableNanoCpus: number;
  availableMemoryBytes: number;
  /** Generic resource kind → units left (discrete values summed, named ones counted). */
  readonly availableGeneric: Map<string, number>;
  /** Tasks on the node whose desired state is at most 'running' (swarmkit's ActiveTasksCount). */
  activeTasks: number;
  readonly activeTasksByService: Map<string, number>;
  /** `protocol/port` of every host-mode published port held on the node. */
  readonly usedHostPorts: Set<string>;
}

/** What a task reserves, as the resource filter and the accounting read it. */
export interface Reservations {
  nanoCpus: number;
  memoryBytes: number;
  /** Discrete requests by kind. */
  generic: Map<string, number>;
  /**
   * A task request naming a NamedResourceSpec. swarmkit (genericresource.HasEnough) refuses
   * those ("task should only hold Discrete type"), so such a task fits no node.
   */
  hasNamedRequest: boolean;
}

const RUNNING_INDEX = TASK_STATES.indexOf('running');

export function isActive(task: Task): boolean {
  const index = TASK_STATES.indexOf(task.DesiredState);
  return index >= 0 && index <= RUNNING_INDEX;
}

export function runtimesOf(node: Node): Set<RuntimeName> {
  const runtimes = new Set<RuntimeName>();
  for (const plugin of node.Description?.Engine?.Plugins ?? []) {
    if (plugin.Type !== 'Runtime') continue;
    if (plugin.Name === 'docker' || plugin.Name === 'exec') runtimes.add(plugin.Name);
  }
  if (runtimes.size === 0) runtimes.add('exec');
  return runtimes;
}

/** The runtime a task needs; undefined when it has no ContainerSpec (no runtime check). */
export function taskRuntime(spec: TaskSpec): RuntimeName | undefined {
  const container = spec.ContainerSpec;
  if (container === undefined || typeof container.Image !== 'string') return undefined;
  return runtimeOf(container);
}

export function reservationsOf(spec: TaskSpec): Reservations {
  const requested = spec.Resources?.Reservations;
  const generic = new Map<string, number>();
  let hasNamedRequest = false;
  for (const resource of requested?.GenericResources ?? []) {
    if (resource.DiscreteResourceSpec !== undefined) {
      const { Kind, Value } = resource.DiscreteResourceSpec;
      generic.set(Kind, (generic.get(Kind) ?? 0) + units(Value));
    } else if (resource.NamedResourceSpec !== undefined) {
      hasNamedRequest = true;
    }
  }
  return {
    nanoCpus: units(requested?.NanoCPUs),
    memoryBytes: units(requested?.MemoryBytes),
    generic,
    hasNamedRequest,
  };
}

/** swarmkit's ResourceFilter.SetTask: enabled when anything is reserved. */
export function reservesAnything(reservations: Reservations): boolean {
  return (
    reservations.nanoCpus > 0 ||
    reservations.memoryBytes > 0 ||
    reservations.generic.size > 0 ||
    reservations.hasNamedRequest
  );
}

/** Whether the node has what the task reserves left (swarmkit's ResourceFilter.Check). */
export function fitsResources(node: NodeInfo, reservations: Reservations): boolean {
  if (reservations.hasNamedRequest) return false;
  if (reservations.nanoCpus > node.availableNanoCpus) return false;
  if (reservations.memoryBytes > node.availableMemoryBytes) return false;
  for (const [kind, wanted] of reservations.generic) {
    if (wanted > (node.availableGeneric.get(kind) ?? 0)) return false;
  }
  return true;
}

/** `protocol/port` keys of the host-mode ports with a fixed published port. */
export function hostPortKeys(ports: readonly PortConfig[] | undefined): string[] {
  const keys: string[] = [];
  for (const port of ports ?? []) {
    if (port.PublishMode !== 'host' || !port.PublishedPort) continue;
    keys.push(`${port.Protocol ?? 'tcp'}/${port.PublishedPort}`);
  }
  return keys;
}

/**
 * The host-mode ports a service's tasks publish, from its spec (Docker's EndpointSpec; the
 * Endpoint's copy of the spec when the spec has none). Host ports are not allocated by the
 * allocator, so the spec is the truth.
 */
export function serviceHostPorts(service: Service | undefined): string[] {
  if (service === undefined) return [];
  return hostPortKeys(service.Spec.EndpointSpec?.Ports ?? service.Endpoint?.Spec?.Ports);
}

/**
 * The host ports a placed task holds: those its runtime reported (PortStatus) and, when the
 * task was made from the service's current spec (or versions are unknown), the spec's.
 */
export function placedTaskHostPorts(task: Task, service: Service | undefined): string[] {
  const keys = hostPortKeys(task.Status?.PortStatus?.Ports);
  if (service !== undefined) {
    const taskVersion = task.SpecVersion?.Index;
    const serviceVersion = service.SpecVersion?.Index;
    const sameSpec =
      taskVersion === undefined || serviceVersion === undefined || taskVersion === serviceVersion;
    if (sameSpec) keys.push(...serviceHostPorts(service));
  }
  return keys;
}

export function newNodeInfo(node: Node): NodeInfo {
  const resources = node.Description?.Resources;
  const availableGeneric = new Map<string, number>();
  for (const resource of resources?.GenericResources ?? []) addGeneric(availableGeneric, resource);
  const totalNanoCpus = units(resources?.NanoCPUs);
  const totalMemoryBytes = units(resources?.MemoryBytes);
  return {
    node,
    id: node.ID,
    runtimes: runtimesOf(node),
    totalNanoCpus,
    totalMemoryBytes,
    availableNanoCpus: totalNanoCpus,
    availableMemoryBytes: totalMemoryBytes,
    availableGeneric,
    activeTasks: 0,
    activeTasksByService: new Map(),
    usedHostPorts: new Set(),
  };
}

/** Accounts a task on the node (swarmkit's NodeInfo.addTask): reservations, ports, counts. */
export function addTask(
  info: NodeInfo,
  task: { ServiceID: string; active: boolean },
  reservations: Reservations,
  hostPorts: readonly string[],
): void {
  info.availableNanoCpus -= reservations.nanoCpus;
  info.availableMemoryBytes -= reservations.memoryBytes;
  for (const [kind, used] of reservations.generic) {
    info.availableGeneric.set(kind, (info.availableGeneric.get(kind) ?? 0) - used);
  }
  for (const key of hostPorts) info.usedHostPorts.add(key);
  if (task.active) {
    info.activeTasks += 1;
    const count = info.activeTasksByService.get(task.ServiceID) ?? 0;
    info.activeTasksByService.set(task.ServiceID, count + 1);
  }
}

export function serviceTaskCount(info: NodeInfo, serviceId: string): number {
  return info.activeTasksByService.get(serviceId) ?? 0;
}

function addGeneric(available: Map<string, number>, resource: GenericResource): void {
  if (resource.DiscreteResourceSpec !== undefined) {
    const { Kind, Value } = resource.DiscreteResourceSpec;
    available.set(Kind, (available.get(Kind) ?? 0) + units(Value));
  } else if (resource.NamedResourceSpec !== undefined) {
    const { Kind } = resource.NamedResourceSpec;
    available.set(Kind, (available.get(Kind) ?? 0) + 1);
  }
}

/** A count or size from the spec: finite and not negative, else 0. */
function units(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
