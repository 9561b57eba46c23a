import { InvalidUnlockKeyError } from './errors.ts';
import { defaultRandomBytes, type RandomBytes } from './random.ts';

const PREFIX = 'SWMKEY-1-';
/** The key encryption key is 32 bytes (NaCl secretbox), as swarmkit. */
export const UNLOCK_KEY_BYTES = 32;

/** `SWMKEY-1-` + unpadded standard base64 of the key (Go's base64.RawStdEncoding). */
export function formatUnlockKey(key: Uint8Array): string {
  if (key.length !== UNLOCK_KEY_BYTES) {
    throw new InvalidUnlockKeyError(`expected ${UNLOCK_KEY_BYTES} bytes, got ${key.length}`);
  }
  return PREFIX + Buffer.from(key).toString('base64').replace(/=+$/, '');
}

/** A fresh random unlock key, formatted. */
export function generateUnlockKey(randomBytes: RandomBytes = defaultRandomBytes): string {
  return formatUnlockKey(randomBytes(UNLOCK_KEY_BYTES));
}

/** The key bytes of `SWMKEY-1-<base64>`; surrounding whitespace is ignored. */
export function parseUnlockKey(text: string): Uint8Array {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new InvalidUnlockKeyError('the key is empty');
  }
  const s = text.trim();
  if (!s.startsWith(PREFIX)) throw new InvalidUnlockKeyError(`it must start with "${PREFIX}"`);
  const b64 = s.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+$/.test(b64)) {
    throw new InvalidUnlockKeyError('the part after SWMKEY-1- is not unpadded standard base64');
  }
  const key = new Uint8Array(Buffer.from(b64, 'base64'));
  // Buffer's decoder is lenient; a canonical re-encoding must give back the same text.
  if (Buffer.from(key).toString('base64').replace(/=+$/, '') !== b64) {
    throw new InvalidUnlockKeyError('the part after SWMKEY-1- is not canonical base64');
  }
  if (key.length !== UNLOCK_KEY_BYTES) {
    throw new InvalidUnlockKeyError(`expected ${UNLOCK_KEY_BYTES} bytes, got ${key.length}`);
  }
  return key;
}
