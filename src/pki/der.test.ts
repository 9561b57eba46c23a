import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import {
  encodeOid,
  encodeSmallInteger,
  encodeTlv,
  KEY_USAGE_DIGITAL_SIGNATURE,
  KEY_USAGE_KEY_CERT_SIGN,
  readCertificateConstraints,
} from './der.ts';
import { InvalidCertificateError } from './errors.ts';
import { decodePem } from './pem.ts';
import { fixedRandomBytes, makeCertificate, NOW } from './test-fixtures.ts';
import * as x509 from './x509.ts';

const der = (pem: string) => decodePem(pem, 'CERTIFICATE')[0] as Uint8Array;

/** basicConstraints and keyUsage as @peculiar/x509 reads them. */
function peculiarConstraints(pem: string) {
  const cert = new x509.X509Certificate(pem);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  return {
    ...(bc
      ? {
          basicConstraints:
            bc.pathLength === undefined ? { ca: bc.ca } : { ca: bc.ca, pathLength: bc.pathLength },
        }
      : {}),
    ...(ku ? { keyUsage: ku.usages } : {}),
  };
}

describe('readCertificateConstraints', () => {
  it('reads what @peculiar/x509 reads from the CA, node and test certificates', async () => {
    const ca = await RootCa.create({ now: NOW });
    const { csrPem } = await generateNodeKeyAndCsr();
    const node = await ca.issueNodeCertificate({
      csrPem,
      nodeId: 'n',
      clusterId: 'c',
      role: 'manager',
      now: NOW,
    });
    const pems = [ca.certPem, node];
    const flags = x509.KeyUsageFlags;
    for (const shape of [
      {},
      { ca: true },
      { ca: false },
      { ca: true, pathLength: 0 },
      { ca: true, pathLength: 300 },
      { keyUsage: flags.keyCertSign },
      { keyUsage: flags.decipherOnly | flags.digitalSignature },
      { keyUsage: flags.encipherOnly | flags.cRLSign },
      { ca: false, keyUsage: flags.keyAgreement | flags.nonRepudiation },
    ]) {
      pems.push((await makeCertificate({ subject: 'CN=t', ...shape })).pem);
    }
    for (const pem of pems) {
      assert.deepEqual(readCertificateConstraints(der(pem)), peculiarConstraints(pem));
    }
    assert.equal(KEY_USAGE_DIGITAL_SIGNATURE, flags.digitalSignature);
    assert.equal(KEY_USAGE_KEY_CERT_SIGN, flags.keyCertSign);
  });

  it('throws InvalidCertificateError, never anything else, on damaged input', async () => {
    const { pem } = await makeCertificate({
      subject: 'CN=t',
      ca: true,
      pathLength: 2,
      keyUsage: 33,
    });
    const good = der(pem);
    const random = fixedRandomBytes(5);
    let refused = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = Uint8Array.from(good);
      const [at = 0, value = 0] = random(2);
      bytes[(at * 7 + trial) % bytes.length] = value;
      const cut = trial % 5 === 0 ? bytes.subarray(0, trial % bytes.length) : bytes;
      try {
        readCertificateConstraints(cut);
      } catch (err) {
        assert.ok(err instanceof InvalidCertificateError, String(err));
        refused++;
      }
    }
    assert.ok(refused > 0);
    assert.throws(() => readCertificateConstraints(new Uint8Array()), InvalidCertificateError);
  });
});

describe('DER writing', () => {
  it('encodes OIDs, integers and long lengths', () => {
    assert.equal(Buffer.from(encodeOid('2.5.4.3')).toString('hex'), '0603550403');
    assert.equal(
      Buffer.from(encodeOid('1.2.840.10045.4.3.2')).toString('hex'),
      '06082a8648ce3d040302',
    );
    assert.equal(Buffer.from(encodeSmallInteger(0)).toString('hex'), '020100');
    assert.equal(Buffer.from(encodeSmallInteger(128)).toString('hex'), '02020080');
    assert.equal(Buffer.from(encodeSmallInteger(256)).toString('hex'), '02020100');
    const long = encodeTlv(0x04, new Uint8Array(300));
    assert.equal(Buffer.from(long.subarray(0, 4)).toString('hex'), '0482012c');
    assert.equal(long.length, 304);
    assert.throws(() => encodeOid('3.1'), RangeError);
    assert.throws(() => encodeSmallInteger(-1), RangeError);
  });
});
