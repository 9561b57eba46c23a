// What a service and its tasks get on their networks, as swarmkit's allocator gives it: the
// ingress network first when the service publishes ingress ports, then the networks of its
// task template. A service in endpoint mode `vip` gets one virtual IP on each (none in
// `dnsrr`); each task gets one address on each. Pure: an AddressBook in, addresses out.
import type {
  Network,
  NetworkAttachment,
  Service,
  ServiceSpec,
  TaskSpec,
} from '../../store/index.ts';
import type { AddressBook } from './address-book.ts';
import { MissingNetworkError } from './errors.ts';

export type VirtualIp = { NetworkID: string; Addr: string };

/** The network as Docker shows it inside a task (without Shoal's bookkeeping). */
export function swarmNetworkView(network: Network): NetworkAttachment['Network'] {
  const { NextAddress: _cursor, ...view } = network;
  return view;
}

/** The ingress network (Spec.Ingress), if the cluster has one. */
export function ingressNetwork(networks: Iterable<Network>): Network | undefined {
  for (const network of networks) if (network.Spec.Ingress === true) return network;
  return undefined;
}

/** swarmkit's IsIngressNetworkNeeded: a port published in ingress mode (the default). */
export function needsIngress(spec: Pick<ServiceSpec, 'EndpointSpec'>): boolean {
  return (spec.EndpointSpec?.Ports ?? []).some(
    (port) => (port.PublishMode ?? 'ingress') === 'ingress',
  );
}

/** The network IDs the service's tasks join, in order, each once. */
export function attachedNetworkIds(
  taskSpec: Pick<TaskSpec, 'Networks'>,
  serviceSpec: Pick<ServiceSpec, 'EndpointSpec'>,
  ingressId: string | undefined,
): string[] {
  const ids: string[] = [];
  if (ingressId !== undefined && needsIngress(serviceSpec)) ids.push(ingressId);
  for (const network of taskSpec.Networks ?? []) {
    if (!ids.includes(network.Target)) ids.push(network.Target);
  }
  return ids;
}

/**
 * The service's virtual IPs: kept where it already has one on a network it still joins, new
 * ones allocated (and marked used in `book`) on the others. Endpoint mode dnsrr has none.
 */
export function allocateVirtualIps(
  book: AddressBook,
  service: Pick<Service, 'Spec' | 'Endpoint'>,
  ingressId: string | undefined,
): VirtualIp[] {
  const mode = service.Spec.EndpointSpec?.Mode ?? 'vip';
  if (mode === 'dnsrr') return [];
  const previous = service.Endpoint?.VirtualIPs ?? [];
  const ids = attachedNetworkIds(service.Spec.TaskTemplate, service.Spec, ingressId);
  return ids.map((networkId) => {
    const kept = previous.find((vip) => vip.NetworkID === networkId);
    if (kept !== undefined && book.isUsed(networkId, kept.Addr)) return { ...kept };
    return { NetworkID: networkId, Addr: book.allocate(networkId) };
  });
}

/**
 * One address on each network the task joins (allocated in `book`). `networks` must hold
 * every network the task joins.
 */
export function allocateTaskAttachments(
  book: AddressBook,
  taskSpec: Pick<TaskSpec, 'Networks'>,
  serviceSpec: Pick<ServiceSpec, 'EndpointSpec'>,
  networks: ReadonlyMap<string, Network>,
  ingressId: string | undefined,
): NetworkAttachment[] {
  const ids = attachedNetworkIds(taskSpec, serviceSpec, ingressId);
  const allocated: { networkId: string; address: string }[] = [];
  try {
    for (const networkId of ids) {
      if (!networks.has(networkId)) throw new MissingNetworkError(networkId);
      allocated.push({ networkId, address: book.allocate(networkId) });
    }
  } catch (error) {
    // All or nothing: a task never holds some of its addresses.
    for (const { networkId, address } of allocated) book.release(networkId, address);
    throw error;
  }
  return allocated.map(({ networkId, address }) => ({
    Network: swarmNetworkView(networks.get(networkId)!),
    Addresses: [address],
  }));
}
