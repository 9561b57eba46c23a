import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { EC_KEY_ALGORITHM } from './constants.ts';
import { InvalidCertificateError } from './errors.ts';
import { encodePem, toArrayBuffer } from './pem.ts';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const subtle = webcrypto.subtle;

/** A fresh ECDSA P-256 key pair (extractable, so the private key can be saved as PEM). */
export async function generateEcKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return encodePem(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`). */
export async function exportPublicKeyPem(key: CryptoKey): Promise<string> {
  return encodePem(await subtle.exportKey('spki', key), 'PUBLIC KEY');
}

/**
 * Imports an ECDSA P-256 private key from PEM (PKCS#8, or SEC1 `EC PRIVATE KEY` as
 * swarmkit writes it) and derives its public key. Any other key type is refused.
 */
export async function importEcPrivateKeyPem(pem: string): Promise<CryptoKeyPair> {
  let keyObject: ReturnType<typeof createPrivateKey>;
  try {
    keyObject = createPrivateKey(pem);
  } catch (err) {
    throw new InvalidCertificateError(`cannot parse private key: ${(err as Error).message}`);
  }
  assertP256(
    keyObject.asymmetricKeyType,
    keyObject.asymmetricKeyDetails?.namedCurve,
    'private key',
  );
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const privateKey = await subtle.importKey('pkcs8', toArrayBuffer(pkcs8), EC_KEY_ALGORITHM, true, [
    'sign',
  ]);
  const publicKey = await subtle.importKey('spki', toArrayBuffer(spki), EC_KEY_ALGORITHM, true, [
    'verify',
  ]);
  return { privateKey, publicKey };
}

/** Imports an ECDSA P-256 public key from SPKI DER; anything else is refused. */
export async function importEcPublicKeySpki(spki: Uint8Array): Promise<CryptoKey> {
  let keyObject: ReturnType<typeof createPublicKey>;
  try {
    keyObject = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw new InvalidCertificateError(`cannot parse public key: ${(err as Error).message}`);
  }
  assertP256(keyObject.asymmetricKeyType, keyObject.asymmetricKeyDetails?.namedCurve, 'public key');
  return subtle.importKey('spki', toArrayBuffer(spki), EC_KEY_ALGORITHM, true, ['verify']);
}

/** SPKI DER of a public key, or of the public half of a private key. */
export async function spkiOf(key: CryptoKey): Promise<Uint8Array> {
  if (key.type === 'public') return new Uint8Array(await subtle.exportKey('spki', key));
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', key));
  const pub = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
  return new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
}

function assertP256(type: string | undefined, curve: string | undefined, what: string): void {
  if (type !== 'ec' || (curve !== 'prime256v1' && curve !== 'P-256')) {
    throw new InvalidCertificateError(
      `${what} must be ECDSA P-256, got ${type ?? 'unknown'}${curve ? ` ${curve}` : ''}`,
    );
  }
}
