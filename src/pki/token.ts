import { createHash, timingSafeEqual } from 'node:crypto';
import { CaMismatchError, InvalidJoinTokenError } from './errors.ts';
import { defaultRandomBytes, type RandomBytes } from './random.ts';

const TOKEN_PREFIX = 'SWMTKN';
const TOKEN_VERSION = 1;
/** ceil(log36(2^256 - 1)): a SHA-256 digest in base 36. */
const DIGEST_BASE36_LEN = 50;
/** ceil(log36(2^128 - 1)): 16 random bytes in base 36. */
const SECRET_BASE36_LEN = 25;
/** Entropy of a join token's secret, as swarmkit. */
export const JOIN_TOKEN_SECRET_BYTES = 16;

const MAX_DIGEST = (1n << 256n) - 1n;
const MAX_SECRET = (1n << 128n) - 1n;

export interface ParsedJoinToken {
  version: 1;
  /** SHA-256 of the root CA bundle, 64 lowercase hex digits. */
  digest: string;
  /** The secret part as written in the token (25 base-36 digits). */
  secret: string;
}

/** SHA-256 over the exact bytes of the root CA bundle, as lowercase hex. */
export function rootBundleDigest(rootBundlePem: string | Uint8Array): string {
  const bytes =
    typeof rootBundlePem === 'string' ? Buffer.from(rootBundlePem, 'utf8') : rootBundlePem;
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `SWMTKN-1-<digest>-<secret>` exactly as swarmkit: the SHA-256 of the root CA bundle as a
 * big integer in base 36, left-padded with 0 to 50 characters, and the 16 secret bytes as
 * a big-endian integer in base 36 padded to 25.
 */
export function joinToken(rootBundlePem: string | Uint8Array, secretBytes: Uint8Array): string {
  if (secretBytes.length !== JOIN_TOKEN_SECRET_BYTES) {
    throw new RangeError(
      `a join token secret is ${JOIN_TOKEN_SECRET_BYTES} bytes, got ${secretBytes.length}`,
    );
  }
  const digest = BigInt(`0x${rootBundleDigest(rootBundlePem)}`)
    .toString(36)
    .padStart(DIGEST_BASE36_LEN, '0');
  const secret = bytesToBigInt(secretBytes).toString(36).padStart(SECRET_BASE36_LEN, '0');
  return `${TOKEN_PREFIX}-${TOKEN_VERSION}-${digest}-${secret}`;
}

/** A join token with a fresh random secret. Worker and manager tokens share the digest. */
export function generateJoinToken(
  rootBundlePem: string | Uint8Array,
  randomBytes: RandomBytes = defaultRandomBytes,
): string {
  return joinToken(rootBundlePem, randomBytes(JOIN_TOKEN_SECRET_BYTES));
}

/** Splits and checks a join token; throws InvalidJoinTokenError naming what is wrong. */
export function parseJoinToken(token: string): ParsedJoinToken {
  if (typeof token !== 'string' || token.trim() === '') {
    throw new InvalidJoinTokenError('the token is empty');
  }
  const parts = token.trim().split('-');
  if (parts[0] !== TOKEN_PREFIX) {
    throw new InvalidJoinTokenError(`it must start with "${TOKEN_PREFIX}-"`);
  }
  if (parts.length !== 4) {
    throw new InvalidJoinTokenError(
      `expected 4 dash-separated parts (SWMTKN-1-<digest>-<secret>), found ${parts.length}`,
    );
  }
  const [, version, digest36 = '', secret = ''] = parts;
  if (version !== String(TOKEN_VERSION)) {
    throw new InvalidJoinTokenError(`unsupported version ${JSON.stringify(version)} (expected 1)`);
  }
  if (!/^[0-9a-z]+$/.test(digest36) || digest36.length !== DIGEST_BASE36_LEN) {
    throw new InvalidJoinTokenError(
      `the CA digest must be ${DIGEST_BASE36_LEN} base-36 characters [0-9a-z], got ${digest36.length} characters`,
    );
  }
  const digestValue = parseBase36(digest36);
  if (digestValue > MAX_DIGEST) {
    throw new InvalidJoinTokenError('the CA digest is larger than a SHA-256 digest');
  }
  if (!/^[0-9a-z]+$/.test(secret) || secret.length !== SECRET_BASE36_LEN) {
    throw new InvalidJoinTokenError(
      `the secret must be ${SECRET_BASE36_LEN} base-36 characters [0-9a-z], got ${secret.length} characters`,
    );
  }
  if (parseBase36(secret) > MAX_SECRET) {
    throw new InvalidJoinTokenError('the secret is larger than 16 bytes');
  }
  return { version: 1, digest: digestValue.toString(16).padStart(64, '0'), secret };
}

/**
 * The joiner's check of the root bundle it fetched without verification: the SHA-256 over
 * the whole bundle must equal the token's digest, else CaMismatchError.
 */
export function verifyRootBundle(token: string, rootBundlePem: string | Uint8Array): void {
  const { digest } = parseJoinToken(token);
  const actual = rootBundleDigest(rootBundlePem);
  if (!timingSafeEqual(Buffer.from(digest, 'hex'), Buffer.from(actual, 'hex'))) {
    throw new CaMismatchError(digest, actual);
  }
}

/**
 * Constant-time token comparison for the manager. Different lengths give false after
 * comparing `a` with itself, so the time does not depend on where the contents differ.
 */
export function tokensEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  const hex = Buffer.from(bytes).toString('hex');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

function parseBase36(s: string): bigint {
  let n = 0n;
  for (const ch of s) n = n * 36n + BigInt(Number.parseInt(ch, 36));
  return n;
}
