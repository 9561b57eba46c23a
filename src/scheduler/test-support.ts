// Builders for the scheduler's tests: nodes, services and tasks with only the fields that
// matter spelled out, and a seeded pseudo-random generator. Never imported by the scheduler.
import type {
  Labels,
  Node,
  NodeAvailability,
  NodeRole,
  NodeState,
  PortConfig,
  Service,
  Task,
  TaskSpec,
} from '../store/index.ts';
import { schedule } from './scheduler.ts';
import type { ScheduleDecisions } from './types.ts';

const META = { Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };

export const GIB = 1024 ** 3;
export const CPU = 1e9;

export interface NodeOptions {
  hostname?: string;
  role?: NodeRole;
  availability?: NodeAvailability;
  state?: NodeState;
  labels?: Labels;
  engineLabels?: Labels;
  os?: string;
  arch?: string;
  nanoCpus?: number;
  memoryBytes?: number;
  generic?: Record<string, number>;
  runtimes?: ('docker' | 'exec')[];
  addr?: string;
}

/** A ready, active worker with 4 CPUs, 8 GiB and both runtimes unless told otherwise. */
export function node(id: string, options: NodeOptions = {}): Node {
  const runtimes = options.runtimes ?? ['docker', 'exec'];
  return {
    ID: id,
    ...META,
    Spec: {
      Labels: options.labels ?? {},
      Role: options.role ?? 'worker',
      Availability: options.availability ?? 'active',
    },
    Description: {
      Hostname: options.hostname ?? id,
      Platform: { Architecture: options.arch ?? 'x86_64', OS: options.os ?? 'linux' },
      Resources: {
        NanoCPUs: options.nanoCpus ?? 4 * CPU,
        MemoryBytes: options.memoryBytes ?? 8 * GIB,
        GenericResources: Object.entries(options.generic ?? {}).map(([Kind, Value]) => ({
          DiscreteResourceSpec: { Kind, Value },
        })),
      },
      Engine: {
        EngineVersion: 'test',
        Labels: options.engineLabels ?? {},
        Plugins: runtimes.map((Name) => ({ Type: 'Runtime', Name })),
      },
    },
    Status: { State: options.state ?? 'ready', Addr: options.addr ?? '10.0.0.1' },
  };
}

export interface ServiceOptions {
  hostPorts?: number[];
  ports?: PortConfig[];
  specVersion?: number;
}

export function service(id: string, options: ServiceOptions = {}): Service {
  const ports: PortConfig[] = [
    ...(options.ports ?? []),
    ...(options.hostPorts ?? []).map(
      (port): PortConfig => ({
        Protocol: 'tcp',
        TargetPort: 80,
        PublishedPort: port,
        PublishMode: 'host',
      }),
    ),
  ];
  return {
    ID: id,
    ...META,
    Spec: {
      Name: id,
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: ports.length > 0 ? { Ports: ports } : undefined,
    },
    SpecVersion: { Index: options.specVersion ?? 1 },
  };
}

export interface TaskOptions {
  nodeId?: string;
  image?: string;
  spec?: Partial<TaskSpec>;
  placement?: TaskSpec['Placement'];
  nanoCpus?: number;
  memoryBytes?: number;
  generic?: Record<string, number>;
  desired?: Task['DesiredState'];
  specVersion?: number | null;
}

export function task(id: string, serviceId: string, options: TaskOptions = {}): Task {
  const reservations =
    options.nanoCpus !== undefined ||
    options.memoryBytes !== undefined ||
    options.generic !== undefined
      ? {
          NanoCPUs: options.nanoCpus,
          MemoryBytes: options.memoryBytes,
          GenericResources: Object.entries(options.generic ?? {}).map(([Kind, Value]) => ({
            DiscreteResourceSpec: { Kind, Value },
          })),
        }
      : undefined;
  return {
    ID: id,
    ...META,
    Labels: {},
    ServiceID: serviceId,
    NodeID: options.nodeId,
    Spec: {
      ContainerSpec: { Image: options.image ?? 'nginx' },
      ...(reservations ? { Resources: { Reservations: reservations } } : {}),
      ...(options.placement ? { Placement: options.placement } : {}),
      ...options.spec,
    },
    Status: { Timestamp: '', State: options.nodeId ? 'running' : 'pending', Message: '' },
    DesiredState: options.desired ?? 'running',
    SpecVersion: options.specVersion === null ? undefined : { Index: options.specVersion ?? 1 },
  };
}

/** `count` pending tasks of a service named `${serviceId}.1`... */
export function tasks(serviceId: string, count: number, options: TaskOptions = {}): Task[] {
  return Array.from({ length: count }, (_, i) => task(`${serviceId}.${i + 1}`, serviceId, options));
}

export { seededRandom } from '../storage/test-support.ts';

export function neverRandom(): number {
  throw new Error('random was not expected to be called');
}

export interface RunOptions {
  nodes: Node[];
  pending: Task[];
  placed?: Task[];
  services?: Service[];
  random?: () => number;
}

/** schedule() with the services of every task made up when not given. */
export function run(options: RunOptions): ScheduleDecisions {
  const services = new Map((options.services ?? []).map((s) => [s.ID, s]));
  for (const t of [...options.pending, ...(options.placed ?? [])]) {
    if (!services.has(t.ServiceID)) services.set(t.ServiceID, service(t.ServiceID));
  }
  return schedule({
    nodes: options.nodes,
    placed: options.placed ?? [],
    pending: options.pending,
    services,
    random: options.random ?? neverRandom,
  });
}

/** Node ID → number of placements there. */
export function countByNode(decisions: ScheduleDecisions): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { nodeId } of decisions.placed) counts[nodeId] = (counts[nodeId] ?? 0) + 1;
  return counts;
}

export function reasons(decisions: ScheduleDecisions): string[] {
  return [...new Set(decisions.unplaced.map((u) => u.reason))];
}
