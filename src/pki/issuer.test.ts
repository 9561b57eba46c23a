import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { readSubjectDer } from './der.ts';
import { isIssuedBy, issuerInfoOf } from './issuer.ts';
import { decodePem } from './pem.ts';
import { startRootRotation } from './rotation.ts';
import { NOW } from './test-fixtures.ts';
import * as x509 from './x509.ts';

async function leafOf(ca: RootCa): Promise<string> {
  const { csrPem } = await generateNodeKeyAndCsr();
  return ca.issueNodeCertificate({
    csrPem,
    nodeId: 'n1',
    clusterId: 'c1',
    role: 'worker',
    now: NOW,
  });
}

describe('issuer', () => {
  it('names a CA by the DER of its subject and of its public key, as Go reads them', async () => {
    const root = await RootCa.create({ now: NOW });
    const info = issuerInfoOf(root.certPem);
    const parsed = new x509.X509Certificate(root.certPem);
    assert.deepEqual(
      Buffer.from(info.subject, 'base64'),
      Buffer.from(parsed.subjectName.toArrayBuffer()),
    );
    assert.deepEqual(Buffer.from(info.publicKey, 'base64'), Buffer.from(parsed.publicKey.rawData));
    // The DER reader finds the same bytes with or without the version field's help.
    const der = decodePem(root.certPem, 'CERTIFICATE')[0] as Uint8Array;
    assert.deepEqual(Buffer.from(readSubjectDer(der)), Buffer.from(info.subject, 'base64'));
  });

  it('tells an old root from a new one by the signature, though both are CN=swarm-ca', async () => {
    const oldRoot = await RootCa.create({ now: NOW });
    const { newRoot } = await startRootRotation(oldRoot, { now: NOW });
    const oldLeaf = await leafOf(oldRoot);
    const newLeaf = await leafOf(newRoot);
    assert.equal(isIssuedBy(oldLeaf, oldRoot.certPem), true);
    assert.equal(isIssuedBy(oldLeaf, newRoot.certPem), false);
    // The chain [leaf, cross-signed]: only the first certificate counts.
    assert.equal(isIssuedBy(newLeaf, newRoot.certPem), true);
    assert.equal(isIssuedBy(newLeaf, oldRoot.certPem), false);
    assert.notEqual(
      issuerInfoOf(oldRoot.certPem).publicKey,
      issuerInfoOf(newRoot.certPem).publicKey,
    );
    assert.equal(issuerInfoOf(oldRoot.certPem).subject, issuerInfoOf(newRoot.certPem).subject);
  });
});
