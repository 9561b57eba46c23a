// The Dispatcher.Session messages (proto/cluster.proto) as both ends see them, and the helpers
// both ends share. Kept free of manager-only imports so the agent can use it. The loader
// (src/rpc/protos.ts) names fields in camelCase: proto `heartbeat_period_ms` is
// `heartbeatPeriodMs` on the wire objects.
import type { NodeDescription, NodeRole, PortConflict } from '../../store/index.ts';

/** A manager of the cluster, as replies name them to agents. */
export interface ManagerAddress {
  nodeId: string;
  /** host:port of its cluster port. */
  addr: string;
  raftId: number;
}

/** SessionMessage as decoded (every field present). */
export interface WireSessionMessage {
  description: Uint8Array;
  addr: string;
  taskStatuses: Uint8Array;
  statusMessage: string;
  portConflicts: WirePortConflict[];
}

export interface WirePortConflict {
  serviceId: string;
  protocol: string;
  publishedPort: number;
  message: string;
}

/** Port conflicts a session message may carry at most, and the length of each message. */
export const MAX_PORT_CONFLICTS = 256;
const MAX_CONFLICT_MESSAGE = 512;

export function portConflictsToWire(conflicts: readonly PortConflict[]): WirePortConflict[] {
  return conflicts.slice(0, MAX_PORT_CONFLICTS).map((c) => ({
    serviceId: c.ServiceID,
    protocol: c.Protocol,
    publishedPort: c.PublishedPort,
    message: c.Message,
  }));
}

/** The conflicts an agent reported; throws on one that names no valid port. */
export function portConflictsFromWire(wire: readonly WirePortConflict[]): PortConflict[] {
  if (wire.length > MAX_PORT_CONFLICTS) {
    throw new Error(`${wire.length} port conflicts in one message; at most ${MAX_PORT_CONFLICTS}`);
  }
  return wire.map((c) => {
    if (c.protocol !== 'tcp' && c.protocol !== 'udp') {
      throw new Error(`port conflict with protocol ${JSON.stringify(c.protocol)}: tcp or udp`);
    }
    if (!Number.isInteger(c.publishedPort) || c.publishedPort < 1 || c.publishedPort > 65535) {
      throw new Error(`port conflict on port ${c.publishedPort}: not a port number`);
    }
    return {
      ServiceID: c.serviceId.slice(0, 64),
      Protocol: c.protocol,
      PublishedPort: c.publishedPort,
      Message: c.message.slice(0, MAX_CONFLICT_MESSAGE),
    };
  });
}

export interface WireManagerAddress {
  nodeId: string;
  addr: string;
  raftId: number;
}

/** SessionReply as decoded (every field present). */
export interface WireSessionReply {
  heartbeatPeriodMs: number;
  managers: WireManagerAddress[];
  leaderAddr: string;
  assignments: Uint8Array;
  role: string;
  logSubscriptions: Uint8Array;
  mesh: Uint8Array;
  clusterVersion: number;
}

/** A SessionReply as the agent hands it on. */
export interface SessionReply {
  /** Send the next message within this many ms. */
  heartbeatPeriodMs: number;
  managers: ManagerAddress[];
  /** Non-empty when the manager is not the leader: the agent reconnects there. */
  leaderAddr: string;
  /** The node's role as the cluster sees it now; '' in a redirect. */
  role: NodeRole | '';
  /** JSON of the node's task assignments; empty when unchanged. */
  assignments: Uint8Array;
  /** JSON of log subscriptions for this node (src/manager/logs/protocol.ts); empty: none. */
  logSubscriptions: Uint8Array;
  /** JSON of the routing mesh's table (src/mesh/table.ts); empty when unchanged. */
  mesh: Uint8Array;
  /** The cluster object's version (0 when unknown): the CA's state may have changed. */
  clusterVersion: number;
}

/** The largest description JSON a session accepts. */
export const MAX_DESCRIPTION_BYTES = 64 * 1024;

export function managerToWire(m: ManagerAddress): WireManagerAddress {
  return { nodeId: m.nodeId, addr: m.addr, raftId: m.raftId };
}

export function managerFromWire(m: WireManagerAddress): ManagerAddress {
  return { nodeId: m.nodeId, addr: m.addr, raftId: Number(m.raftId) };
}

export function replyFromWire(reply: WireSessionReply): SessionReply {
  return {
    heartbeatPeriodMs: Number(reply.heartbeatPeriodMs),
    managers: (reply.managers ?? []).map(managerFromWire),
    leaderAddr: reply.leaderAddr ?? '',
    role: reply.role === 'manager' || reply.role === 'worker' ? reply.role : '',
    assignments: reply.assignments ?? new Uint8Array(),
    logSubscriptions: reply.logSubscriptions ?? new Uint8Array(),
    mesh: reply.mesh ?? new Uint8Array(),
    clusterVersion: Number(reply.clusterVersion ?? 0),
  };
}

/**
 * The host part of `host:port` ('[v6]:port' and a bare host also work); '' when there is none.
 * grpc-js peers may carry a scheme ('ipv4:1.2.3.4:5'), which is dropped.
 */
export function hostOf(address: string): string {
  let rest = address.trim().replace(/^(ipv4|ipv6):/, '');
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    return end > 0 ? rest.slice(1, end) : '';
  }
  const colons = rest.split(':').length - 1;
  if (colons === 1) rest = rest.slice(0, rest.indexOf(':'));
  // More than one colon without brackets: a bare IPv6 address.
  return rest;
}

/** The port part of `host:port` or `[v6]:port`; '' when there is none. */
export function portOf(address: string): string {
  const match = /(?:^[^:]*|\]):(\d{1,5})$/.exec(address.trim());
  return match ? match[1]! : '';
}

/**
 * The host of a peer as grpc-js's server reports it (`${remoteAddress}:${remotePort}`, IPv6
 * unbracketed); IPv4-mapped IPv6 addresses come back as plain IPv4.
 */
export function peerHost(peer: string): string {
  const colon = peer.lastIndexOf(':');
  let host = colon > 0 ? peer.slice(0, colon) : peer;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped ? mapped[1]! : host;
}

/** True for addresses that name no particular host (0.0.0.0, ::). */
export function isUnspecifiedHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLabels(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Parses and checks a node description an agent sent, keeping only the known fields (an agent
 * cannot put anything else into the store). Throws an Error naming the problem.
 */
export function parseNodeDescription(bytes: Uint8Array): NodeDescription {
  if (bytes.length > MAX_DESCRIPTION_BYTES) {
    throw new Error(`node description is ${bytes.length} bytes, over ${MAX_DESCRIPTION_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    throw new Error('node description is not JSON');
  }
  if (!isRecord(value)) throw new Error('node description must be an object');
  const { Hostname, Platform, Resources, Engine } = value;
  if (typeof Hostname !== 'string' || Hostname.length > 255) {
    throw new Error('node description needs a Hostname');
  }
  if (
    !isRecord(Platform) ||
    typeof Platform.Architecture !== 'string' ||
    typeof Platform.OS !== 'string'
  ) {
    throw new Error('node description needs Platform { Architecture, OS }');
  }
  if (!isRecord(Resources) || !isCount(Resources.NanoCPUs) || !isCount(Resources.MemoryBytes)) {
    throw new Error('node description needs Resources { NanoCPUs, MemoryBytes }');
  }
  if (!isRecord(Engine) || typeof Engine.EngineVersion !== 'string') {
    throw new Error('node description needs Engine { EngineVersion, Labels }');
  }
  const labels = Engine.Labels ?? {};
  if (!isLabels(labels)) throw new Error('node description Engine.Labels must map strings');
  const plugins = Engine.Plugins ?? [];
  if (
    !Array.isArray(plugins) ||
    plugins.length > 64 ||
    !plugins.every((p) => isRecord(p) && typeof p.Type === 'string' && typeof p.Name === 'string')
  ) {
    throw new Error('node description Engine.Plugins must list { Type, Name } (64 at most)');
  }
  const description: NodeDescription = {
    Hostname,
    Platform: { Architecture: Platform.Architecture, OS: Platform.OS },
    Resources: { NanoCPUs: Resources.NanoCPUs, MemoryBytes: Resources.MemoryBytes },
    Engine: { EngineVersion: Engine.EngineVersion, Labels: { ...labels } },
  };
  if (plugins.length > 0) {
    description.Engine.Plugins = plugins.map((p) => ({
      Type: String(p.Type).slice(0, 64),
      Name: String(p.Name).slice(0, 128),
    }));
  }
  return description;
}
