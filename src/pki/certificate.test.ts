import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import {
  needsRenewal,
  parseNodeCertificate,
  renewalTime,
  verifyCertificateChain,
  verifyNodeCertificate,
} from './certificate.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { CertificateVerificationError, InvalidCertificateError } from './errors.ts';
import { buildTrustBundle } from './rotation.ts';
import { fixedRandomBytes, HOUR, NOW } from './test-fixtures.ts';

let ca: RootCa;
let otherCa: RootCa;
let workerPem: string;

before(async () => {
  ca = await RootCa.create({ now: NOW });
  otherCa = await RootCa.create({ now: NOW });
  const { csrPem } = await generateNodeKeyAndCsr();
  workerPem = await ca.issueNodeCertificate({
    csrPem,
    nodeId: 'worker1',
    clusterId: 'cluster1',
    role: 'worker',
    expiryMs: 100 * HOUR,
    now: NOW,
    randomBytes: fixedRandomBytes(3),
  });
});

describe('parseNodeCertificate', () => {
  it('reads identity, validity and serial', () => {
    const info = parseNodeCertificate(workerPem);
    assert.equal(info.nodeId, 'worker1');
    assert.equal(info.clusterId, 'cluster1');
    assert.equal(info.role, 'worker');
    assert.equal(info.issuer, 'CN=swarm-ca');
    assert.equal(info.notBefore.getTime(), NOW.getTime() - HOUR);
    assert.equal(info.notAfter.getTime(), NOW.getTime() + 100 * HOUR);
    assert.match(info.serial, /^[0-9a-f]{32}$/);
  });

  it('refuses a CA certificate and garbage', () => {
    assert.throws(() => parseNodeCertificate(ca.certPem), InvalidCertificateError);
    assert.throws(() => parseNodeCertificate('nope'), /no PEM block "CERTIFICATE"/);
  });
});

describe('verifyCertificateChain', () => {
  it('accepts a certificate of the trusted root, also in a bundle of several', () => {
    const { path } = verifyCertificateChain({
      chainPem: workerPem,
      rootBundlePem: ca.certPem,
      now: NOW,
    });
    assert.equal(path.length, 2);
    assert.equal(path[1], ca.certPem);
    const bundle = buildTrustBundle(otherCa.certPem, ca.certPem);
    assert.equal(
      verifyCertificateChain({ chainPem: workerPem, rootBundlePem: bundle, now: NOW }).path.length,
      2,
    );
  });

  it('rejects a certificate from another CA', () => {
    assert.throws(
      () =>
        verifyCertificateChain({ chainPem: workerPem, rootBundlePem: otherCa.certPem, now: NOW }),
      (err) => {
        assert.ok(err instanceof CertificateVerificationError);
        assert.equal(
          err.message,
          'certificate verification failed: certificate is not signed by a trusted root CA',
        );
        return true;
      },
    );
  });

  it('rejects an expired or not yet valid certificate', () => {
    const after = new Date(NOW.getTime() + 100 * HOUR + 1000);
    assert.throws(
      () => verifyCertificateChain({ chainPem: workerPem, rootBundlePem: ca.certPem, now: after }),
      /certificate "O=cluster1, OU=swarm-worker, CN=worker1" .* expired at 2025-03-05T16:00:00.000Z/,
    );
    const before = new Date(NOW.getTime() - 2 * HOUR);
    assert.throws(
      () => verifyCertificateChain({ chainPem: workerPem, rootBundlePem: ca.certPem, now: before }),
      /is not valid before/,
    );
  });

  it('rejects a chain whose root has expired', async () => {
    const shortCa = await RootCa.create({ now: NOW, expiryMs: 2 * HOUR });
    const { csrPem } = await generateNodeKeyAndCsr();
    const pem = await shortCa.issueNodeCertificate({
      csrPem,
      nodeId: 'n',
      clusterId: 'c',
      role: 'worker',
      expiryMs: 10 * HOUR,
      now: NOW,
    });
    const later = new Date(NOW.getTime() + 3 * HOUR);
    assert.throws(
      () => verifyCertificateChain({ chainPem: pem, rootBundlePem: shortCa.certPem, now: later }),
      /certificate "CN=swarm-ca" .* expired/,
    );
  });

  it('rejects a certificate with a forged signature', () => {
    // Same subject and issuer name, but the bytes of the signature changed.
    const lines = workerPem.trim().split('\n');
    const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    body[body.length - 2] = (body[body.length - 2] ?? 0) ^ 0x01;
    const forged = `-----BEGIN CERTIFICATE-----\n${body.toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.throws(
      () => verifyCertificateChain({ chainPem: forged, rootBundlePem: ca.certPem, now: NOW }),
      CertificateVerificationError,
    );
  });

  it('verifyNodeCertificate checks cluster and role when asked', () => {
    const base = { chainPem: workerPem, rootBundlePem: ca.certPem, now: NOW };
    assert.equal(
      verifyNodeCertificate({ ...base, clusterId: 'cluster1', role: 'worker' }).nodeId,
      'worker1',
    );
    assert.throws(
      () => verifyNodeCertificate({ ...base, clusterId: 'other' }),
      /belongs to cluster cluster1/,
    );
    assert.throws(
      () => verifyNodeCertificate({ ...base, role: 'manager' }),
      /is for a worker, expected a manager/,
    );
  });
});

describe('renewal', () => {
  const notBefore = new Date('2025-01-01T00:00:00Z');
  const notAfter = new Date(notBefore.getTime() + 2160 * HOUR);
  const life = notAfter.getTime() - notBefore.getTime();

  it('always falls within [50 %, 80 %] of the lifetime', () => {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 20_000; i++) {
      const f = (renewalTime(notBefore, notAfter).getTime() - notBefore.getTime()) / life;
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    assert.ok(min >= 0.5 && max <= 0.8, `range [${min}, ${max}]`);
    // With 20k draws both ends of the window are reached closely.
    assert.ok(min < 0.51 && max > 0.79, `range [${min}, ${max}]`);
  });

  it('maps the injected random fraction linearly and clamps it', () => {
    const at = (r: number) => renewalTime(notBefore, notAfter, r).getTime() - notBefore.getTime();
    assert.equal(at(0), life * 0.5);
    assert.equal(at(1), life * 0.8);
    assert.equal(at(0.5), life * 0.65);
    assert.equal(at(-3), life * 0.5);
    assert.equal(at(7), life * 0.8);
    assert.equal(at(Number.NaN), life * 0.5);
    assert.equal(
      renewalTime(notBefore, notAfter, () => 1).getTime() - notBefore.getTime(),
      life * 0.8,
    );
  });

  it('needsRenewal turns true at the renewal point, and when expired', () => {
    const cert = { notBefore, notAfter };
    const point = renewalTime(notBefore, notAfter, 0.25);
    assert.equal(needsRenewal(cert, new Date(point.getTime() - 1), 0.25), false);
    assert.equal(needsRenewal(cert, point, 0.25), true);
    assert.equal(needsRenewal(cert, new Date(notAfter.getTime() + 1), 0.99), true);
    // From a PEM: 101h lifetime from NOW - 1h.
    assert.equal(needsRenewal(workerPem, new Date(NOW.getTime() + 49 * HOUR), 0), false);
    assert.equal(needsRenewal(workerPem, new Date(NOW.getTime() + 50 * HOUR), 0), true);
  });
});
