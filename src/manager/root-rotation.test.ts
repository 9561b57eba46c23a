import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyCaRequest,
  clusterTlsInfo,
  generateJoinToken,
  issuerInfoOf,
  parseJoinToken,
  RootCa,
  rootBundleDigest,
} from '../pki/index.ts';
import type { Cluster, Node } from '../store/index.ts';
import { finishedRotation, rotationProgress } from './root-rotation.ts';

const NOW = new Date();

async function clusterWithRoot(): Promise<{ cluster: Cluster; root: RootCa }> {
  const root = await RootCa.create({ now: NOW });
  const cluster = {
    ID: 'c1',
    Version: { Index: 7 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { CAConfig: { NodeCertExpiry: 2160 * 3600 * 1e9 } },
    TLSInfo: clusterTlsInfo(root.certPem, root.certPem),
    RootRotationInProgress: false,
    DataPathPort: 4789,
    DefaultAddrPool: [],
    SubnetSize: 24,
    JoinTokens: {
      Worker: generateJoinToken(root.certPem),
      Manager: generateJoinToken(root.certPem),
    },
    Internal: { rootCaKeyPem: root.keyPem, raftIds: {} },
  } as unknown as Cluster;
  return { cluster, root };
}

function nodeWith(issuerPem: string | null, trustRoot: string): Node {
  const issuer = issuerPem ? issuerInfoOf(issuerPem) : { subject: '', publicKey: '' };
  return {
    Description: {
      TLSInfo: {
        TrustRoot: trustRoot,
        CertIssuerSubject: issuer.subject,
        CertIssuerPublicKey: issuer.publicKey,
      },
    },
  } as unknown as Node;
}

describe('root rotation on the leader', () => {
  it('finishes only when every node has a certificate from the new root', async () => {
    const { cluster, root } = await clusterWithRoot();
    const rotating = await applyCaRequest(
      cluster,
      { force: true },
      {
        now: NOW,
        minValidityMs: 3_600_000,
      },
    );
    const newRoot = rotating.Internal.rootRotation!.caCertPem;
    const issuer = issuerInfoOf(newRoot);
    const nodes = [nodeWith(newRoot, root.certPem), nodeWith(root.certPem, root.certPem)];
    assert.deepEqual(rotationProgress(issuer, nodes), { rotated: 1, total: 2 });
    assert.equal(finishedRotation(rotating, nodes), null);
    // A node that never reported counts as not rotated.
    assert.equal(
      finishedRotation(rotating, [
        nodeWith(newRoot, root.certPem),
        {
          Description: {},
        } as unknown as Node,
      ]),
      null,
    );
    assert.equal(finishedRotation(cluster, []), null, 'no rotation, nothing to finish');

    const done = finishedRotation(rotating, [nodeWith(newRoot, root.certPem)])!;
    assert.ok(done);
    assert.equal(done.RootRotationInProgress, false);
    assert.equal(done.Internal.rootRotation, undefined);
    assert.equal(done.TLSInfo.TrustRoot, newRoot);
    assert.equal(done.Internal.rootCaKeyPem, rotating.Internal.rootRotation!.caKeyPem);
    assert.equal(done.Version.Index, 7);
    // Both tokens are new, and their digest names the new root.
    for (const token of [done.JoinTokens.Worker, done.JoinTokens.Manager]) {
      assert.equal(parseJoinToken(token).digest, rootBundleDigest(newRoot));
    }
    assert.notEqual(done.JoinTokens.Worker, cluster.JoinTokens.Worker);
  });
});
