// The allocator: subnets for networks, virtual IPs for services, addresses for tasks, all
// derived from the store (pure), with the fence that keeps concurrent allocations apart.
export { AddressBook, type AllocatorState, addressingOf } from './address-book.ts';
export {
  allocateTaskAttachments,
  allocateVirtualIps,
  attachedNetworkIds,
  ingressNetwork,
  needsIngress,
  swarmNetworkView,
  type VirtualIp,
} from './attachments.ts';
export {
  AddressesExhaustedError,
  AllocationError,
  MissingNetworkError,
  NoIngressError,
  PoolsExhaustedError,
} from './errors.ts';
export { fenceNetwork, networkWrites } from './fence.ts';
export {
  contains,
  formatIpv4,
  formatSubnet,
  lastAddress,
  overlaps,
  parseIpv4,
  parseSubnet,
  type Subnet,
  subnetSize,
  within,
} from './ipv4.ts';
export { allocateServiceEndpoint, type ServiceAllocation } from './service-endpoint.ts';
export {
  DEFAULT_ADDRESS_POOLS,
  DEFAULT_SUBNET_SIZE,
  parsePools,
  pickSubnet,
} from './subnets.ts';
export {
  type AllocatedBatch,
  allocateBatch,
  waitingTasks,
} from './task-batches.ts';
