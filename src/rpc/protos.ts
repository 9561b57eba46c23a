// Loads the gRPC service definitions from the descriptors embedded at build time (see
// scripts/gen-proto.mjs), so nothing is read from disk and the bundle works from any cwd.
import type * as grpc from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import {
  clusterProtoDescriptor,
  kvProtoDescriptor,
  raftProtoDescriptor,
} from './proto-descriptors.generated.ts';

/**
 * How decoded messages look: uint64 as JS numbers (term, index and ids stay below 2^53), enums
 * as their numbers, bytes as Buffers that are views of the received frame (no copy), and every
 * field present (zero/empty/null when it was not on the wire).
 */
export const LOADER_OPTIONS: Options = {
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  oneofs: false,
};

let raft: grpc.ServiceDefinition | undefined;
let kv: grpc.ServiceDefinition | undefined;
const cluster = new Map<string, grpc.ServiceDefinition>();

type Descriptor = Parameters<typeof fromJSON>[0];

function service(descriptor: object, name: string): grpc.ServiceDefinition {
  // The generated literal is a protobufjs INamespace; TS cannot see it through the union types.
  const definition = fromJSON(descriptor as Descriptor, LOADER_OPTIONS)[name];
  if (definition === undefined || 'format' in definition) {
    throw new Error(`proto descriptor has no service ${name}`);
  }
  return definition as grpc.ServiceDefinition;
}

/** The `shoal.raft.Raft` service (proto/raft.proto). */
export function raftServiceDefinition(): grpc.ServiceDefinition {
  raft ??= service(raftProtoDescriptor, 'shoal.raft.Raft');
  return raft;
}

/** The `shoal.kv.KV` service (proto/kv.proto). */
export function kvServiceDefinition(): grpc.ServiceDefinition {
  kv ??= service(kvProtoDescriptor, 'shoal.kv.KV');
  return kv;
}

/** A service of proto/cluster.proto: 'CA', 'Manager', 'Dispatcher', 'Logs' or 'Mesh'. */
export function clusterServiceDefinition(
  name: 'CA' | 'Manager' | 'Dispatcher' | 'Logs' | 'Mesh',
): grpc.ServiceDefinition {
  let definition = cluster.get(name);
  if (!definition) {
    definition = service(clusterProtoDescriptor, `shoal.cluster.${name}`);
    cluster.set(name, definition);
  }
  return definition;
}
