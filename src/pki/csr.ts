import { EC_SIGNING_ALGORITHM } from './constants.ts';
import { InvalidCertificateError, InvalidCsrError } from './errors.ts';
import {
  type CryptoKey,
  type CryptoKeyPair,
  exportPrivateKeyPem,
  generateEcKeyPair,
  importEcPublicKeySpki,
} from './keys.ts';
import { decodePem, encodePem } from './pem.ts';
import * as x509 from './x509.ts';

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

/** A PKCS#10 CSR PEM for an existing key pair (e.g. to renew with the current key). */
export async function createCsr(
  keys: CryptoKeyPair,
  opts: { commonName?: string } = {},
): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(opts.commonName ? { name: [{ CN: [opts.commonName] }] } : {}),
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
  });
  return encodePem(csr.rawData, 'CERTIFICATE REQUEST');
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
  let csr: x509.Pkcs10CertificateRequest;
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
