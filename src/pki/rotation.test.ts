import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import * as tls from 'node:tls';
import { RootCa } from './ca.ts';
import { parseNodeCertificate, verifyCertificateChain } from './certificate.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { splitPemCertificates } from './pem.ts';
import {
  buildTrustBundle,
  completeRootRotation,
  finalTrustBundle,
  rotationTrustBundle,
  startRootRotation,
} from './rotation.ts';
import { HOUR, NOW } from './test-fixtures.ts';
import { rootBundleDigest } from './token.ts';
import * as x509 from './x509.ts';

async function issue(ca: RootCa, nodeId: string) {
  const { csrPem, keyPem } = await generateNodeKeyAndCsr();
  const certPem = await ca.issueNodeCertificate({
    csrPem,
    nodeId,
    clusterId: 'cluster1',
    role: 'manager',
    now: NOW,
  });
  return { certPem, keyPem };
}

describe('root rotation', () => {
  it('cross-signs the new root with the old one', async () => {
    const oldRoot = await RootCa.create({ now: NOW });
    const rotation = await startRootRotation(oldRoot, { now: NOW });
    const cross = new x509.X509Certificate(rotation.crossSignedPem);
    const fresh = new x509.X509Certificate(rotation.newRoot.certPem);
    assert.equal(cross.subject, fresh.subject);
    assert.deepEqual(Buffer.from(cross.publicKey.rawData), Buffer.from(fresh.publicKey.rawData));
    assert.equal(cross.notAfter.getTime(), fresh.notAfter.getTime());
    assert.equal(cross.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.equal(
      await cross.verify({ publicKey: oldRoot.certificate.publicKey, signatureOnly: true }),
      true,
    );
    assert.equal(await cross.isSelfSigned(), false);
    assert.equal(await fresh.isSelfSigned(), true);
  });

  it('lets a node trusting only the old root verify a certificate from the new root', async () => {
    const oldRoot = await RootCa.create({ now: NOW });
    const { newRoot, crossSignedPem, trustBundlePem } = await startRootRotation(oldRoot, {
      now: NOW,
    });
    const { certPem } = await issue(newRoot, 'm2');
    // Issued during rotation: [leaf, cross-signed new root].
    const chain = splitPemCertificates(certPem);
    assert.equal(chain.length, 2);
    assert.equal(chain[1], crossSignedPem);
    assert.equal(parseNodeCertificate(certPem).nodeId, 'm2');

    const viaOld = verifyCertificateChain({
      chainPem: certPem,
      rootBundlePem: oldRoot.certPem,
      now: NOW,
    });
    assert.deepEqual(viaOld.path, [chain[0], crossSignedPem, oldRoot.certPem]);
    // Without the intermediate the old root alone cannot vouch for it.
    assert.throws(
      () =>
        verifyCertificateChain({
          chainPem: chain[0] as string,
          rootBundlePem: oldRoot.certPem,
          now: NOW,
        }),
      /not signed by a trusted root CA/,
    );
    // Nodes already on the rotation bundle accept it either way.
    verifyCertificateChain({ chainPem: certPem, rootBundlePem: trustBundlePem, now: NOW });
    verifyCertificateChain({
      chainPem: chain[0] as string,
      rootBundlePem: trustBundlePem,
      now: NOW,
    });
    // Certificates of the old root still verify during the rotation.
    const { certPem: oldLeaf } = await issue(oldRoot, 'm1');
    verifyCertificateChain({ chainPem: oldLeaf, rootBundlePem: trustBundlePem, now: NOW });

    // After the rotation only the new root is trusted and issued chains are single certs.
    const done = completeRootRotation(newRoot);
    assert.equal(done.trustBundlePem, newRoot.certPem);
    const { certPem: finalLeaf } = await issue(done.root, 'm3');
    assert.equal(splitPemCertificates(finalLeaf).length, 1);
    verifyCertificateChain({ chainPem: finalLeaf, rootBundlePem: done.trustBundlePem, now: NOW });
    assert.throws(
      () =>
        verifyCertificateChain({ chainPem: oldLeaf, rootBundlePem: done.trustBundlePem, now: NOW }),
      /not signed by a trusted root CA/,
    );
  });

  it('builds the bundles: old + new during, new only after, deduplicated', async () => {
    const a = await RootCa.create({ now: NOW });
    const b = await RootCa.create({ now: NOW });
    assert.equal(rotationTrustBundle(a.certPem, b.certPem), a.certPem + b.certPem);
    assert.equal(finalTrustBundle(b.certPem), b.certPem);
    assert.equal(buildTrustBundle(a.certPem, b.certPem, a.certPem), a.certPem + b.certPem);
    // The join token digest changes with the bundle.
    assert.notEqual(
      rootBundleDigest(a.certPem),
      rootBundleDigest(rotationTrustBundle(a.certPem, b.certPem)),
    );
  });

  it('works in real TLS: an old-root-only client accepts a new-root server chain', async (t) => {
    const oldRoot = await RootCa.create({ now: new Date(Date.now()) });
    const { newRoot } = await startRootRotation(oldRoot, { now: new Date(Date.now()) });
    const { csrPem, keyPem } = await generateNodeKeyAndCsr();
    const cert = await newRoot.issueNodeCertificate({
      csrPem,
      nodeId: 'm2',
      clusterId: 'c',
      role: 'manager',
      now: new Date(),
      expiryMs: 2 * HOUR,
    });
    const server = tls.createServer({ key: keyPem, cert, minVersion: 'TLSv1.2' }, (socket) => {
      socket.end('hello');
    });
    t.after(() => server.close());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      ca: oldRoot.certPem,
      servername: 'swarm-manager',
    });
    t.after(() => client.destroy());
    await once(client, 'secureConnect');
    assert.equal(client.authorized, true);
    const [data] = await once(client, 'data');
    assert.equal(String(data), 'hello');
  });
});
