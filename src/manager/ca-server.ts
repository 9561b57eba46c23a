// The CA service on the cluster port: hands out the root bundle, admits joining nodes that
// present a valid join token (the token decides the role), and renews certificates of nodes
// that present their own. Any manager answers: the root key is in the replicated store.
import { isIP } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { InvalidCsrError, parseJoinToken, RootCa, tokensEqual, verifyCsr } from '../pki/index.ts';
import { clusterServiceDefinition, RpcError, unaryHandler } from '../rpc/index.ts';
import type { Cluster, NodeAvailability, NodeDescription, NodeRole } from '../store/index.ts';
import type { ClusterState } from './cluster-state.ts';
import { clusterObject, managerAddresses } from './cluster-view.ts';

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAVAILABLE = 14;
const NANOSECONDS_PER_MILLISECOND = 1_000_000;
const AVAILABILITIES = new Set<NodeAvailability>(['active', 'pause', 'drain']);

/** Docker's answer to a wrong token: users search for these words. */
export const INVALID_TOKEN_MESSAGE = 'A valid join token is necessary to join this cluster';

export interface CaServerOptions {
  state: ClusterState;
  newNodeId: () => string;
  /** Identifies the caller of Renew: returns its node id or throws a refusal. */
  identify: (call: grpc.ServerUnaryCall<unknown, unknown>) => string;
  now?: () => Date;
}

interface JoinRequest {
  token: string;
  csrPem: string;
  advertiseAddr: string;
  availability: string;
  description: Uint8Array;
}

export class CaServer {
  constructor(private readonly options: CaServerOptions) {}

  attach(server: grpc.Server): void {
    server.addService(clusterServiceDefinition('CA'), {
      GetRootCertificate: unaryHandler(async () => ({
        rootBundlePem: this.cluster().TLSInfo.TrustRoot,
      })),
      Join: unaryHandler(async (request: JoinRequest, call) => this.join(request, call.getPeer())),
      Renew: unaryHandler(async (request: { csrPem: string }, call) =>
        this.renew(
          request.csrPem,
          this.options.identify(call as grpc.ServerUnaryCall<unknown, unknown>),
        ),
      ),
    });
  }

  private cluster(): Cluster {
    const cluster = clusterObject(this.options.state.store);
    if (!cluster) throw new RpcError(GRPC_UNAVAILABLE, 'the swarm is still being initialized');
    return cluster;
  }

  private async join(request: JoinRequest, peer: string) {
    const cluster = this.cluster();
    const role = this.roleOf(request.token, cluster);
    await this.checkCsr(request.csrPem);
    const availability = (request.availability || 'active') as NodeAvailability;
    if (!AVAILABILITIES.has(availability)) {
      throw new RpcError(GRPC_INVALID_ARGUMENT, `invalid availability "${availability}"`);
    }
    const description = parseDescription(request.description);
    const addr = hostOf(request.advertiseAddr) || hostOf(peerAddress(peer));
    const nodeId = this.options.newNodeId();
    await this.options.state.propose([
      {
        kind: 'create',
        table: 'nodes',
        object: {
          ID: nodeId,
          Spec: { Labels: {}, Role: role, Availability: availability },
          Description: description,
          Status: { State: 'unknown', Addr: addr },
        },
      },
    ]);
    return {
      nodeId,
      clusterId: cluster.ID,
      role,
      certificatePem: await this.issue(cluster, request.csrPem, nodeId, role),
      rootBundlePem: cluster.TLSInfo.TrustRoot,
      managers: managerAddresses(this.options.state.store),
    };
  }

  private async renew(csrPem: string, nodeId: string) {
    const cluster = this.cluster();
    const node = this.options.state.store.get('nodes', nodeId);
    if (!node) {
      throw new RpcError(GRPC_PERMISSION_DENIED, `node ${nodeId} is not a member of this cluster`);
    }
    await this.checkCsr(csrPem);
    // The role comes from the store, so a promotion or demotion reaches the node this way.
    return {
      certificatePem: await this.issue(cluster, csrPem, nodeId, node.Spec.Role),
      rootBundlePem: cluster.TLSInfo.TrustRoot,
    };
  }

  private roleOf(token: string, cluster: Cluster): NodeRole {
    try {
      parseJoinToken(token);
    } catch {
      throw new RpcError(GRPC_INVALID_ARGUMENT, INVALID_TOKEN_MESSAGE);
    }
    // Both comparisons always run, in constant time, so timing tells nothing about either.
    const manager = tokensEqual(token, cluster.JoinTokens.Manager);
    const worker = tokensEqual(token, cluster.JoinTokens.Worker);
    if (manager) return 'manager';
    if (worker) return 'worker';
    throw new RpcError(GRPC_INVALID_ARGUMENT, INVALID_TOKEN_MESSAGE);
  }

  private async checkCsr(csrPem: string): Promise<void> {
    try {
      await verifyCsr(csrPem);
    } catch (error) {
      const reason = error instanceof InvalidCsrError ? error.message : String(error);
      throw new RpcError(GRPC_INVALID_ARGUMENT, `invalid certificate request: ${reason}`);
    }
  }

  private async issue(cluster: Cluster, csrPem: string, nodeId: string, role: NodeRole) {
    const root = await RootCa.fromPem(cluster.TLSInfo.TrustRoot, cluster.Internal.rootCaKeyPem);
    return root.issueNodeCertificate({
      csrPem,
      nodeId,
      clusterId: cluster.ID,
      role,
      expiryMs: cluster.Spec.CAConfig.NodeCertExpiry / NANOSECONDS_PER_MILLISECOND,
      now: this.options.now?.() ?? new Date(),
    });
  }
}

function parseDescription(bytes: Uint8Array): NodeDescription {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as NodeDescription;
    if (typeof value?.Hostname !== 'string' || typeof value.Platform !== 'object') {
      throw new Error('missing Hostname or Platform');
    }
    return value;
  } catch (error) {
    throw new RpcError(
      GRPC_INVALID_ARGUMENT,
      `invalid node description: ${(error as Error).message}`,
    );
  }
}

/** "ipv4:10.0.0.5:41234" or "10.0.0.5:41234" → "10.0.0.5:41234". */
function peerAddress(peer: string): string {
  return peer.replace(/^ipv[46]:/, '');
}

/** The host part of host:port ([v6]:port too); '' for ''. */
export function hostOf(address: string): string {
  if (!address) return '';
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  if (isIP(address)) return address;
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}
