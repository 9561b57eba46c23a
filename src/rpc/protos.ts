// The gRPC service definitions, built from the descriptors embedded at build time (see
// scripts/gen-proto.mjs), so nothing is read from disk and the bundle works from any cwd.
//
// Built with protobufjs directly rather than @grpc/proto-loader: the loader also makes, for
// every message type, a reflection descriptor and encoded FileDescriptorProtos (with
// descriptor.proto's own types compiled to do it) that nothing here reads, and it loads the
// `long` library, whose WebAssembly module brings V8's wasm compiler into every daemon. What
// grpc-js uses of a method (path, streaming flags, serializers, originalName) is made the way
// the loader makes it.
import type * as grpc from '@grpc/grpc-js';
import type { IConversionOptions, INamespace, Method, Root, Type } from 'protobufjs/light.js';
// A CommonJS module: its default import is the whole API under every loader.
import protobuf from 'protobufjs/light.js';
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
export const CONVERSION_OPTIONS: IConversionOptions = {
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  oneofs: false,
};

/** Each descriptor's types, resolved once and shared by every service of its file. */
const roots = new Map<object, Root>();
/** Each service's definition, made once (grpc-js keys clients and handlers by its methods). */
const services = new Map<string, grpc.ServiceDefinition>();

/** A descriptor's types, resolved (every message and enum reference bound). */
export function resolvedRoot(descriptor: object): Root {
  const root = protobuf.Root.fromJSON(descriptor as INamespace);
  root.resolveAll();
  return root;
}

function rootOf(descriptor: object): Root {
  let root = roots.get(descriptor);
  if (root === undefined) {
    root = resolvedRoot(descriptor);
    roots.set(descriptor, root);
  }
  return root;
}

function serializer(type: Type): grpc.serialize<object> {
  return (value) => {
    if (Array.isArray(value)) {
      throw new Error(
        `Failed to serialize message: expected object with ${type.name} structure, got array instead`,
      );
    }
    const bytes = type.encode(type.fromObject(value)).finish();
    // protobufjs writes Buffers under Node.js; a plain Uint8Array is wrapped, never copied.
    return Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  };
}

function deserializer(type: Type): grpc.deserialize<object> {
  return (bytes) => type.toObject(type.decode(bytes), CONVERSION_OPTIONS);
}

function methodDefinition(
  serviceName: string,
  method: Method,
): grpc.MethodDefinition<object, object> {
  const requestType = method.resolvedRequestType;
  const responseType = method.resolvedResponseType;
  if (requestType === null || responseType === null) {
    throw new Error(`proto method ${serviceName}.${method.name} has unresolved message types`);
  }
  return {
    path: `/${serviceName}/${method.name}`,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
    requestSerialize: serializer(requestType),
    requestDeserialize: deserializer(requestType),
    responseSerialize: serializer(responseType),
    responseDeserialize: deserializer(responseType),
    // The loader's lowerCamelCase name (GetRootCertificate -> getRootCertificate), by which
    // grpc-js also accepts handlers and names client methods.
    originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
  };
}

/** The definition of service `name` (its full name) of `root`, as grpc-js takes it. */
export function buildServiceDefinition(root: Root, name: string): grpc.ServiceDefinition {
  const found = root.lookup(name);
  if (!(found instanceof protobuf.Service)) {
    throw new Error(`proto descriptor has no service ${name}`);
  }
  const methods: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of found.methodsArray) {
    methods[method.name] = methodDefinition(name, method);
  }
  return methods;
}

function service(descriptor: object, name: string): grpc.ServiceDefinition {
  let definition = services.get(name);
  if (definition === undefined) {
    definition = buildServiceDefinition(rootOf(descriptor), name);
    services.set(name, definition);
  }
  return definition;
}

/** The `shoal.raft.Raft` service (proto/raft.proto). */
export function raftServiceDefinition(): grpc.ServiceDefinition {
  return service(raftProtoDescriptor, 'shoal.raft.Raft');
}

/** The `shoal.kv.KV` service (proto/kv.proto). */
export function kvServiceDefinition(): grpc.ServiceDefinition {
  return service(kvProtoDescriptor, 'shoal.kv.KV');
}

/** A service of proto/cluster.proto: 'CA', 'Manager', 'Dispatcher', 'Logs' or 'Mesh'. */
export function clusterServiceDefinition(
  name: 'CA' | 'Manager' | 'Dispatcher' | 'Logs' | 'Mesh',
): grpc.ServiceDefinition {
  return service(clusterProtoDescriptor, `shoal.cluster.${name}`);
}
