import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate as NodeX509 } from 'node:crypto';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import { parseNodeCertificate, verifyNodeCertificate } from './certificate.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { CertificateExpiryTooShortError, InvalidCertificateError, PkiError } from './errors.ts';
import { exportPublicKeyPem } from './keys.ts';
import { fixedRandomBytes, HOUR, NOW } from './test-fixtures.ts';
import * as x509 from './x509.ts';

const YEARS_20 = 630_720_000_000;

describe('RootCa.create', () => {
  it('makes a self-signed P-256 CA named swarm-ca valid for 20 years', async () => {
    const ca = await RootCa.create({ now: NOW });
    const cert = new x509.X509Certificate(ca.certPem);
    assert.equal(cert.subject, 'CN=swarm-ca');
    assert.equal(cert.issuer, 'CN=swarm-ca');
    assert.equal(await cert.isSelfSigned(), true);
    assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, true);
    assert.deepEqual(cert.publicKey.algorithm, { name: 'ECDSA', namedCurve: 'P-256' });
    assert.equal(cert.notAfter.getTime() - NOW.getTime(), YEARS_20);
    assert.equal(cert.notBefore.getTime(), NOW.getTime() - HOUR);
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const node = new NodeX509(ca.certPem);
    assert.equal(node.ca, true);
    assert.equal(node.checkIssued(node), true);
  });

  it('takes its serial from the injected randomness', async () => {
    const a = await RootCa.create({ now: NOW, randomBytes: fixedRandomBytes(7) });
    const b = await RootCa.create({ now: NOW, randomBytes: fixedRandomBytes(7) });
    const c = await RootCa.create({ now: NOW, randomBytes: fixedRandomBytes(8) });
    assert.equal(a.certificate.serialNumber, b.certificate.serialNumber);
    assert.notEqual(a.certificate.serialNumber, c.certificate.serialNumber);
  });

  it('round-trips through PEM and still signs for the same root', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { certPem, keyPem } = ca.toPem();
    const loaded = await RootCa.fromPem(certPem, keyPem);
    assert.equal(loaded.certPem, ca.certPem);
    assert.equal(loaded.keyPem, ca.keyPem);
    const { csrPem } = await generateNodeKeyAndCsr();
    const chain = await loaded.issueNodeCertificate({
      csrPem,
      nodeId: 'node1',
      clusterId: 'cluster1',
      role: 'worker',
      now: NOW,
    });
    const info = verifyNodeCertificate({ chainPem: chain, rootBundlePem: ca.certPem, now: NOW });
    assert.equal(info.nodeId, 'node1');
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const a = await RootCa.create({ now: NOW });
    const b = await RootCa.create({ now: NOW });
    await assert.rejects(RootCa.fromPem(a.certPem, b.keyPem), InvalidCertificateError);
  });

  it('refuses a non-CA certificate', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { csrPem, keyPem } = await generateNodeKeyAndCsr();
    const leaf = await ca.issueNodeCertificate({
      csrPem,
      nodeId: 'n',
      clusterId: 'c',
      role: 'worker',
      now: NOW,
    });
    await assert.rejects(RootCa.fromPem(leaf, keyPem), /basicConstraints CA:TRUE/);
  });
});

describe('RootCa.issueNodeCertificate', () => {
  it('sets subject, SANs, usages and validity as swarm does', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { csrPem } = await generateNodeKeyAndCsr({ commonName: 'i-would-like-to-be-root' });
    const expiryMs = 24 * HOUR;
    const pem = await ca.issueNodeCertificate({
      csrPem,
      nodeId: 'abcdef0123456789',
      clusterId: 'clusterxyz',
      role: 'manager',
      expiryMs,
      now: NOW,
    });
    const cert = new x509.X509Certificate(pem);
    // The manager decides the subject, whatever the CSR asked for.
    assert.equal(cert.subject, 'O=clusterxyz, OU=swarm-manager, CN=abcdef0123456789');
    assert.equal(cert.issuer, 'CN=swarm-ca');
    assert.equal(cert.notAfter.getTime() - NOW.getTime(), expiryMs);
    assert.equal(cert.notBefore.getTime(), NOW.getTime() - HOUR);
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    assert.equal(bc?.ca, false);
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    assert.equal(
      ku?.usages,
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    assert.deepEqual(
      [...(eku?.usages ?? [])],
      [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    );
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(
      san?.names.items.map((n) => n.value),
      ['swarm-manager', 'abcdef0123456789', 'swarm-ca'],
    );
    const node = new NodeX509(pem);
    assert.equal(node.ca, false);
    assert.equal(node.checkHost('swarm-manager'), 'swarm-manager');
    assert.equal(node.verify(new NodeX509(ca.certPem).publicKey), true);

    const info = parseNodeCertificate(pem);
    assert.deepEqual(
      { nodeId: info.nodeId, clusterId: info.clusterId, role: info.role },
      { nodeId: 'abcdef0123456789', clusterId: 'clusterxyz', role: 'manager' },
    );
  });

  it('gives workers OU swarm-worker and the 2160h default expiry', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { csrPem } = await generateNodeKeyAndCsr();
    const pem = await ca.issueNodeCertificate({
      csrPem,
      nodeId: 'w1',
      clusterId: 'c1',
      role: 'worker',
      now: NOW,
    });
    const cert = new x509.X509Certificate(pem);
    assert.equal(cert.subjectName.getField('OU')[0], 'swarm-worker');
    assert.equal(cert.notAfter.getTime() - NOW.getTime(), 2160 * HOUR);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(
      san?.names.items.map((n) => n.value),
      ['swarm-worker', 'w1'],
    );
  });

  it('accepts exactly 1h and refuses less with a clear error', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { csrPem } = await generateNodeKeyAndCsr();
    const base = { csrPem, nodeId: 'n', clusterId: 'c', role: 'worker' as const, now: NOW };
    await ca.issueNodeCertificate({ ...base, expiryMs: HOUR });
    await assert.rejects(ca.issueNodeCertificate({ ...base, expiryMs: HOUR - 1000 }), (err) => {
      assert.ok(err instanceof CertificateExpiryTooShortError);
      assert.ok(err instanceof PkiError);
      assert.equal(err.message, 'node certificate expiry must be at least 1h, got 3599s');
      return true;
    });
    await assert.rejects(
      ca.issueNodeCertificate({ ...base, expiryMs: Number.NaN }),
      CertificateExpiryTooShortError,
    );
  });

  it('certifies a trusted public key given as PEM, and refuses non-P-256 keys', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { publicKey } = await generateNodeKeyAndCsr();
    const pem = await ca.issueNodeCertificate({
      publicKey: await exportPublicKeyPem(publicKey),
      nodeId: 'n',
      clusterId: 'c',
      role: 'worker',
      now: NOW,
    });
    assert.equal(parseNodeCertificate(pem).nodeId, 'n');

    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    await assert.rejects(
      ca.issueNodeCertificate({
        publicKey: p384,
        nodeId: 'n',
        clusterId: 'c',
        role: 'worker',
        now: NOW,
      }),
      /must be ECDSA P-256/,
    );
  });

  it('refuses unsafe IDs, unknown roles and an expired CA', async () => {
    const ca = await RootCa.create({ now: NOW, expiryMs: 10 * HOUR });
    const { csrPem } = await generateNodeKeyAndCsr();
    const base = { csrPem, nodeId: 'n', clusterId: 'c', role: 'worker' as const, now: NOW };
    await assert.rejects(ca.issueNodeCertificate({ ...base, nodeId: 'a,CN=x' }), /invalid node ID/);
    await assert.rejects(ca.issueNodeCertificate({ ...base, clusterId: '' }), /invalid cluster ID/);
    await assert.rejects(
      ca.issueNodeCertificate({ ...base, role: 'admin' as unknown as 'worker' }),
      /invalid role/,
    );
    await assert.rejects(
      ca.issueNodeCertificate({ ...base, now: new Date(NOW.getTime() + 11 * HOUR) }),
      /the CA expired/,
    );
  });
});
