// The routing mesh: published ports on every node, the tunnel between nodes, the leader's table.
export type { Endpoint, LocalEndpoints } from './local-endpoints.ts';
export { NodeMesh, type NodeMeshOptions, type PortProblem } from './mesh.ts';
export { parseProxyHeaderV2, proxyHeaderV2 } from './proxy-protocol.ts';
export { ServicePlane, type ServicePlaneOptions } from './service-plane.ts';
export {
  buildMeshTable,
  ingressPorts,
  inRotation,
  type MeshBackend,
  type MeshPort,
  type MeshService,
  type MeshTable,
  parseMeshTable,
} from './table.ts';
export { TunnelClient } from './tunnel-client.ts';
export { type MeshServerCall, meshHandlers } from './tunnel-server.ts';
