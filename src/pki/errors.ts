/** Base class of every error raised by src/pki. */
export class PkiError extends Error {
  override name = 'PkiError';
}

/** A join token that is not `SWMTKN-1-<50 base-36 digits>-<25 base-36 digits>`. */
export class InvalidJoinTokenError extends PkiError {
  override name = 'InvalidJoinTokenError';
  constructor(detail: string) {
    super(`invalid join token: ${detail}`);
  }
}

/** The root CA bundle fetched from a manager does not hash to the join token's digest. */
export class CaMismatchError extends PkiError {
  override name = 'CaMismatchError';
  constructor(
    readonly expectedDigest: string,
    readonly actualDigest: string,
  ) {
    super(
      `the remote CA does not match the fingerprint in the join token (expected sha256:${expectedDigest}, got sha256:${actualDigest})`,
    );
  }
}

/** A node certificate expiry below swarm's 1 hour minimum. */
export class CertificateExpiryTooShortError extends PkiError {
  override name = 'CertificateExpiryTooShortError';
  constructor(
    readonly requestedMs: number,
    readonly minimumMs: number,
  ) {
    super(
      `node certificate expiry must be at least ${minimumMs / 3_600_000}h, got ${formatMs(requestedMs)}`,
    );
  }
}

/** A CSR that cannot be parsed, whose signature is wrong, or whose key is not ECDSA P-256. */
export class InvalidCsrError extends PkiError {
  override name = 'InvalidCsrError';
  constructor(detail: string) {
    super(`invalid certificate signing request: ${detail}`);
  }
}

/** A certificate or key that cannot be parsed or does not have the expected shape. */
export class InvalidCertificateError extends PkiError {
  override name = 'InvalidCertificateError';
  constructor(detail: string) {
    super(`invalid certificate: ${detail}`);
  }
}

/** A certificate chain that does not lead to a trusted root at the given time. */
export class CertificateVerificationError extends PkiError {
  override name = 'CertificateVerificationError';
  constructor(detail: string) {
    super(`certificate verification failed: ${detail}`);
  }
}

/** An autolock key that is not `SWMKEY-1-<base64 of 32 bytes>`. */
export class InvalidUnlockKeyError extends PkiError {
  override name = 'InvalidUnlockKeyError';
  constructor(detail: string) {
    super(`invalid unlock key: ${detail}`);
  }
}

/** An RPC whose transport carries no verified client certificate of the cluster. */
export class PeerIdentityError extends PkiError {
  override name = 'PeerIdentityError';
  constructor(detail: string) {
    super(`cannot identify peer: ${detail}`);
  }
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The node's TLS key file is encrypted (autolock) and the key given does not open it. */
export class NodeKeyLockedError extends PkiError {
  override name = 'NodeKeyLockedError';
  constructor(detail: string) {
    super(`cannot read the node's TLS key: ${detail}`);
  }
}

/** A root CA rotation request the cluster refuses (a bad certificate or key, a key missing). */
export class InvalidRootRotationError extends PkiError {
  override name = 'InvalidRootRotationError';
  /** The API answers it as Docker does an invalid CA config: 400. */
  readonly code = 'invalid_argument';
}
