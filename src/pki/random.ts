import { randomFillSync } from 'node:crypto';

/** Returns `n` random bytes. Injected wherever randomness shapes an output, so tests can fix it. */
export type RandomBytes = (n: number) => Uint8Array;

/** A number in [0, 1). Injected where a random fraction is drawn (renewal jitter). */
export type RandomFraction = () => number;

export const defaultRandomBytes: RandomBytes = (n) => randomFillSync(new Uint8Array(n));

/** A uniformly random fraction in [0, 1) from 53 random bits. */
export const defaultRandomFraction: RandomFraction = () => {
  const b = defaultRandomBytes(8);
  let hi = 0;
  for (let i = 0; i < 7; i++) hi = hi * 256 + (b[i] ?? 0);
  // 56 bits read, keep 53.
  return Math.floor(hi / 8) / 2 ** 53;
};

/** A positive 128-bit certificate serial number as hex (top bit clear, never zero). */
export function randomSerialHex(randomBytes: RandomBytes = defaultRandomBytes): string {
  const bytes = Uint8Array.from(randomBytes(16));
  if (bytes.length !== 16) throw new RangeError('randomBytes returned the wrong number of bytes');
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
