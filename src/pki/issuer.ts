// Which CA issued a node certificate, read with node:crypto only (every node runs this on its
// CA status poll, and managers when a node reports in). Docker names an issuer by its raw
// subject and public key (TLSInfo.CertIssuerSubject, CertIssuerPublicKey: base64 DER in JSON);
// swarm's root rotation waits until every node's certificate has the new root as its issuer.
import { parseCertificate } from './certificate.ts';
import { readSubjectDer } from './der.ts';
import { decodePem } from './pem.ts';

/** An issuer as Docker's TLSInfo names it: base64 of the subject DER and of the SPKI DER. */
export interface IssuerInfo {
  subject: string;
  publicKey: string;
}

/** Subject and public key of a CA certificate (the first of a PEM text, or DER bytes). */
export function issuerInfoOf(caCert: string | Uint8Array): IssuerInfo {
  const der =
    typeof caCert === 'string' ? (decodePem(caCert, 'CERTIFICATE')[0] as Uint8Array) : caCert;
  const parsed = parseCertificate(der);
  const spki = parsed.publicKey.export({ type: 'spki', format: 'der' });
  return {
    subject: Buffer.from(readSubjectDer(der)).toString('base64'),
    publicKey: Buffer.from(spki).toString('base64'),
  };
}

/**
 * Whether the first certificate of `chain` (PEM, or DER bytes) is signed by the key of
 * `issuerCert` (the first certificate of a PEM text). A name match alone is not enough:
 * every swarm root is called CN=swarm-ca, so only the signature tells an old root from a new.
 */
export function isIssuedBy(chain: string | Uint8Array, issuerCert: string): boolean {
  const leaf = parseCertificate(chain);
  const issuer = parseCertificate(issuerCert);
  try {
    return leaf.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
