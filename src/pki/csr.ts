import { KeyObject, sign } from 'node:crypto';
import {
  encodeBitString,
  encodeDirectoryString,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeSmallInteger,
} from './der.ts';
import { InvalidCertificateError, InvalidCsrError, PkiError } from './errors.ts';
import {
  type CryptoKey,
  type CryptoKeyPair,
  exportPrivateKeyPem,
  generateEcKeyPair,
  importEcPublicKeySpki,
  subtle,
} from './keys.ts';
import { decodePem, encodePem } from './pem.ts';
import type * as X509 from './x509.ts';
import { loadX509 } from './x509-lazy.ts';

const OID_COMMON_NAME = '2.5.4.3';
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** attributes [0] IMPLICIT SET OF Attribute, empty. */
const EMPTY_ATTRIBUTES = Uint8Array.of(0xa0, 0x00);

export interface NodeKeyAndCsr {
  /** PKCS#8 PEM of the node's private key; it never leaves the node. */
  keyPem: string;
  /** PKCS#10 PEM to send to a manager. */
  csrPem: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/**
 * A fresh ECDSA P-256 key pair for a node and a CSR signed with it. The subject is
 * advisory only (swarmkit sends an empty one): the manager decides CN, OU and O itself.
 */
export async function generateNodeKeyAndCsr(
  opts: { commonName?: string } = {},
): Promise<NodeKeyAndCsr> {
  const keys = await generateEcKeyPair();
  const csrPem = await createCsr(keys, opts);
  return {
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    csrPem,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
  };
}

/**
 * A PKCS#10 CSR PEM for an existing key pair (e.g. to renew with the current key): subject
 * empty or CN=commonName, no attributes, signed ecdsa-with-SHA256. Built with node:crypto
 * and a few lines of DER rather than @peculiar/x509, because workers call this (join,
 * renewal) and must not pay for loading that library; the bytes are the ones
 * @peculiar/x509 writes (csr.test.ts compares them).
 */
export async function createCsr(
  keys: CryptoKeyPair,
  opts: { commonName?: string } = {},
): Promise<string> {
  const privateKey = KeyObject.from(keys.privateKey);
  if (privateKey.asymmetricKeyType !== 'ec') {
    throw new PkiError(`a CSR key must be ECDSA, got ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const spki = new Uint8Array(await subtle.exportKey('spki', keys.publicKey));
  const subject = opts.commonName
    ? encodeSequence(
        encodeSet(
          encodeSequence(encodeOid(OID_COMMON_NAME), encodeDirectoryString(opts.commonName)),
        ),
      )
    : encodeSequence();
  // CertificationRequestInfo: version 0, subject, SubjectPublicKeyInfo, attributes [0] {}.
  const info = encodeSequence(encodeSmallInteger(0), subject, spki, EMPTY_ATTRIBUTES);
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const csr = encodeSequence(
    info,
    encodeSequence(encodeOid(OID_ECDSA_WITH_SHA256)),
    encodeBitString(signature),
  );
  return encodePem(csr, 'CERTIFICATE REQUEST');
}

export interface VerifiedCsr {
  /** The requester's ECDSA P-256 public key, to be certified. */
  publicKey: CryptoKey;
  /** Its SubjectPublicKeyInfo DER. */
  publicKeySpki: Uint8Array;
  /** The subject the requester asked for; informational, never copied into a certificate. */
  requestedSubject: string;
}

/**
 * Parses a CSR and checks it: exactly one CSR block, a valid self-signature, an ECDSA
 * P-256 key signed with ECDSA. Throws InvalidCsrError otherwise.
 */
export async function verifyCsr(csrPem: string): Promise<VerifiedCsr> {
  const x509 = await loadX509();
  let csr: X509.Pkcs10CertificateRequest;
  try {
    const ders = decodePem(csrPem, 'CERTIFICATE REQUEST');
    if (ders.length !== 1) throw new InvalidCsrError(`expected one CSR, found ${ders.length}`);
    csr = new x509.Pkcs10CertificateRequest(ders[0] as Uint8Array);
  } catch (err) {
    if (err instanceof InvalidCsrError) throw err;
    throw new InvalidCsrError(`cannot parse: ${(err as Error).message}`);
  }
  // HashedAlgorithm extends the DOM's Algorithm, which this project's lib settings lack.
  const sigAlg = (csr.signatureAlgorithm as unknown as { name?: string }).name;
  if (sigAlg !== 'ECDSA') {
    throw new InvalidCsrError(`signature algorithm must be ECDSA, got ${sigAlg ?? 'unknown'}`);
  }
  const spki = new Uint8Array(csr.publicKey.rawData);
  let publicKey: CryptoKey;
  try {
    publicKey = await importEcPublicKeySpki(spki);
  } catch (err) {
    if (err instanceof InvalidCertificateError) {
      throw new InvalidCsrError(err.message.replace(/^invalid certificate: /, ''));
    }
    throw err;
  }
  let ok = false;
  try {
    ok = await csr.verify();
  } catch {
    ok = false;
  }
  if (!ok) throw new InvalidCsrError('signature does not verify');
  return { publicKey, publicKeySpki: spki, requestedSubject: csr.subject };
}
