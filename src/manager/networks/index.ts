// Swarm networks as the control API changes them: create (checked whole, addressed at once),
// find, list, remove; services' network targets resolved to IDs; the ingress network of a
// new cluster; Docker's NetworkResource view.
export {
  allocateNetwork,
  ingressNetworkInput,
  ingressNetworkSpec,
  VXLAN_ID_OPTION,
} from './allocate.ts';
export { NetworkError, type NetworkErrorCode, swarmkitError } from './errors.ts';
export { NetworkControl, withFenceRetries } from './network-control.ts';
export { findNetwork, NETWORKS_PER_SERVICE_MAX, resolveServiceNetworks } from './resolve.ts';
export {
  type NetworkCreateRequest,
  networkSpecOf,
  PREDEFINED_NETWORK_NAMES,
  validateNetworkName,
} from './spec.ts';
export { type NetworkResource, networkPeers, networkResource } from './view.ts';
