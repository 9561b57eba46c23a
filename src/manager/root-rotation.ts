// Root CA rotation on the managers (swarmkit's scheme). A `swarm ca --rotate` records the new
// root, its key and its certificate cross-signed by the current root in the cluster object;
// from then on the CA signs with the new root and appends the cross-signed copy, so nodes that
// still trust only the current root verify the new certificates. Every node renews on its CA
// status poll and reports which issuer its certificate has (ca-server.ts records it as the
// node's Description.TLSInfo). When every node's certificate is from the new root, the leader
// finishes: the new root becomes the trust root, join tokens change with its digest, and the
// nodes take the new root as they next poll.
import { clusterTlsInfo, generateJoinToken, type IssuerInfo, issuerInfoOf } from '../pki/index.ts';
import type { Cluster, Node } from '../store/index.ts';
import type { ClusterState } from './cluster-state.ts';
import { clusterObject } from './cluster-view.ts';

/** How often the leader checks whether a rotation under way can finish. */
export const ROTATION_CHECK_MS = 1000;

/** Docker's progress numbers: nodes whose certificate is from the desired issuer, and all nodes. */
export function rotationProgress(
  issuer: IssuerInfo,
  nodes: readonly Node[],
): { rotated: number; total: number } {
  let rotated = 0;
  for (const node of nodes) {
    const info = node.Description.TLSInfo;
    if (
      info?.CertIssuerSubject === issuer.subject &&
      info.CertIssuerPublicKey === issuer.publicKey
    ) {
      rotated++;
    }
  }
  return { rotated, total: nodes.length };
}

/**
 * The cluster object once a rotation under way has converged (every node, down ones too, as
 * swarmkit: remove a node that will not come back), else null. The new root alone becomes the
 * trust root; both join tokens are made again, so their digest names the new root.
 */
export function finishedRotation(cluster: Cluster, nodes: readonly Node[]): Cluster | null {
  const rotation = cluster.Internal.rootRotation;
  if (!rotation) return null;
  const { rotated, total } = rotationProgress(issuerInfoOf(rotation.caCertPem), nodes);
  if (rotated < total) return null;
  const internal = { ...cluster.Internal, rootCaKeyPem: rotation.caKeyPem };
  delete internal.rootRotation;
  return {
    ...cluster,
    Internal: internal,
    RootRotationInProgress: false,
    TLSInfo: clusterTlsInfo(rotation.caCertPem, rotation.caCertPem),
    JoinTokens: {
      Worker: generateJoinToken(rotation.caCertPem),
      Manager: generateJoinToken(rotation.caCertPem),
    },
  };
}

/** On the leader: finishes a rotation once every node has a certificate from the new root. */
export class RootRotationReconciler {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly options: { state: ClusterState; log: (line: string) => void }) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), ROTATION_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    const state = this.options.state;
    if (this.busy || !state.isLeader()) return;
    const cluster = clusterObject(state.store);
    if (!cluster?.Internal.rootRotation) return;
    const finished = finishedRotation(cluster, state.store.list('nodes'));
    if (!finished) return;
    this.busy = true;
    try {
      await state.propose([
        {
          kind: 'update',
          table: 'cluster',
          expectedVersion: cluster.Version.Index,
          object: finished,
        },
      ]);
      this.options.log(
        'root CA rotation complete: every node holds a certificate from the new root',
      );
    } catch (error) {
      // A concurrent change (another rotation, a token rotation): the next check decides again.
      this.options.log(`root CA rotation: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }
}
