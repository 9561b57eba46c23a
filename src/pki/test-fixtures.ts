// Shared by the *.test.ts files of src/pki; not part of the public surface.
import { EC_SIGNING_ALGORITHM } from './constants.ts';
import { encodeDirectoryString, encodeOid, encodeSequence, encodeSet, encodeTlv } from './der.ts';
import { type CryptoKey, type CryptoKeyPair, generateEcKeyPair } from './keys.ts';
import { encodePem } from './pem.ts';
import type { RandomBytes } from './random.ts';
import * as x509 from './x509.ts';

export const NOW = new Date('2025-03-01T12:00:00.000Z');
export const HOUR = 3_600_000;

/** Deterministic "random" bytes: a counter-seeded sequence. */
export function fixedRandomBytes(seed = 1): RandomBytes {
  let state = seed;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (state * 1_103_515_245 + 12_345) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
}

/** Re-encodes a PEM after applying `mutate` to its DER bytes. */
export function mutatePem(pem: string, label: string, mutate: (der: Buffer) => void): string {
  const m = pem.match(new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`));
  if (!m?.[1]) throw new Error(`no ${label} block`);
  const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  mutate(der);
  const b64 =
    der
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Attribute type OIDs for hand-built names. */
export const OID = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11' } as const;

/**
 * A Name built byte by byte (each inner array one RDN of [type OID, value]), so tests can
 * put any value in it: @peculiar/x509's string and JSON forms interpret escapes and '#'.
 * Values go in as UTF8String unless `printable` and the alphabet allows PrintableString.
 */
export function rawName(rdns: Array<Array<[string, string]>>): x509.Name {
  const der = encodeSequence(
    ...rdns.map((rdn) =>
      encodeSet(
        ...rdn.map(([oid, value]) =>
          encodeSequence(encodeOid(oid), encodeTlv(0x0c, Buffer.from(value, 'utf8'))),
        ),
      ),
    ),
  );
  return new x509.Name(der);
}

/** A Name the way the CA writes it: O, OU, CN. */
export function nodeName(clusterId: string, ou: string, nodeId: string): x509.Name {
  const rdn = (oid: string, value: string) =>
    encodeSet(encodeSequence(encodeOid(oid), encodeDirectoryString(value)));
  return new x509.Name(encodeSequence(rdn(OID.O, clusterId), rdn(OID.OU, ou), rdn(OID.CN, nodeId)));
}

export interface TestCertificate {
  pem: string;
  keys: CryptoKeyPair;
  name: x509.Name;
}

export interface MakeCertificateOptions {
  subject: x509.Name | string;
  /** Signed by this certificate's key (its subject becomes the issuer); else self-signed. */
  issuer?: TestCertificate;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints: omitted when undefined. */
  ca?: boolean;
  pathLength?: number;
  /** keyUsage bits (x509.KeyUsageFlags): omitted when undefined. */
  keyUsage?: number;
  serialNumber?: string;
  keys?: CryptoKeyPair;
}

/**
 * Any certificate a test needs, including ones the CA would never issue (a CA:TRUE leaf, an
 * intermediate without certificate signing, a path length limit), made with @peculiar/x509.
 */
export async function makeCertificate(opts: MakeCertificateOptions): Promise<TestCertificate> {
  const keys = opts.keys ?? (await generateEcKeyPair());
  const name = typeof opts.subject === 'string' ? new x509.Name(opts.subject) : opts.subject;
  const signingKey: CryptoKey = opts.issuer?.keys.privateKey ?? keys.privateKey;
  const extensions: x509.Extension[] = [];
  if (opts.ca !== undefined) {
    extensions.push(new x509.BasicConstraintsExtension(opts.ca, opts.pathLength, true));
  }
  if (opts.keyUsage !== undefined) {
    extensions.push(new x509.KeyUsagesExtension(opts.keyUsage, true));
  }
  const cert = await x509.X509CertificateGenerator.create({
    subject: name,
    issuer: opts.issuer?.name ?? name,
    publicKey: keys.publicKey,
    signingKey,
    serialNumber: opts.serialNumber ?? '01',
    notBefore: opts.notBefore ?? new Date(NOW.getTime() - HOUR),
    notAfter: opts.notAfter ?? new Date(NOW.getTime() + 100 * HOUR),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions,
  });
  return { pem: encodePem(cert.rawData, 'CERTIFICATE'), keys, name };
}
