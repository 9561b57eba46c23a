/** A node's role, as carried in the OU of its certificate. */
export type NodeRole = 'manager' | 'worker';

/** CN of swarm's root CA, also a SAN of every manager certificate (managers issue certificates). */
export const CA_COMMON_NAME = 'swarm-ca';
export const MANAGER_OU = 'swarm-manager';
export const WORKER_OU = 'swarm-worker';

export const HOUR_MS = 3_600_000;
/** Default node certificate lifetime: 90 days (swarmkit's 2160h). */
export const DEFAULT_NODE_CERT_EXPIRY_MS = 2160 * HOUR_MS;
/** Shortest node certificate lifetime swarm accepts. */
export const MIN_NODE_CERT_EXPIRY_MS = HOUR_MS;
/** Root CA lifetime: 20 years (swarmkit's 630720000s). */
export const ROOT_CA_EXPIRY_MS = 630_720_000_000;
/** notBefore is set this far before issuance to tolerate clock drift (swarmkit's CertBackdate). */
export const CERT_BACKDATE_MS = HOUR_MS;
/** Renewal happens at a random point in [50 %, 80 %] of a certificate's lifetime. */
export const RENEWAL_LOWER_FRACTION = 0.5;
export const RENEWAL_UPPER_FRACTION = 0.8;

/** ECDSA P-256 with SHA-256: the only key and signature algorithm Shoal issues. */
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING_ALGORITHM = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
} as const;

export function roleToOu(role: NodeRole): string {
  return role === 'manager' ? MANAGER_OU : WORKER_OU;
}

export function ouToRole(ou: string): NodeRole | undefined {
  if (ou === MANAGER_OU) return 'manager';
  if (ou === WORKER_OU) return 'worker';
  return undefined;
}
