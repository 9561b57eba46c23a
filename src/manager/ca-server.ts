// The CA service on the cluster port: hands out the root bundle, admits joining nodes that
// present a valid join token (the token decides the role), renews certificates of nodes that
// present their own, and answers nodes' status polls (what a root rotation wants of them),
// recording which issuer each node's certificate has. Any manager answers: the root key is in
// the replicated store.
import { isIP } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import {
  callerCertificate,
  caStateOf,
  desiredIssuerPem,
  InvalidCsrError,
  isIssuedBy,
  issuerInfoOf,
  parseJoinToken,
  signingCaOf,
  splitPemCertificates,
  tokensEqual,
  verifyCsr,
} from '../pki/index.ts';
import { clusterServiceDefinition, RpcError, unaryHandler } from '../rpc/index.ts';
import type {
  Cluster,
  Node,
  NodeAvailability,
  NodeDescription,
  NodeRole,
  TLSInfo,
} from '../store/index.ts';
import type { ClusterState } from './cluster-state.ts';
import { clusterObject, managerAddresses } from './cluster-view.ts';

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAVAILABLE = 14;
const NANOSECONDS_PER_MILLISECOND = 1_000_000;
const AVAILABILITIES = new Set<NodeAvailability>(['active', 'pause', 'drain']);
/** A trust root a node reports is a root or two (during a rotation): a few KiB. */
const MAX_REPORTED_TRUST_ROOT_BYTES = 64 * 1024;

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
      Status: unaryHandler(async (request: { trustRootPem: string }, call) => {
        const nodeId = this.options.identify(call as grpc.ServerUnaryCall<unknown, unknown>);
        return this.status(request.trustRootPem, nodeId, callerCertificate(call));
      }),
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

  /**
   * A node's poll: the trust root and the issuer the cluster wants. The certificate the node
   * presented on this call (verified by TLS) is the proof of what it uses, so its issuer and
   * the trust root the node reports are written to its Description.TLSInfo when they changed:
   * the rotation finishes on these records, and `swarm ca --rotate` draws its progress from
   * them.
   */
  private async status(reportedTrustRoot: string, nodeId: string, certificate: Uint8Array) {
    const cluster = this.cluster();
    const node = this.options.state.store.get('nodes', nodeId);
    if (!node) {
      throw new RpcError(GRPC_PERMISSION_DENIED, `node ${nodeId} is not a member of this cluster`);
    }
    const issuerPem = desiredIssuerPem(caStateOf(cluster));
    const observed = observedTlsInfo(cluster, issuerPem, certificate, reportedTrustRoot);
    if (observed && !sameTlsInfo(node.Description.TLSInfo, observed)) {
      await this.recordTlsInfo(node, observed);
    }
    return {
      trustRootPem: cluster.TLSInfo.TrustRoot,
      issuerCertPem: issuerPem,
      rotationInProgress: cluster.Internal.rootRotation !== undefined,
    };
  }

  private async recordTlsInfo(node: Node, tlsInfo: TLSInfo): Promise<void> {
    try {
      await this.options.state.propose([
        {
          kind: 'update',
          table: 'nodes',
          expectedVersion: node.Version.Index,
          object: { ...node, Description: { ...node.Description, TLSInfo: tlsInfo } },
        },
      ]);
    } catch {
      // A concurrent write to the node (its session) or no quorum: the next poll records it.
    }
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
    // During a root rotation: the new root, its chains carrying the cross-signed copy.
    const signer = await signingCaOf(caStateOf(cluster));
    return signer.issueNodeCertificate({
      csrPem,
      nodeId,
      clusterId: cluster.ID,
      role,
      expiryMs: cluster.Spec.CAConfig.NodeCertExpiry / NANOSECONDS_PER_MILLISECOND,
      now: this.options.now?.() ?? new Date(),
    });
  }
}

/**
 * What a node's poll shows of its TLS: the issuer of the certificate it presented (the
 * desired issuer or the current root; unknown otherwise) and the trust root it reports.
 * Null when the report is not a root bundle.
 */
function observedTlsInfo(
  cluster: Cluster,
  issuerPem: string,
  certificate: Uint8Array,
  reportedTrustRoot: string,
): TLSInfo | null {
  if (!reportedTrustRoot || reportedTrustRoot.length > MAX_REPORTED_TRUST_ROOT_BYTES) return null;
  try {
    splitPemCertificates(reportedTrustRoot);
  } catch {
    return null;
  }
  const issuer = [issuerPem, cluster.TLSInfo.TrustRoot].find((candidate) =>
    isIssuedBy(certificate, candidate),
  );
  const info = issuer ? issuerInfoOf(issuer) : { subject: '', publicKey: '' };
  return {
    TrustRoot: reportedTrustRoot,
    CertIssuerSubject: info.subject,
    CertIssuerPublicKey: info.publicKey,
  };
}

function sameTlsInfo(a: TLSInfo | undefined, b: TLSInfo): boolean {
  return (
    a !== undefined &&
    a.TrustRoot === b.TrustRoot &&
    a.CertIssuerSubject === b.CertIssuerSubject &&
    a.CertIssuerPublicKey === b.CertIssuerPublicKey
  );
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
