// Shared by the *.test.ts files of src/pki; not part of the public surface.
import type { RandomBytes } from './random.ts';

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
