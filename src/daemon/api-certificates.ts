// Certificates for the remote API (`--tls-listen`), signed by the cluster's root CA on a
// manager: the listener's server certificate (its addresses as SANs, so `docker --tlsverify`
// can check the host it dialled) and client certificates for operators (`shoal ca
// issue-client`). Client certificates carry OU=swarm-client, so the API tells them apart from
// node certificates: a worker's node certificate, from the same CA, must not open the API.
import { isIP } from 'node:net';
import {
  type CryptoKey,
  generateNodeKeyAndCsr,
  importEcPrivateKeyPem,
  verifyCsr,
} from '../pki/index.ts';

/** The OU of an API client certificate. */
export const CLIENT_OU = 'swarm-client';
/** Default lifetime of a client certificate: 90 days, as node certificates. */
export const DEFAULT_CLIENT_CERT_EXPIRY_MS = 2160 * 3600 * 1000;
/** Longest client certificate lifetime accepted: 10 years. */
export const MAX_CLIENT_CERT_EXPIRY_MS = 3650 * 24 * 3600 * 1000;
/** notBefore is set this far back to tolerate clock drift (as node certificates). */
const BACKDATE_MS = 3600 * 1000;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/** The cluster's signing CA, as the store holds it. */
export interface ClusterCa {
  clusterId: string;
  certPem: string;
  keyPem: string;
}

type X509 = typeof import('@peculiar/x509');
let loading: Promise<X509> | undefined;

/**
 * @peculiar/x509, loaded on first use (it is large, and needs the Reflect polyfill first). It
 * is CommonJS: a bundled dynamic import may hand its exports over as `default`.
 */
function loadX509(): Promise<X509> {
  loading ??= import('reflect-metadata')
    .then(() => import('@peculiar/x509'))
    .then((module) => {
      const interop = module as X509 & { default?: X509 };
      return typeof interop.X509Certificate === 'function' ? interop : interop.default!;
    });
  return loading;
}

interface IssueOptions {
  ca: ClusterCa;
  publicKey: CryptoKey;
  commonName: string;
  ou: string;
  usage: 'server' | 'client';
  dnsNames: string[];
  ips: string[];
  expiryMs: number;
  now: Date;
}

async function issue(options: IssueOptions): Promise<string> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(options.ca.certPem);
  const { privateKey } = await importEcPrivateKeyPem(options.ca.keyPem);
  const issuedAt = Math.floor(options.now.getTime() / 1000) * 1000;
  const names = [
    ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...options.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ O: [options.ca.clusterId] }, { OU: [options.ou] }, { CN: [options.commonName] }],
    issuer: caCert.subjectName,
    publicKey: options.publicKey,
    signingKey: privateKey,
    serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    notBefore: new Date(issuedAt - BACKDATE_MS),
    notAfter: new Date(issuedAt + options.expiryMs),
    signingAlgorithm: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [
          options.usage === 'server'
            ? x509.ExtendedKeyUsage.serverAuth
            : x509.ExtendedKeyUsage.clientAuth,
        ],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
    ],
  });
  return cert.toString('pem');
}

/** A client certificate for the key of `csrPem`; the name is the certificate's CN. */
export async function issueClientCertificate(options: {
  ca: ClusterCa;
  csrPem: string;
  name: string;
  expiryMs?: number;
  now?: Date;
}): Promise<string> {
  if (!NAME_PATTERN.test(options.name)) {
    throw new RangeError(
      `invalid client name ${JSON.stringify(options.name)}: use 1-64 letters, digits, '.', '_', '@' or '-'`,
    );
  }
  const expiryMs = options.expiryMs ?? DEFAULT_CLIENT_CERT_EXPIRY_MS;
  if (
    !Number.isSafeInteger(expiryMs) ||
    expiryMs < 3600_000 ||
    expiryMs > MAX_CLIENT_CERT_EXPIRY_MS
  ) {
    throw new RangeError('a client certificate must be valid between 1h and 87600h (10 years)');
  }
  const { publicKey } = await verifyCsr(options.csrPem);
  return issue({
    ca: options.ca,
    publicKey,
    commonName: options.name,
    ou: CLIENT_OU,
    usage: 'client',
    dnsNames: [],
    ips: [],
    expiryMs,
    now: options.now ?? new Date(),
  });
}

/** A server certificate and its key for the API listener, valid for `hosts` (names or IPs). */
export async function issueServerCertificate(options: {
  ca: ClusterCa;
  /** The certificate's CN: the node's name. */
  commonName: string;
  hosts: string[];
  expiryMs?: number;
  now?: Date;
}): Promise<{ certPem: string; keyPem: string }> {
  const { keyPem, publicKey } = await generateNodeKeyAndCsr();
  const hosts = [...new Set(options.hosts.filter((host) => host !== ''))];
  const certPem = await issue({
    ca: options.ca,
    publicKey,
    commonName: options.commonName,
    ou: 'swarm-api',
    usage: 'server',
    dnsNames: hosts.filter((host) => isIP(host) === 0),
    ips: hosts.filter((host) => isIP(host) !== 0),
    expiryMs: options.expiryMs ?? DEFAULT_CLIENT_CERT_EXPIRY_MS,
    now: options.now ?? new Date(),
  });
  return { certPem, keyPem };
}
