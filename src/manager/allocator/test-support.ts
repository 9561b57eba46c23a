// Objects for the allocator's tests: stored-looking networks, services and tasks.
import type { Network, PortConfig, Service, Task, TaskState } from '../../store/index.ts';

const AT = '2024-01-01T00:00:00.000Z';

export function network(
  id: string,
  subnet: string,
  options: { version?: number; ingress?: boolean; range?: string; gateway?: string } = {},
): Network {
  const [base] = subnet.split('/');
  const octets = base!.split('.').map(Number);
  octets[3] = octets[3]! + 1;
  return {
    ID: id,
    Version: { Index: options.version ?? 1 },
    CreatedAt: AT,
    UpdatedAt: AT,
    Spec: { Name: `net-${id}`, Labels: {}, ...(options.ingress ? { Ingress: true } : {}) },
    DriverState: { Name: 'overlay' },
    IPAMOptions: {
      Driver: { Name: 'default' },
      Configs: [
        {
          Subnet: subnet,
          Gateway: options.gateway ?? octets.join('.'),
          ...(options.range ? { Range: options.range } : {}),
        },
      ],
    },
  };
}

export function service(
  id: string,
  networks: string[],
  options: { ports?: PortConfig[]; mode?: 'vip' | 'dnsrr'; vips?: Service['Endpoint'] } = {},
): Service {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: AT,
    UpdatedAt: AT,
    Spec: {
      Name: `svc-${id}`,
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        ...(networks.length > 0 ? { Networks: networks.map((Target) => ({ Target })) } : {}),
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: {
        Mode: options.mode ?? 'vip',
        ...(options.ports ? { Ports: options.ports } : {}),
      },
    },
    ...(options.vips ? { Endpoint: options.vips } : {}),
  };
}

export function task(
  id: string,
  owner: Service,
  state: TaskState = 'new',
  attachments: Task['NetworksAttachments'] = undefined,
): Task {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: AT,
    UpdatedAt: AT,
    Labels: {},
    Spec: structuredClone(owner.Spec.TaskTemplate),
    ServiceID: owner.ID,
    Status: { Timestamp: AT, State: state, Message: state },
    DesiredState: 'running',
    ...(attachments ? { NetworksAttachments: attachments } : {}),
  };
}
