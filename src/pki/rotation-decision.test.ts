import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import {
  applyCaRequest,
  type ClusterCaFields,
  caStateOf,
  clusterTlsInfo,
  rotationRequestOf,
} from './cluster-ca.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { InvalidRootRotationError } from './errors.ts';
import { issuerInfoOf } from './issuer.ts';
import { type CaState, decideRootRotation, signingCaOf } from './rotation.ts';
import { HOUR, NOW } from './test-fixtures.ts';
import { nextTrustAction } from './trust-update.ts';

const OPTS = { now: NOW, minValidityMs: 2160 * HOUR };

async function stateWithRoot(): Promise<{ root: RootCa; state: CaState }> {
  const root = await RootCa.create({ now: NOW });
  return { root, state: { rootCertPem: root.certPem, rootKeyPem: root.keyPem, rotation: null } };
}

describe('root rotation requests', () => {
  it('force makes a fresh root cross-signed by the current one', async () => {
    const { root, state } = await stateWithRoot();
    const decision = await decideRootRotation(state, { force: true }, OPTS);
    assert.equal(decision.kind, 'start');
    if (decision.kind !== 'start') return;
    assert.notEqual(decision.rotation.caCertPem, root.certPem);
    const signer = await signingCaOf({ ...state, rotation: decision.rotation });
    assert.equal(signer.certPem, decision.rotation.caCertPem);
    assert.equal(signer.intermediatesPem, decision.rotation.crossSignedPem);
    assert.deepEqual(await decideRootRotation(state, { force: false }, OPTS), {
      kind: 'unchanged',
    });
  });

  it('takes a given root and key; the current root ends a rotation; the target is a no-op', async () => {
    const { root, state } = await stateWithRoot();
    const given = await RootCa.create({ now: NOW });
    const started = await decideRootRotation(
      state,
      { signingCertPem: given.certPem, signingKeyPem: given.keyPem, force: false },
      OPTS,
    );
    assert.equal(started.kind, 'start');
    if (started.kind !== 'start') return;
    assert.equal(started.rotation.caCertPem, given.certPem);
    const during: CaState = { ...state, rotation: started.rotation };
    assert.deepEqual(
      await decideRootRotation(during, { signingCertPem: given.certPem, force: false }, OPTS),
      { kind: 'unchanged' },
    );
    assert.deepEqual(
      await decideRootRotation(during, { signingCertPem: root.certPem, force: false }, OPTS),
      { kind: 'abort' },
    );
    assert.deepEqual(
      await decideRootRotation(state, { signingCertPem: root.certPem, force: true }, OPTS),
      { kind: 'unchanged' },
    );
    // A second rotation replaces the first, still cross-signed by the current root.
    const again = await decideRootRotation(during, { force: true }, OPTS);
    assert.equal(again.kind, 'start');
  });

  it('refuses what swarmkit refuses, naming the problem', async () => {
    const { state } = await stateWithRoot();
    const other = await RootCa.create({ now: NOW });
    const refused = (request: Parameters<typeof decideRootRotation>[1], pattern: RegExp) =>
      assert.rejects(decideRootRotation(state, request, OPTS), (error: Error) => {
        assert.ok(error instanceof InvalidRootRotationError);
        assert.equal((error as InvalidRootRotationError).code, 'invalid_argument');
        assert.match(error.message, pattern);
        return true;
      });
    await refused(
      { signingKeyPem: other.keyPem, force: false },
      /certificate must also be provided/,
    );
    await refused({ signingCertPem: other.certPem, force: false }, /needs its key/);
    const wrongKey = await RootCa.create({ now: NOW });
    await refused(
      { signingCertPem: other.certPem, signingKeyPem: wrongKey.keyPem, force: false },
      /does not match/,
    );
    const short = await RootCa.create({ now: NOW, expiryMs: 10 * HOUR });
    await refused(
      { signingCertPem: short.certPem, signingKeyPem: short.keyPem, force: false },
      /expires at/,
    );
    const { csrPem, keyPem } = await generateNodeKeyAndCsr();
    const leaf = await other.issueNodeCertificate({
      csrPem,
      nodeId: 'n',
      clusterId: 'c',
      role: 'worker',
      now: NOW,
    });
    await refused(
      { signingCertPem: leaf, signingKeyPem: keyPem, force: false },
      /not a CA|CA:TRUE/,
    );
  });

  it('reads a request body: strings only, ForceRotate compared with the current value', () => {
    assert.deepEqual(rotationRequestOf({}, 0, 0), { force: false });
    assert.deepEqual(rotationRequestOf(null, undefined, 1), { force: true });
    assert.deepEqual(
      rotationRequestOf({ CAConfig: { SigningCACert: 'A', SigningCAKey: 'B' } }, 2, 2),
      { signingCertPem: 'A', signingKeyPem: 'B', force: false },
    );
    assert.throws(
      () => rotationRequestOf({ CAConfig: { SigningCACert: 5 } }, 0, 0),
      /SigningCACert must be a PEM string/,
    );
  });
});

describe('a cluster through a rotation', () => {
  it('records the rotation and the desired issuer; nodes renew, then take the new root', async () => {
    const root = await RootCa.create({ now: NOW });
    const cluster: ClusterCaFields & { ID: string } = {
      ID: 'c1',
      TLSInfo: clusterTlsInfo(root.certPem, root.certPem),
      RootRotationInProgress: false,
      Internal: { rootCaKeyPem: root.keyPem },
    };
    assert.equal(await applyCaRequest(cluster, { force: false }, OPTS), cluster);
    const rotating = await applyCaRequest(cluster, { force: true }, OPTS);
    assert.equal(rotating.ID, 'c1');
    assert.equal(rotating.RootRotationInProgress, true);
    assert.equal(rotating.TLSInfo.TrustRoot, root.certPem, 'the trust root stays until the end');
    const rotation = rotating.Internal.rootRotation!;
    assert.equal(
      rotating.TLSInfo.CertIssuerPublicKey,
      issuerInfoOf(rotation.caCertPem).publicKey,
      'the desired issuer is the new root',
    );

    // A node with a certificate from the old root is asked to renew.
    const { csrPem, keyPem } = await generateNodeKeyAndCsr();
    const oldCert = await root.issueNodeCertificate({
      csrPem,
      nodeId: 'n1',
      clusterId: 'c1',
      role: 'worker',
      now: NOW,
    });
    const node = { rootBundlePem: root.certPem, certPem: oldCert, keyPem };
    const status = {
      trustRootPem: rotating.TLSInfo.TrustRoot,
      issuerCertPem: rotation.caCertPem,
      rotationInProgress: true,
    };
    assert.deepEqual(nextTrustAction(node, status, NOW), { kind: 'renew' });
    const signer = await signingCaOf(caStateOf(rotating));
    const renewed = {
      ...node,
      certPem: await signer.issueNodeCertificate({
        csrPem,
        nodeId: 'n1',
        clusterId: 'c1',
        role: 'worker',
        now: NOW,
      }),
    };
    assert.deepEqual(nextTrustAction(renewed, status, NOW), { kind: 'none' });
    // The rotation ends: the new root alone is trusted, and the node takes it.
    const ended = { trustRootPem: rotation.caCertPem, issuerCertPem: rotation.caCertPem };
    assert.deepEqual(nextTrustAction(renewed, { ...ended, rotationInProgress: false }, NOW), {
      kind: 'trust',
      rootBundlePem: rotation.caCertPem,
    });
    // A node that missed the rotation renews first; it never trusts a root its chain lacks.
    assert.deepEqual(nextTrustAction(node, { ...ended, rotationInProgress: false }, NOW), {
      kind: 'renew',
    });
    // Rotating back to the current root drops the rotation.
    const aborted = await applyCaRequest(
      rotating,
      { signingCertPem: root.certPem, force: false },
      OPTS,
    );
    assert.equal(aborted.RootRotationInProgress, false);
    assert.equal(aborted.Internal.rootRotation, undefined);
    assert.equal(aborted.TLSInfo.CertIssuerPublicKey, issuerInfoOf(root.certPem).publicKey);
  });
});
