// Runs on every node, in TLS callbacks and at startup, so it uses only Node's own
// X509Certificate: @peculiar/x509 is loaded lazily, by the code that signs (x509-lazy.ts).
import { X509Certificate } from 'node:crypto';
import {
  type NodeRole,
  ouToRole,
  RENEWAL_LOWER_FRACTION,
  RENEWAL_UPPER_FRACTION,
} from './constants.ts';
import {
  type CertificateConstraints,
  KEY_USAGE_KEY_CERT_SIGN,
  readCertificateConstraints,
} from './der.ts';
import { formatName, nameValues, parseNodeName } from './distinguished-name.ts';
import { CertificateVerificationError, InvalidCertificateError } from './errors.ts';
import { decodePem, encodePem } from './pem.ts';
import { defaultRandomFraction, type RandomFraction } from './random.ts';

/** What a node certificate says about its holder. */
export interface NodeIdentity {
  nodeId: string;
  clusterId: string;
  role: NodeRole;
}

export interface NodeCertificateInfo extends NodeIdentity {
  notBefore: Date;
  notAfter: Date;
  /** Serial number as lowercase hex. */
  serial: string;
  /** Issuer DN as text, e.g. "CN=swarm-ca". */
  issuer: string;
}

/**
 * Parses a node certificate (the first certificate of a PEM chain, or DER bytes) into
 * the identity its subject carries. Throws InvalidCertificateError if the subject is not
 * O=<cluster>, OU=swarm-manager|swarm-worker, CN=<node>, or if it is a CA certificate.
 * No signature or validity check: see verifyNodeCertificate for that.
 */
export function parseNodeCertificate(cert: string | Uint8Array): NodeCertificateInfo {
  const parsed = parseCertificate(cert);
  if (readConstraints(parsed).basicConstraints?.ca) {
    throw new InvalidCertificateError('a CA certificate is not a node certificate');
  }
  const subject = parseNodeName(parsed.subject);
  const nodeId = single(nameValues(subject, 'CN'), 'CN');
  const clusterId = single(nameValues(subject, 'O'), 'O');
  const ou = single(nameValues(subject, 'OU'), 'OU');
  const role = ouToRole(ou);
  if (!role) {
    throw new InvalidCertificateError(
      `OU ${JSON.stringify(ou)} is neither swarm-manager nor swarm-worker`,
    );
  }
  return {
    nodeId,
    clusterId,
    role,
    notBefore: certificateTime(parsed.validFrom),
    notAfter: certificateTime(parsed.validTo),
    serial: parsed.serialNumber.toLowerCase(),
    issuer: formatName(parseNodeName(parsed.issuer)),
  };
}

/** Parses one certificate from DER, or the first one of a PEM text, with node:crypto. */
export function parseCertificate(cert: string | Uint8Array): X509Certificate {
  const der = typeof cert === 'string' ? decodePem(cert, 'CERTIFICATE')[0] : cert;
  try {
    return new X509Certificate(Buffer.from(der as Uint8Array));
  } catch (err) {
    // Node tries DER, then PEM, and reports the PEM attempt: "PEM routines::no start line".
    const message = (err as Error).message;
    throw new InvalidCertificateError(
      `cannot parse: ${message.includes('no start line') ? 'not a well-formed DER certificate' : message}`,
    );
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** OpenSSL's ASN1_TIME_print, which Node's validFrom/validTo use: "Mar  1 11:00:00 2025 GMT". */
const OPENSSL_TIME = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)? (\d{4}) GMT$/;

/**
 * A Date from Node's validFrom/validTo text (Node 20 has no validFromDate). Parsed by
 * hand, not by Date's implementation-defined parser of non-ISO strings.
 */
export function certificateTime(text: string): Date {
  const m = OPENSSL_TIME.exec(text);
  const month = m ? MONTHS.indexOf(m[1] ?? '') : -1;
  if (!m || month < 0) throw new InvalidCertificateError(`unreadable time ${JSON.stringify(text)}`);
  const fraction = m[6] ? Math.floor(Number(m[6]) * 1000) : 0;
  const ms = Date.UTC(
    Number(m[7]),
    month,
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    fraction,
  );
  if (!Number.isFinite(ms))
    throw new InvalidCertificateError(`unreadable time ${JSON.stringify(text)}`);
  return new Date(ms);
}

export interface VerifyChainOptions {
  /** The certificate to verify, optionally followed by intermediates (as sent in TLS). */
  chainPem: string;
  /** Trusted roots: one or more self-signed CA certificates. */
  rootBundlePem: string;
  now: Date;
  /** Extra intermediates to build the path with (e.g. a cross-signed root). */
  intermediatesPem?: string;
}

export interface VerifiedChain {
  /** PEMs from the leaf to the trusted root, inclusive. */
  path: string[];
}

const MAX_CHAIN_DEPTH = 6;

interface Cert {
  pem: string;
  node: X509Certificate;
  constraints: CertificateConstraints;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Verifies that the first certificate of `chainPem` chains to one of the roots of
 * `rootBundlePem` at `now`, through zero or more of the other certificates offered (the
 * rest of `chainPem` and `intermediatesPem`). Every certificate on the path must be
 * within its validity; every issuer must be a CA allowed to sign certificates (key usage,
 * path length) whose key verifies the signature. During a root rotation a node that
 * trusts only the old root accepts [leaf from the new root, new root cross-signed by the
 * old] this way. Throws CertificateVerificationError naming the first reason found.
 */
export function verifyCertificateChain(opts: VerifyChainOptions): VerifiedChain {
  const now = opts.now.getTime();
  const offered = toCerts(opts.chainPem);
  const leaf = offered[0];
  if (!leaf) throw new CertificateVerificationError('no certificate presented');
  const intermediates = [
    ...offered.slice(1),
    ...(opts.intermediatesPem?.trim() ? toCerts(opts.intermediatesPem) : []),
  ];
  const roots = toCerts(opts.rootBundlePem);
  if (roots.length === 0)
    throw new CertificateVerificationError('the trusted root bundle is empty');

  const leafProblem = validityProblem(leaf, now);
  if (leafProblem) throw new CertificateVerificationError(leafProblem);

  let lastProblem = 'certificate is not signed by a trusted root CA';
  const search = (cert: Cert, path: Cert[], used: Set<Cert>): Cert[] | undefined => {
    // `path` holds cert and everything below it; intermediatesBelow excludes the leaf.
    const intermediatesBelow = path.length - 1;
    for (const root of roots) {
      const problem = issuerProblem(cert, root, now, intermediatesBelow);
      if (problem === undefined) return [...path, root];
      if (problem !== 'not the issuer') lastProblem = problem;
    }
    if (path.length >= MAX_CHAIN_DEPTH) return undefined;
    for (const next of intermediates) {
      if (used.has(next)) continue;
      const problem = issuerProblem(cert, next, now, intermediatesBelow);
      if (problem !== undefined) {
        if (problem !== 'not the issuer') lastProblem = problem;
        continue;
      }
      const found = search(next, [...path, next], new Set([...used, next]));
      if (found) return found;
    }
    return undefined;
  };
  const path = search(leaf, [leaf], new Set());
  if (!path) throw new CertificateVerificationError(lastProblem);
  return { path: path.map((c) => c.pem) };
}

/**
 * verifyCertificateChain, then parseNodeCertificate of the leaf; optionally insists on a
 * cluster ID and/or role. Returns the leaf's identity and validity.
 */
export function verifyNodeCertificate(
  opts: VerifyChainOptions & { clusterId?: string; role?: NodeRole },
): NodeCertificateInfo {
  verifyCertificateChain(opts);
  const info = parseNodeCertificate(opts.chainPem);
  if (opts.clusterId !== undefined && info.clusterId !== opts.clusterId) {
    throw new CertificateVerificationError(
      `certificate belongs to cluster ${info.clusterId}, expected ${opts.clusterId}`,
    );
  }
  if (opts.role !== undefined && info.role !== opts.role) {
    throw new CertificateVerificationError(
      `certificate is for a ${info.role}, expected a ${opts.role}`,
    );
  }
  return info;
}

/**
 * When to renew a certificate: notBefore + lifetime × (0.5 + 0.3 × random), i.e. a point
 * in [50 %, 80 %] of its lifetime. `random` is a fraction in [0, 1] (or a function giving
 * one); draw it once per certificate, so the renewal point does not move between checks.
 */
export function renewalTime(
  notBefore: Date,
  notAfter: Date,
  random: number | RandomFraction = defaultRandomFraction,
): Date {
  const r = typeof random === 'function' ? random() : random;
  const fraction = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
  const start = notBefore.getTime();
  const lifetime = Math.max(0, notAfter.getTime() - start);
  const at =
    start +
    lifetime *
      (RENEWAL_LOWER_FRACTION + (RENEWAL_UPPER_FRACTION - RENEWAL_LOWER_FRACTION) * fraction);
  return new Date(Math.floor(at));
}

/**
 * Whether a certificate (PEM, or its notBefore/notAfter) is due for renewal at `now`:
 * past its renewal time for this `random`, or already expired.
 */
export function needsRenewal(
  cert: string | { notBefore: Date; notAfter: Date },
  now: Date,
  random: number | RandomFraction = defaultRandomFraction,
): boolean {
  const { notBefore, notAfter } = typeof cert === 'string' ? parseCertificateValidity(cert) : cert;
  if (now.getTime() >= notAfter.getTime()) return true;
  return now.getTime() >= renewalTime(notBefore, notAfter, random).getTime();
}

function parseCertificateValidity(pem: string): { notBefore: Date; notAfter: Date } {
  const parsed = parseCertificate(pem);
  return {
    notBefore: certificateTime(parsed.validFrom),
    notAfter: certificateTime(parsed.validTo),
  };
}

function readConstraints(cert: X509Certificate): CertificateConstraints {
  return readCertificateConstraints(cert.raw);
}

function toCerts(pem: string): Cert[] {
  return decodePem(pem, 'CERTIFICATE').map((der) => {
    const node = parseCertificate(der);
    return {
      pem: encodePem(der, 'CERTIFICATE'),
      node,
      constraints: readConstraints(node),
      notBefore: certificateTime(node.validFrom),
      notAfter: certificateTime(node.validTo),
    };
  });
}

function validityProblem(cert: Cert, now: number): string | undefined {
  if (now < cert.notBefore.getTime()) {
    return `${describe(cert)} is not valid before ${cert.notBefore.toISOString()}`;
  }
  if (now > cert.notAfter.getTime()) {
    return `${describe(cert)} expired at ${cert.notAfter.toISOString()}`;
  }
  return undefined;
}

/** Why `issuer` cannot be the issuer of `child` on a valid path, or undefined if it can. */
function issuerProblem(
  child: Cert,
  issuer: Cert,
  now: number,
  intermediatesBelow: number,
): string | undefined {
  // Name (and key identifier) match first: a mismatch only means "look elsewhere".
  if (!child.node.checkIssued(issuer.node)) return 'not the issuer';
  let signed = false;
  try {
    signed = child.node.verify(issuer.node.publicKey);
  } catch {
    signed = false;
  }
  if (!signed) return 'not the issuer';
  // An issuer must be a CA by both readings: Node's `ca` (OpenSSL's X509_check_ca:
  // basicConstraints CA:TRUE and a keyUsage, if any, allowing keyCertSign) and ours of the
  // extensions (der.ts), which also gives the path length Node does not expose. checkIssued
  // above already refuses an issuer whose keyUsage lacks keyCertSign; the check below keeps
  // that rule here too, whatever OpenSSL version Node links.
  const bc = issuer.constraints.basicConstraints;
  if (!bc?.ca || !issuer.node.ca) return `${describe(issuer)} is not a CA`;
  const ku = issuer.constraints.keyUsage;
  if (ku !== undefined && (ku & KEY_USAGE_KEY_CERT_SIGN) === 0) {
    return `${describe(issuer)} may not sign certificates (key usage)`;
  }
  if (bc.pathLength !== undefined && intermediatesBelow > bc.pathLength) {
    return `${describe(issuer)} path length constraint exceeded`;
  }
  return validityProblem(issuer, now);
}

function describe(cert: Cert): string {
  const subject = formatName(parseNodeName(cert.node.subject));
  return `certificate "${subject}" (serial ${cert.node.serialNumber.toLowerCase()})`;
}

function single(values: string[], field: string): string {
  if (values.length !== 1 || !values[0]) {
    throw new InvalidCertificateError(
      `subject must have exactly one ${field}, found ${values.length}`,
    );
  }
  return values[0];
}
