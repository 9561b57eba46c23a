// The routing mesh's table: which services every node serves on which published ports, and
// the tasks that may receive their traffic. The leader builds it from the store (pure, below)
// and pushes it to every node on its session when it changes; each node's mesh acts on it.
//
// A task is in rotation while it runs (with a healthcheck: once healthy, since the agent only
// reports RUNNING then) and is still wanted running. A task being stopped leaves the table
// first, and its own node drains it (src/mesh/mesh.ts), so no new connection reaches it.
import type { Network, PortConfig, Service, Task } from '../store/index.ts';

export type MeshProtocol = 'tcp' | 'udp';

export interface MeshPort {
  protocol: MeshProtocol;
  published: number;
  target: number;
  /** Shoal extension (moby#25526): a PROXY protocol v2 header towards the task. */
  proxyProtocol?: boolean;
}

export interface MeshBackend {
  task: string;
  node: string;
  /** host:port of the node's cluster port, where its end of the tunnel answers. */
  addr: string;
  /** The task's address on each of its networks (network ID → IPv4), ingress left out. */
  ips?: Record<string, string>;
}

/** A port a service's tasks answer on, served on its virtual IP and task addresses. */
export interface MeshTarget {
  protocol: MeshProtocol;
  port: number;
}

/** A swarm network (not ingress) some service of the table joins. */
export interface MeshNetwork {
  id: string;
  name: string;
  subnet: string;
  gateway: string;
}

export interface MeshService {
  id: string;
  name: string;
  /** Ingress-mode published ports (host-mode ports bind only where a task runs). */
  ports: MeshPort[];
  /** Tasks in rotation, in a stable order. */
  backends: MeshBackend[];
  /** Endpoint mode: names resolve to the virtual IP (vip) or to the tasks (dnsrr). */
  mode?: 'vip' | 'dnsrr';
  /** Ports served on the virtual IPs and task addresses: target ports, exposed ports. */
  targets?: MeshTarget[];
  /** Network ID → the service's virtual IP there. */
  vips?: Record<string, string>;
  /** Network ID → the names the service answers to there (its name, its aliases). */
  names?: Record<string, string[]>;
}

export interface MeshTable {
  services: MeshService[];
  networks?: MeshNetwork[];
}

/** Bounds on a table an agent accepts. */
export const MAX_MESH_SERVICES = 2_000;
export const MAX_MESH_BACKENDS = 20_000;
export const MAX_MESH_BYTES = 8 * 1024 * 1024;

/** The ingress ports of a service as the mesh serves them (sctp is not proxied). */
export function ingressPorts(ports: PortConfig[] | undefined): MeshPort[] {
  const out: MeshPort[] = [];
  for (const port of ports ?? []) {
    if ((port.PublishMode ?? 'ingress') !== 'ingress' || !port.PublishedPort) continue;
    if (port.Protocol !== 'tcp' && port.Protocol !== 'udp') continue;
    const entry: MeshPort = {
      protocol: port.Protocol,
      published: port.PublishedPort,
      target: port.TargetPort,
    };
    if (port.ProxyProtocol === 'v2') entry.proxyProtocol = true;
    out.push(entry);
  }
  return out;
}

export function inRotation(task: Task): boolean {
  return task.DesiredState === 'running' && task.Status.State === 'running';
}

function withoutPrefix(address: string): string {
  return address.split('/')[0]!;
}

/** Target ports (with protocol) of the service's endpoint and its tasks' exposed ports. */
function targetsOf(service: Service, tasks: readonly Task[]): MeshTarget[] {
  const seen = new Set<string>();
  const out: MeshTarget[] = [];
  const add = (protocol: string, port: number) => {
    if ((protocol !== 'tcp' && protocol !== 'udp') || !(port >= 1 && port <= 65535)) return;
    const key = `${port}/${protocol}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ protocol, port });
  };
  for (const port of service.Endpoint?.Ports ?? service.Spec.EndpointSpec?.Ports ?? []) {
    add(port.Protocol, port.TargetPort);
  }
  for (const task of tasks) {
    for (const exposed of task.Status.ExposedPorts ?? []) {
      const [port, protocol] = exposed.split('/');
      add(protocol ?? 'tcp', Number(port));
    }
  }
  return out.sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1));
}

/**
 * The table for a set of services, tasks and networks; `nodeAddr` gives a node's cluster
 * address, or undefined when unknown (its tasks are left out until it is known).
 */
export function buildMeshTable(
  services: readonly Service[],
  tasks: readonly Task[],
  nodeAddr: (nodeId: string) => string | undefined,
  networks: readonly Network[] = [],
): MeshTable {
  const ingress = new Set(networks.filter((n) => n.Spec.Ingress === true).map((n) => n.ID));
  const byService = new Map<string, { backends: MeshBackend[]; tasks: Task[] }>();
  for (const task of tasks) {
    if (!inRotation(task) || task.NodeID === undefined) continue;
    const addr = nodeAddr(task.NodeID);
    if (addr === undefined) continue;
    let entry = byService.get(task.ServiceID);
    if (entry === undefined) {
      entry = { backends: [], tasks: [] };
      byService.set(task.ServiceID, entry);
    }
    const backend: MeshBackend = { task: task.ID, node: task.NodeID, addr };
    for (const attachment of task.NetworksAttachments ?? []) {
      const id = attachment.Network.ID;
      const address = attachment.Addresses[0];
      if (ingress.has(id) || address === undefined) continue;
      backend.ips ??= {};
      backend.ips[id] = withoutPrefix(address);
    }
    entry.backends.push(backend);
    entry.tasks.push(task);
  }
  const used = new Set<string>();
  const out: MeshService[] = [];
  for (const service of services) {
    const ports = ingressPorts(service.Endpoint?.Ports);
    const joined = (service.Spec.TaskTemplate?.Networks ?? []).filter(
      (n) => !ingress.has(n.Target),
    );
    if (ports.length === 0 && joined.length === 0) continue;
    const entry = byService.get(service.ID) ?? { backends: [], tasks: [] };
    const backends = entry.backends.sort((a, b) =>
      a.task < b.task ? -1 : a.task > b.task ? 1 : 0,
    );
    const meshService: MeshService = { id: service.ID, name: service.Spec.Name, ports, backends };
    if (joined.length > 0) {
      meshService.mode = service.Spec.EndpointSpec?.Mode ?? 'vip';
      meshService.targets = targetsOf(service, entry.tasks);
      meshService.names = {};
      for (const network of joined) {
        used.add(network.Target);
        const names = [service.Spec.Name, ...(network.Aliases ?? [])].map((n) => n.toLowerCase());
        meshService.names[network.Target] = [...new Set(names)];
      }
      for (const vip of service.Endpoint?.VirtualIPs ?? []) {
        if (ingress.has(vip.NetworkID) || !vip.Addr) continue;
        meshService.vips ??= {};
        meshService.vips[vip.NetworkID] = withoutPrefix(vip.Addr);
      }
    }
    out.push(meshService);
  }
  out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const table: MeshTable = { services: out };
  const meshNetworks: MeshNetwork[] = [];
  for (const network of networks) {
    const config = network.IPAMOptions?.Configs?.[0];
    if (!used.has(network.ID) || config?.Subnet === undefined || config.Gateway === undefined) {
      continue;
    }
    meshNetworks.push({
      id: network.ID,
      name: network.Spec.Name,
      subnet: config.Subnet,
      gateway: config.Gateway,
    });
  }
  if (meshNetworks.length > 0) {
    table.networks = meshNetworks.sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  return table;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/**
 * Parses a table as an agent receives it; null for "unchanged" (empty bytes). Throws an Error
 * naming what is wrong, so a bad table never replaces a good one.
 */
export function parseMeshTable(bytes: Uint8Array): MeshTable | null {
  if (bytes.length === 0) return null;
  if (bytes.length > MAX_MESH_BYTES) throw new Error(`mesh table of ${bytes.length} bytes`);
  const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
  if (!isRecord(value) || !Array.isArray(value.services)) {
    throw new Error('mesh table must hold a services array');
  }
  if (value.services.length > MAX_MESH_SERVICES) {
    throw new Error(`mesh table lists ${value.services.length} services`);
  }
  let backends = 0;
  for (const service of value.services as unknown[]) {
    if (
      !isRecord(service) ||
      typeof service.id !== 'string' ||
      typeof service.name !== 'string' ||
      !Array.isArray(service.ports) ||
      !Array.isArray(service.backends)
    ) {
      throw new Error('a mesh service needs id, name, ports and backends');
    }
    for (const port of service.ports as unknown[]) {
      if (
        !isRecord(port) ||
        (port.protocol !== 'tcp' && port.protocol !== 'udp') ||
        !isPort(port.published) ||
        !isPort(port.target)
      ) {
        throw new Error(`service ${service.name}: bad mesh port ${JSON.stringify(port)}`);
      }
    }
    for (const backend of service.backends as unknown[]) {
      if (
        !isRecord(backend) ||
        typeof backend.task !== 'string' ||
        typeof backend.node !== 'string' ||
        typeof backend.addr !== 'string'
      ) {
        throw new Error(`service ${service.name}: bad mesh backend`);
      }
    }
    backends += service.backends.length;
    if (service.targets !== undefined) {
      if (!Array.isArray(service.targets)) throw new Error(`service ${service.name}: bad targets`);
      for (const target of service.targets as unknown[]) {
        if (
          !isRecord(target) ||
          (target.protocol !== 'tcp' && target.protocol !== 'udp') ||
          !isPort(target.port)
        ) {
          throw new Error(`service ${service.name}: bad target ${JSON.stringify(target)}`);
        }
      }
    }
    for (const field of ['vips', 'names'] as const) {
      if (service[field] !== undefined && !isRecord(service[field])) {
        throw new Error(`service ${service.name}: bad ${field}`);
      }
    }
  }
  if (value.networks !== undefined) {
    if (!Array.isArray(value.networks)) throw new Error('mesh networks must be an array');
    for (const network of value.networks as unknown[]) {
      if (
        !isRecord(network) ||
        typeof network.id !== 'string' ||
        typeof network.name !== 'string' ||
        typeof network.subnet !== 'string' ||
        typeof network.gateway !== 'string'
      ) {
        throw new Error('a mesh network needs id, name, subnet and gateway');
      }
    }
  }
  if (backends > MAX_MESH_BACKENDS) throw new Error(`mesh table lists ${backends} tasks`);
  return value as unknown as MeshTable;
}
