// Node-to-node RPC over gRPC. Schemas live in proto/ (embedded by scripts/gen-proto.mjs).
export {
  addKvService,
  type GetResult,
  KvClient,
  type KvClientOptions,
  type KvHandlers,
  type KvStatus,
  LEADER_ADDRESS_METADATA,
  LEADER_ID_METADATA,
  NotLeaderError,
  notLeaderStatus,
  type PutResult,
  parseNotLeader,
} from './kv.ts';
export { clusterServiceDefinition, kvServiceDefinition, raftServiceDefinition } from './protos.ts';
export {
  decodeBatch,
  encodeBatch,
  encodedSizeBound,
  messageFromWire,
  messageToWire,
} from './raft-codec.ts';
export {
  NODE_ID_METADATA,
  RaftTransport,
  type RaftTransportOptions,
  type RaftTransportStats,
} from './raft-transport.ts';
export { callUnary, RpcError, unaryHandler } from './unary.ts';
