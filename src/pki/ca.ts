import {
  CA_COMMON_NAME,
  CERT_BACKDATE_MS,
  DEFAULT_NODE_CERT_EXPIRY_MS,
  EC_SIGNING_ALGORITHM,
  MANAGER_OU,
  MIN_NODE_CERT_EXPIRY_MS,
  type NodeRole,
  ROOT_CA_EXPIRY_MS,
  roleToOu,
} from './constants.ts';
import { verifyCsr } from './csr.ts';
import { CertificateExpiryTooShortError, InvalidCertificateError, PkiError } from './errors.ts';
import {
  type CryptoKey,
  exportPrivateKeyPem,
  generateEcKeyPair,
  importEcPrivateKeyPem,
  importEcPublicKeySpki,
  spkiOf,
} from './keys.ts';
import { decodePem, encodePem, splitPemCertificates } from './pem.ts';
import { defaultRandomBytes, type RandomBytes, randomSerialHex } from './random.ts';
import type * as X509 from './x509.ts';
import { loadX509, type X509 as X509Module } from './x509-lazy.ts';

/** Node and cluster IDs go into the subject and a DNS SAN: keep them to a safe alphabet. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface CreateRootCaOptions {
  now: Date;
  /** Lifetime of the root; default 20 years like swarmkit. */
  expiryMs?: number;
  /** How far notBefore is set before `now`; default 1h (swarmkit's CertBackdate). */
  backdateMs?: number;
  randomBytes?: RandomBytes;
}

interface IssueCommon {
  nodeId: string;
  clusterId: string;
  role: NodeRole;
  /** Lifetime from issuance (`notAfter - now`); default 2160h, at least 1h. */
  expiryMs?: number;
  now: Date;
  /** How far notBefore is set before `now`; default 1h (swarmkit's CertBackdate). */
  backdateMs?: number;
  randomBytes?: RandomBytes;
}

/**
 * What to certify: a PKCS#10 CSR PEM from the node (verified, its subject ignored), or a
 * public key the manager already trusts (CryptoKey or SPKI PEM).
 */
export type IssueNodeCertificateOptions = IssueCommon &
  ({ csrPem: string; publicKey?: never } | { publicKey: CryptoKey | string; csrPem?: never });

/**
 * The cluster's signing CA: a certificate and its private key, plus the intermediates to
 * append to every issued certificate (non-empty only during a root rotation, where it is
 * the new root cross-signed by the old one).
 */
export class RootCa {
  private constructor(
    /** The signing certificate, parsed. */
    readonly certificate: X509.X509Certificate,
    private readonly signingKey: CryptoKey,
    /** PEM of the signing certificate. */
    readonly certPem: string,
    /** PKCS#8 PEM of the signing key. */
    readonly keyPem: string,
    /** PEM of the intermediates appended to issued certificates ('' outside rotation). */
    readonly intermediatesPem: string,
  ) {}

  /** A new self-signed ECDSA P-256 root: CN=swarm-ca, CA:TRUE, random serial. */
  static async create(opts: CreateRootCaOptions): Promise<RootCa> {
    const expiryMs = opts.expiryMs ?? ROOT_CA_EXPIRY_MS;
    if (!(expiryMs > 0)) throw new PkiError('root CA expiry must be positive');
    const x509 = await loadX509();
    const keys = await generateEcKeyPair();
    const issuedAt = floorToSecond(opts.now);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: [{ CN: [CA_COMMON_NAME] }],
      keys,
      serialNumber: randomSerialHex(opts.randomBytes ?? defaultRandomBytes),
      notBefore: new Date(issuedAt - (opts.backdateMs ?? CERT_BACKDATE_MS)),
      notAfter: new Date(issuedAt + expiryMs),
      signingAlgorithm: EC_SIGNING_ALGORITHM,
      extensions: await caExtensions(x509, keys.publicKey),
    });
    const certPem = encodePem(cert.rawData, 'CERTIFICATE');
    const keyPem = await exportPrivateKeyPem(keys.privateKey);
    return new RootCa(cert, keys.privateKey, certPem, keyPem, '');
  }

  /**
   * Loads a CA from its certificate PEM (exactly one certificate) and PKCS#8 (or SEC1)
   * key PEM. Refuses a certificate that is not a CA or a key that does not match it.
   */
  static async fromPem(
    certPem: string,
    keyPem: string,
    opts: { intermediatesPem?: string } = {},
  ): Promise<RootCa> {
    const ders = decodePem(certPem, 'CERTIFICATE');
    if (ders.length !== 1) {
      throw new InvalidCertificateError(`CA PEM must hold one certificate, found ${ders.length}`);
    }
    const x509 = await loadX509();
    const cert = new x509.X509Certificate(ders[0] as Uint8Array);
    if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
      throw new InvalidCertificateError('CA certificate lacks basicConstraints CA:TRUE');
    }
    const keys = await importEcPrivateKeyPem(keyPem);
    const keySpki = Buffer.from(await spkiOf(keys.publicKey));
    if (!keySpki.equals(Buffer.from(cert.publicKey.rawData))) {
      throw new InvalidCertificateError('CA private key does not match the CA certificate');
    }
    const intermediatesPem = opts.intermediatesPem?.trim()
      ? splitPemCertificates(opts.intermediatesPem).join('')
      : '';
    return new RootCa(
      cert,
      keys.privateKey,
      encodePem(cert.rawData, 'CERTIFICATE'),
      await exportPrivateKeyPem(keys.privateKey),
      intermediatesPem,
    );
  }

  /** The same signer with other intermediates appended to issued certificates. */
  withIntermediates(intermediatesPem: string): RootCa {
    const normalized = intermediatesPem.trim()
      ? splitPemCertificates(intermediatesPem).join('')
      : '';
    return new RootCa(this.certificate, this.signingKey, this.certPem, this.keyPem, normalized);
  }

  toPem(): { certPem: string; keyPem: string; intermediatesPem: string } {
    return { certPem: this.certPem, keyPem: this.keyPem, intermediatesPem: this.intermediatesPem };
  }

  get notBefore(): Date {
    return this.certificate.notBefore;
  }

  get notAfter(): Date {
    return this.certificate.notAfter;
  }

  /**
   * Signs a node certificate: subject O=clusterId, OU=swarm-manager|swarm-worker,
   * CN=nodeId whatever a CSR asked for; DNS SANs [OU, nodeId] plus swarm-ca for managers
   * (as swarmkit); digitalSignature+keyEncipherment; serverAuth+clientAuth; CA:FALSE;
   * notAfter = now + expiry. Returns the PEM chain: the certificate, then this CA's
   * intermediates (none outside a root rotation).
   */
  async issueNodeCertificate(opts: IssueNodeCertificateOptions): Promise<string> {
    const expiryMs = opts.expiryMs ?? DEFAULT_NODE_CERT_EXPIRY_MS;
    if (!Number.isFinite(expiryMs) || expiryMs < MIN_NODE_CERT_EXPIRY_MS) {
      throw new CertificateExpiryTooShortError(expiryMs, MIN_NODE_CERT_EXPIRY_MS);
    }
    assertId(opts.nodeId, 'node ID');
    assertId(opts.clusterId, 'cluster ID');
    if (opts.role !== 'manager' && opts.role !== 'worker') {
      throw new PkiError(`invalid role ${JSON.stringify(opts.role)}: expected manager or worker`);
    }
    const issuedAt = floorToSecond(opts.now);
    if (issuedAt < this.notBefore.getTime() - (opts.backdateMs ?? CERT_BACKDATE_MS)) {
      throw new PkiError(`the CA is not valid yet (notBefore ${this.notBefore.toISOString()})`);
    }
    if (issuedAt > this.notAfter.getTime()) {
      throw new PkiError(`the CA expired at ${this.notAfter.toISOString()}`);
    }

    const x509 = await loadX509();
    const publicKey = await subjectPublicKey(opts);
    const ou = roleToOu(opts.role);
    const dnsNames = ou === MANAGER_OU ? [ou, opts.nodeId, CA_COMMON_NAME] : [ou, opts.nodeId];
    const cert = await x509.X509CertificateGenerator.create({
      subject: [{ O: [opts.clusterId] }, { OU: [ou] }, { CN: [opts.nodeId] }],
      issuer: this.certificate.subjectName,
      publicKey,
      signingKey: this.signingKey,
      serialNumber: randomSerialHex(opts.randomBytes ?? defaultRandomBytes),
      notBefore: new Date(issuedAt - (opts.backdateMs ?? CERT_BACKDATE_MS)),
      notAfter: new Date(issuedAt + expiryMs),
      signingAlgorithm: EC_SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension(
          [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
        new x509.SubjectAlternativeNameExtension(
          dnsNames.map((value) => ({ type: 'dns' as const, value })),
          false,
        ),
      ],
    });
    return encodePem(cert.rawData, 'CERTIFICATE') + this.intermediatesPem;
  }

  /**
   * Signs another CA's certificate with this CA's key, keeping its subject, public key,
   * validity and CA extensions (swarmkit's CrossSignCACertificate). Used for root rotation.
   */
  async crossSign(
    otherCaCertPem: string,
    opts: { randomBytes?: RandomBytes } = {},
  ): Promise<string> {
    const ders = decodePem(otherCaCertPem, 'CERTIFICATE');
    if (ders.length !== 1) {
      throw new InvalidCertificateError(`expected one CA certificate, found ${ders.length}`);
    }
    const x509 = await loadX509();
    const other = new x509.X509Certificate(ders[0] as Uint8Array);
    if (!other.getExtension(x509.BasicConstraintsExtension)?.ca) {
      throw new InvalidCertificateError('the certificate to cross-sign is not a CA');
    }
    const publicKey = await importEcPublicKeySpki(new Uint8Array(other.publicKey.rawData));
    const cert = await x509.X509CertificateGenerator.create({
      subject: other.subjectName,
      issuer: this.certificate.subjectName,
      publicKey,
      signingKey: this.signingKey,
      serialNumber: randomSerialHex(opts.randomBytes ?? defaultRandomBytes),
      notBefore: other.notBefore,
      notAfter: other.notAfter,
      signingAlgorithm: EC_SIGNING_ALGORITHM,
      extensions: [
        ...(await caExtensions(x509, publicKey)),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });
    return encodePem(cert.rawData, 'CERTIFICATE');
  }
}

async function caExtensions(x509: X509Module, publicKey: CryptoKey): Promise<X509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.keyCertSign |
        x509.KeyUsageFlags.cRLSign |
        x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
}

async function subjectPublicKey(opts: IssueNodeCertificateOptions): Promise<CryptoKey> {
  if (typeof opts.csrPem === 'string') return (await verifyCsr(opts.csrPem)).publicKey;
  const pk = opts.publicKey;
  if (pk === undefined) throw new PkiError('issueNodeCertificate needs a csrPem or a publicKey');
  if (typeof pk === 'string') {
    const ders = decodePem(pk, 'PUBLIC KEY');
    return importEcPublicKeySpki(ders[0] as Uint8Array);
  }
  // Re-import so a non-P-256 CryptoKey is refused the same way as a PEM one.
  return importEcPublicKeySpki(await spkiOf(pk));
}

function assertId(id: string, what: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new PkiError(
      `invalid ${what} ${JSON.stringify(id)}: use 1-128 letters, digits, '.', '_' or '-'`,
    );
  }
}

function floorToSecond(d: Date): number {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new PkiError('invalid date');
  return Math.floor(t / 1000) * 1000;
}
