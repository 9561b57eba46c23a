// Everything that runs on managers.
export { CaServer, hostOf, INVALID_TOKEN_MESSAGE } from './ca-server.ts';
export { ClusterState, NO_LEADER_MESSAGE, QuorumLostError } from './cluster-state.ts';
export {
  addressOfRaftMember,
  clusterObject,
  type ManagerAddress,
  managerAddresses,
  nodeOfRaftMember,
} from './cluster-view.ts';
export { forceNewCluster, membershipAtEnd, recordRecovery } from './force-new-cluster.ts';
export { ManagerNode, type ManagerNodeOptions, permissionDenied } from './manager-node.ts';
export { decodeMemberContext, encodeMemberContext, ManagerServer } from './manager-server.ts';
export { ingressNetworkInput } from './networks/index.ts';
export { ManagerClients } from './peer-clients.ts';
export { RoleChangeError, RoleChanger } from './roles.ts';
export { StoreStateMachine } from './state-machine.ts';
