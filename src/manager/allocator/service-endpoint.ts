// A service's virtual IPs, decided when the service is created or updated so they are written
// in the same batch as the service (nothing half-allocated), with the network writes that
// fence the batch against other allocations (fence.ts). Pure.
import type { Change, Service } from '../../store/index.ts';
import { AddressBook, type AllocatorState } from './address-book.ts';
import {
  allocateVirtualIps,
  attachedNetworkIds,
  ingressNetwork,
  needsIngress,
  type VirtualIp,
} from './attachments.ts';
import { MissingNetworkError, NoIngressError } from './errors.ts';
import { networkWrites } from './fence.ts';

export interface ServiceAllocation {
  virtualIps: VirtualIp[];
  /** Network writes to propose with the service: empty when it joins no network. */
  writes: Change[];
}

/**
 * The service's virtual IPs and the network writes that go with them. `state` is the
 * cluster's (with this service's stored version, if any, among its services). A service that
 * joins a network always fences, so a network removed meanwhile makes the batch fail.
 */
export function allocateServiceEndpoint(
  state: AllocatorState,
  service: Pick<Service, 'ID' | 'Spec' | 'Endpoint'>,
): ServiceAllocation {
  const networks = new Map(state.networks.map((network) => [network.ID, network]));
  const ingress = ingressNetwork(networks.values());
  if (needsIngress(service.Spec) && ingress === undefined) throw new NoIngressError();
  const ids = attachedNetworkIds(service.Spec.TaskTemplate, service.Spec, ingress?.ID);
  if (ids.length === 0) return { virtualIps: [], writes: [] };
  for (const id of ids) if (!networks.has(id)) throw new MissingNetworkError(id);
  const book = AddressBook.fromState(state);
  const virtualIps = allocateVirtualIps(book, service, ingress?.ID);
  return { virtualIps, writes: networkWrites(networks, book) };
}
