// The service definitions protos.ts builds with protobufjs behave as @grpc/proto-loader's
// (which built them before, and which grpc-js still depends on): same methods, paths, streaming
// flags and names, the same bytes for the same message, the same objects decoded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import type { Type } from 'protobufjs/light.js';
import protobuf from 'protobufjs/light.js';
import {
  clusterProtoDescriptor,
  kvProtoDescriptor,
  raftProtoDescriptor,
} from './proto-descriptors.generated.ts';
import {
  buildServiceDefinition,
  CONVERSION_OPTIONS,
  clusterServiceDefinition,
  kvServiceDefinition,
  raftServiceDefinition,
  resolvedRoot,
} from './protos.ts';

const CLUSTER_SERVICES = ['CA', 'Manager', 'Dispatcher', 'Logs', 'Mesh'] as const;

/** Every service: its full name, its descriptor, and the definition protos.ts makes. */
const services: Array<[string, object, grpc.ServiceDefinition]> = [
  ['shoal.raft.Raft', raftProtoDescriptor, raftServiceDefinition()],
  ['shoal.kv.KV', kvProtoDescriptor, kvServiceDefinition()],
  ...CLUSTER_SERVICES.map((name): [string, object, grpc.ServiceDefinition] => [
    `shoal.cluster.${name}`,
    clusterProtoDescriptor,
    clusterServiceDefinition(name),
  ]),
];

function loaderService(descriptor: object, name: string): grpc.ServiceDefinition {
  const definitions = fromJSON(descriptor as Parameters<typeof fromJSON>[0], CONVERSION_OPTIONS);
  return definitions[name] as grpc.ServiceDefinition;
}

/** A message of `type` with every field set (nested messages to `depth`), varied by `seed`. */
function sample(type: Type, seed: number, depth = 2): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  type.fieldsArray.forEach((field, i) => {
    field.resolve();
    const n = seed * 31 + i + 1;
    const value = (): unknown => {
      if (field.resolvedType instanceof protobuf.Enum) {
        const values = Object.values(field.resolvedType.values);
        return values[n % values.length];
      }
      if (field.resolvedType instanceof protobuf.Type) {
        return depth > 0 ? sample(field.resolvedType, n, depth - 1) : {};
      }
      switch (field.type) {
        case 'string':
          return `value-${n}`;
        case 'bytes':
          return Buffer.from(`bytes-${n}`);
        case 'bool':
          return n % 2 === 0;
        case 'double':
        case 'float':
          return n + 0.5;
        case 'uint64':
        case 'int64':
        case 'fixed64':
          // Past 2^32, as terms and ids are, and below 2^53.
          return 2 ** 40 + n;
        default:
          return n;
      }
    };
    message[field.name] = field.repeated ? [value(), value()] : value();
  });
  return message;
}

test('protos: the methods, paths, streaming flags and names of @grpc/proto-loader', () => {
  for (const [name, descriptor, mine] of services) {
    const theirs = loaderService(descriptor, name);
    assert.deepEqual(Object.keys(mine).sort(), Object.keys(theirs).sort(), name);
    for (const [methodName, method] of Object.entries(mine)) {
      const expected = theirs[methodName]!;
      assert.equal(method.path, expected.path);
      assert.equal(method.requestStream, expected.requestStream, method.path);
      assert.equal(method.responseStream, expected.responseStream, method.path);
      assert.equal(method.originalName, expected.originalName, method.path);
    }
  }
});

/** What one side of a method does to one message: the bytes, and those bytes decoded. */
interface Outcome {
  bytes: Buffer;
  decoded: object;
}

/**
 * Every method's request and response side, each with three messages (empty, and every field
 * set twice over), encoded and decoded by `definitions`.
 */
function outcomes(definitionOf: (name: string, descriptor: object) => grpc.ServiceDefinition) {
  const all = new Map<string, Outcome>();
  for (const [name, descriptor] of services) {
    const definition = definitionOf(name, descriptor);
    const service = resolvedRoot(descriptor).lookupService(name);
    for (const method of service.methodsArray) {
      const sides: Array<[string, Type, grpc.serialize<object>, grpc.deserialize<object>]> = [
        [
          'request',
          method.resolvedRequestType!,
          definition[method.name]!.requestSerialize,
          definition[method.name]!.requestDeserialize,
        ],
        [
          'response',
          method.resolvedResponseType!,
          definition[method.name]!.responseSerialize,
          definition[method.name]!.responseDeserialize,
        ],
      ];
      for (const [side, type, serialize, deserialize] of sides) {
        [{}, sample(type, 1), sample(type, 2)].forEach((message, i) => {
          const bytes = serialize(message);
          assert.ok(Buffer.isBuffer(bytes), `${name}.${method.name} ${side}: a Buffer`);
          all.set(`${name}.${method.name} ${side} #${i}`, { bytes, decoded: deserialize(bytes) });
        });
      }
    }
  }
  return all;
}

test('protos: the same bytes and the same decoded objects as @grpc/proto-loader', () => {
  const expected = outcomes((name, descriptor) => loaderService(descriptor, name));
  assert.deepEqual(
    outcomes((name) => services.find(([full]) => full === name)![2]),
    expected,
  );
  // The bundle leaves the `long` library out (scripts/build.mjs): protobufjs then reads and
  // writes 64-bit fields as plain numbers, to the same effect.
  const long = protobuf.util.Long;
  try {
    protobuf.util.Long = null as unknown as typeof long;
    protobuf.configure();
    assert.deepEqual(
      outcomes((name, descriptor) => buildServiceDefinition(resolvedRoot(descriptor), name)),
      expected,
    );
  } finally {
    protobuf.util.Long = long;
    protobuf.configure();
  }
});

test('protos: uint64 as numbers, bytes as Buffers, absent fields as their zero values', () => {
  const send = raftServiceDefinition().Send!;
  const entry = { term: 2 ** 40, index: 7, type: 1, data: Buffer.from('x') };
  const decoded = send.requestDeserialize(
    send.requestSerialize({ messages: [{ type: 4, entries: [entry] }] }),
  ) as { messages: Array<Record<string, unknown>> };
  const message = decoded.messages[0]!;
  assert.equal(message.type, 4);
  assert.equal(message.from, 0);
  assert.deepEqual(message.entries, [entry]);
  assert.ok(Buffer.isBuffer((message.entries as Array<{ data: unknown }>)[0]!.data));
});

test('protos: a definition is made once and an unknown service is refused', () => {
  assert.equal(clusterServiceDefinition('CA'), clusterServiceDefinition('CA'));
  assert.throws(
    () => clusterServiceDefinition('Nope' as 'CA'),
    /proto descriptor has no service shoal\.cluster\.Nope/,
  );
});
