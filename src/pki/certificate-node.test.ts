// certificate.ts reads certificates with node:crypto only (so that @peculiar/x509 need not be
// loaded on every node). These tests hold it to what the @peculiar/x509-based version did:
// the same identities out of the same certificates, the same chains accepted and refused.
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import {
  certificateTime,
  parseNodeCertificate,
  verifyCertificateChain,
  verifyNodeCertificate,
} from './certificate.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { CertificateVerificationError, InvalidCertificateError } from './errors.ts';
import {
  fixedRandomBytes,
  HOUR,
  makeCertificate,
  mutatePem,
  NOW,
  OID,
  rawName,
  type TestCertificate,
} from './test-fixtures.ts';
import { peerIdentity } from './tls.ts';
import * as x509 from './x509.ts';

const CERT_SIGN = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
const LEAF_USAGE = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;

let ca: RootCa;
let otherCa: RootCa;
let managerPem: string;
let workerPem: string;
let workerKeyPair: CryptoKeyPairLike;

type CryptoKeyPairLike = TestCertificate['keys'];

async function issue(
  root: RootCa,
  nodeId: string,
  role: 'manager' | 'worker',
  opts: { expiryMs?: number; now?: Date } = {},
) {
  const made = await generateNodeKeyAndCsr();
  const pem = await root.issueNodeCertificate({
    csrPem: made.csrPem,
    nodeId,
    clusterId: 'cluster1',
    role,
    now: opts.now ?? NOW,
    expiryMs: opts.expiryMs ?? 100 * HOUR,
    randomBytes: fixedRandomBytes(nodeId.length),
  });
  return { pem, keys: { privateKey: made.privateKey, publicKey: made.publicKey } };
}

/** What @peculiar/x509 reads from the same certificate, for comparison. */
function peculiarView(pem: string) {
  const cert = new x509.X509Certificate(pem);
  return {
    cn: cert.subjectName.getField('CN'),
    o: cert.subjectName.getField('O'),
    ou: cert.subjectName.getField('OU'),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    serial: cert.serialNumber.toLowerCase(),
    issuer: cert.issuer,
    ca: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
  };
}

function assertSameAsPeculiar(pem: string): void {
  const info = parseNodeCertificate(pem);
  const reference = peculiarView(pem);
  assert.deepEqual([info.nodeId], reference.cn);
  assert.deepEqual([info.clusterId], reference.o);
  assert.deepEqual([info.role === 'manager' ? 'swarm-manager' : 'swarm-worker'], reference.ou);
  assert.equal(info.notBefore.getTime(), reference.notBefore);
  assert.equal(info.notAfter.getTime(), reference.notAfter);
  assert.equal(info.serial, reference.serial);
  assert.equal(info.issuer, reference.issuer);
}

function verifyProblem(chainPem: string, rootBundlePem: string, now = NOW): string {
  try {
    verifyCertificateChain({ chainPem, rootBundlePem, now });
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof CertificateVerificationError, String(err));
    return err.message.replace('certificate verification failed: ', '');
  }
}

before(async () => {
  ca = await RootCa.create({ now: NOW, randomBytes: fixedRandomBytes(11) });
  otherCa = await RootCa.create({ now: NOW });
  managerPem = (await issue(ca, 'manager1', 'manager')).pem;
  const worker = await issue(ca, 'worker1', 'worker');
  workerPem = worker.pem;
  workerKeyPair = worker.keys;
});

describe('parseNodeCertificate with node:crypto', () => {
  it('reads a manager and a worker certificate as @peculiar/x509 does', () => {
    assertSameAsPeculiar(managerPem);
    assertSameAsPeculiar(workerPem);
    assert.equal(parseNodeCertificate(managerPem).role, 'manager');
    assert.equal(parseNodeCertificate(workerPem).role, 'worker');
    assert.deepEqual(peerIdentity(workerPem), {
      nodeId: 'worker1',
      clusterId: 'cluster1',
      role: 'worker',
    });
  });

  it('prints serials as @peculiar/x509 does, whatever their first byte', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const made = await generateNodeKeyAndCsr();
      const pem = await ca.issueNodeCertificate({
        csrPem: made.csrPem,
        nodeId: 'n',
        clusterId: 'c',
        role: 'worker',
        now: NOW,
        randomBytes: fixedRandomBytes(seed),
      });
      assert.equal(parseNodeCertificate(pem).serial, peculiarView(pem).serial);
    }
  });

  it('reads values with escaped and special characters exactly', async () => {
    const nasty = [
      'c,1+2;"x"\\y<z>',
      'a\nOU=swarm-manager',
      ' lead#',
      '#hash ',
      'é ü 中 = x',
      'a + OU=b',
      'tab\there\u0001\u007f',
      'back\\0A',
    ];
    for (const value of nasty) {
      const { pem } = await makeCertificate({
        subject: rawName([[[OID.O, value]], [[OID.OU, 'swarm-worker']], [[OID.CN, value]]]),
      });
      const info = parseNodeCertificate(pem);
      assert.equal(info.clusterId, value);
      assert.equal(info.nodeId, value);
      assert.equal(info.role, 'worker');
      const legacy = new NodeX509(pem).toLegacyObject().subject as unknown as Record<
        string,
        string
      >;
      assert.equal(legacy.CN, value);
      assert.deepEqual(peculiarView(pem).cn, [value]);
    }
  });

  it('refuses a subject without exactly one CN, O and OU, or with another OU', async () => {
    const cases: Array<[Array<Array<[string, string]>>, RegExp]> = [
      [[[[OID.O, 'c']], [[OID.OU, 'swarm-worker']]], /exactly one CN, found 0/],
      [
        [
          [[OID.O, 'c']],
          [[OID.OU, 'swarm-worker']],
          [
            [OID.CN, 'n'],
            [OID.O, 'o2'],
          ],
        ],
        /exactly one O, found 2/,
      ],
      [
        [[[OID.O, 'c']], [[OID.OU, 'swarm-worker']], [[OID.OU, 'swarm-manager']], [[OID.CN, 'n']]],
        /exactly one OU, found 2/,
      ],
      [[[[OID.O, 'c']], [[OID.OU, 'swarm-worker ']], [[OID.CN, 'n']]], /is neither/],
      [[[[OID.O, 'c']], [[OID.OU, 'swarm-workers']], [[OID.CN, 'n']]], /is neither/],
      [[[[OID.O, '']], [[OID.OU, 'swarm-worker']], [[OID.CN, 'n']]], /exactly one O/],
    ];
    for (const [rdns, message] of cases) {
      const { pem } = await makeCertificate({ subject: rawName(rdns) });
      assert.throws(() => parseNodeCertificate(pem), InvalidCertificateError);
      assert.throws(() => parseNodeCertificate(pem), message);
      assert.throws(() => peerIdentity(pem), /cannot identify peer/);
    }
  });

  it('refuses CA certificates, including a CA:TRUE one Node alone would not call a CA', async () => {
    assert.throws(() => parseNodeCertificate(ca.certPem), /a CA certificate is not a node/);
    // keyUsage without keyCertSign makes OpenSSL's X509_check_ca (Node's `ca`) say false;
    // basicConstraints still says CA:TRUE, and @peculiar/x509 refused it for that.
    const { pem } = await makeCertificate({
      subject: 'O=c, OU=swarm-worker, CN=n',
      ca: true,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    assert.equal(new NodeX509(pem).ca, false);
    assert.equal(peculiarView(pem).ca, true);
    assert.throws(() => parseNodeCertificate(pem), /a CA certificate is not a node certificate/);
  });
});

describe('verifyCertificateChain with node:crypto', () => {
  let testRoot: TestCertificate;

  before(async () => {
    testRoot = await makeCertificate({ subject: 'CN=test-root', ca: true, keyUsage: CERT_SIGN });
  });

  it('accepts manager and worker certificates of the trusted root', () => {
    for (const [pem, role] of [
      [managerPem, 'manager'],
      [workerPem, 'worker'],
    ] as const) {
      const info = verifyNodeCertificate({ chainPem: pem, rootBundlePem: ca.certPem, now: NOW });
      assert.equal(info.role, role);
      assert.equal(verifyProblem(pem, otherCa.certPem + ca.certPem), 'ok');
    }
  });

  it('refuses an expired or not yet valid certificate, and one whose root expired', async () => {
    const late = new Date(NOW.getTime() + 100 * HOUR + 1000);
    assert.match(
      verifyProblem(workerPem, ca.certPem, late),
      /^certificate "O=cluster1, OU=swarm-worker, CN=worker1" \(serial [0-9a-f]+\) expired at 2025-03-05T16:00:00\.000Z$/,
    );
    const early = new Date(NOW.getTime() - HOUR - 1000);
    assert.match(
      verifyProblem(workerPem, ca.certPem, early),
      /is not valid before 2025-03-01T11:00:00\.000Z$/,
    );
    // Exactly at the bounds it is still valid (notBefore <= now <= notAfter).
    assert.equal(verifyProblem(workerPem, ca.certPem, new Date(NOW.getTime() - HOUR)), 'ok');
    assert.equal(verifyProblem(workerPem, ca.certPem, new Date(NOW.getTime() + 100 * HOUR)), 'ok');
    const shortRoot = await makeCertificate({
      subject: 'CN=short',
      ca: true,
      keyUsage: CERT_SIGN,
      notAfter: new Date(NOW.getTime() + 2 * HOUR),
    });
    const leaf = await makeCertificate({
      subject: 'O=c, OU=swarm-worker, CN=n',
      issuer: shortRoot,
      ca: false,
      keyUsage: LEAF_USAGE,
    });
    assert.equal(verifyProblem(leaf.pem, shortRoot.pem), 'ok');
    assert.match(
      verifyProblem(leaf.pem, shortRoot.pem, new Date(NOW.getTime() + 3 * HOUR)),
      /^certificate "CN=short" \(serial 01\) expired at /,
    );
  });

  it('refuses a certificate from another CA', () => {
    assert.equal(
      verifyProblem(managerPem, otherCa.certPem),
      'certificate is not signed by a trusted root CA',
    );
    assert.throws(
      () =>
        verifyNodeCertificate({ chainPem: workerPem, rootBundlePem: otherCa.certPem, now: NOW }),
      CertificateVerificationError,
    );
  });

  it('refuses a tampered signature and a tampered body', () => {
    const badSignature = mutatePem(workerPem, 'CERTIFICATE', (der) => {
      der[der.length - 2] = (der[der.length - 2] ?? 0) ^ 0x01;
    });
    assert.equal(
      verifyProblem(badSignature, ca.certPem),
      'certificate is not signed by a trusted root CA',
    );
    // worker1 -> worker2 in the subject: still parses, but the CA never signed it.
    const renamed = mutatePem(workerPem, 'CERTIFICATE', (der) => {
      // The CN's PrintableString (tag 0x13, 7 bytes); "swarm-worker" + a SET tag also reads "worker1".
      const at = der.indexOf(Buffer.concat([Buffer.of(0x13, 7), Buffer.from('worker1')]));
      assert.ok(at > 0);
      der[at + 8] = '2'.charCodeAt(0);
    });
    assert.equal(parseNodeCertificate(renamed).nodeId, 'worker2');
    assert.equal(
      verifyProblem(renamed, ca.certPem),
      'certificate is not signed by a trusted root CA',
    );
  });

  it('refuses a certificate signed with a node key (a leaf is no CA)', async () => {
    const workerName = new x509.X509Certificate(workerPem).subjectName;
    const forged = await makeCertificate({
      subject: 'O=cluster1, OU=swarm-manager, CN=evil',
      issuer: { pem: workerPem, keys: workerKeyPair, name: new x509.Name(workerName.toString()) },
      ca: false,
    });
    assert.equal(
      verifyProblem(forged.pem + workerPem, ca.certPem),
      'certificate is not signed by a trusted root CA',
    );
  });

  it('refuses intermediates that are not CAs or may not sign certificates', async () => {
    const cases: Array<[{ ca?: boolean; keyUsage?: number }, string | RegExp]> = [
      [{ ca: false }, /^certificate "CN=intermediate" \(serial 01\) is not a CA$/],
      [{}, /is not a CA$/],
      [{ ca: false, keyUsage: CERT_SIGN }, /is not a CA$/],
      // OpenSSL's checkIssued already rules out an issuer whose keyUsage lacks keyCertSign.
      [
        { ca: true, keyUsage: x509.KeyUsageFlags.digitalSignature },
        'certificate is not signed by a trusted root CA',
      ],
      [{ ca: true, keyUsage: CERT_SIGN }, 'ok'],
      [{ ca: true }, 'ok'],
    ];
    for (const [shape, expected] of cases) {
      const intermediate = await makeCertificate({
        subject: 'CN=intermediate',
        issuer: testRoot,
        ...shape,
      });
      const leaf = await makeCertificate({
        subject: 'O=c, OU=swarm-worker, CN=n',
        issuer: intermediate,
        ca: false,
        keyUsage: LEAF_USAGE,
      });
      const problem = verifyProblem(leaf.pem + intermediate.pem, testRoot.pem);
      if (typeof expected === 'string') assert.equal(problem, expected, JSON.stringify(shape));
      else assert.match(problem, expected, JSON.stringify(shape));
    }
  });

  it('refuses a trusted certificate that is not a CA', async () => {
    const notCa = await makeCertificate({ subject: 'CN=not-a-ca', ca: false });
    const leaf = await makeCertificate({
      subject: 'O=c, OU=swarm-worker, CN=n',
      issuer: notCa,
      ca: false,
    });
    assert.match(verifyProblem(leaf.pem, notCa.pem), /"CN=not-a-ca" .* is not a CA$/);
  });

  it('enforces path length constraints', async () => {
    for (const [pathLength, expected] of [
      [0, /^certificate "CN=limited-root" \(serial 01\) path length constraint exceeded$/],
      [1, /^ok$/],
    ] as const) {
      const root = await makeCertificate({
        subject: 'CN=limited-root',
        ca: true,
        pathLength,
        keyUsage: CERT_SIGN,
      });
      const intermediate = await makeCertificate({
        subject: 'CN=intermediate',
        issuer: root,
        ca: true,
        keyUsage: CERT_SIGN,
      });
      const leaf = await makeCertificate({
        subject: 'O=c, OU=swarm-worker, CN=n',
        issuer: intermediate,
        ca: false,
      });
      assert.match(verifyProblem(leaf.pem + intermediate.pem, root.pem), expected);
      // A leaf directly under the root is fine either way.
      const direct = await makeCertificate({
        subject: 'O=c, OU=swarm-worker, CN=d',
        issuer: root,
        ca: false,
      });
      assert.equal(verifyProblem(direct.pem, root.pem), 'ok');
    }
  });

  it('refuses a certificate that cannot be parsed', () => {
    const garbage = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    assert.throws(
      () => verifyCertificateChain({ chainPem: garbage, rootBundlePem: ca.certPem, now: NOW }),
      InvalidCertificateError,
    );
    assert.throws(() => parseNodeCertificate(garbage), /invalid certificate: cannot parse/);
  });
});

describe('certificateTime', () => {
  it("reads OpenSSL's ASN1_TIME_print format", () => {
    assert.equal(
      certificateTime('Mar  1 11:00:00 2025 GMT').toISOString(),
      '2025-03-01T11:00:00.000Z',
    );
    assert.equal(
      certificateTime('Dec 31 23:59:59 2049 GMT').toISOString(),
      '2049-12-31T23:59:59.000Z',
    );
    assert.equal(
      certificateTime('Jan 10 00:00:00 2050 GMT').toISOString(),
      '2050-01-10T00:00:00.000Z',
    );
    assert.equal(
      certificateTime('Jul 4 01:02:03.25 1999 GMT').toISOString(),
      '1999-07-04T01:02:03.250Z',
    );
    for (const bad of [
      '',
      'Foo  1 11:00:00 2025 GMT',
      '2025-03-01T11:00:00Z',
      'Mar  1 11:00 2025 GMT',
    ]) {
      assert.throws(() => certificateTime(bad), InvalidCertificateError);
    }
  });

  it('agrees with Node on real certificates, beyond 2049 (GeneralizedTime) too', async () => {
    const far = await makeCertificate({
      subject: 'CN=far',
      notBefore: new Date('2049-12-31T23:59:59Z'),
      notAfter: new Date('2100-06-15T08:30:00Z'),
    });
    const node = new NodeX509(far.pem);
    assert.equal(certificateTime(node.validFrom).toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(certificateTime(node.validTo).toISOString(), '2100-06-15T08:30:00.000Z');
  });
});
