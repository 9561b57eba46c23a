import { RootCa } from './ca.ts';
import { decodePem, encodePem } from './pem.ts';
import type { RandomBytes } from './random.ts';

export interface RootRotation {
  /** The new root, signing with its own key; issued chains carry `crossSignedPem`. */
  newRoot: RootCa;
  /** The new root's certificate (subject, key, validity) signed by the old root. */
  crossSignedPem: string;
  /** Trust bundle while nodes move over: old root, then new root. */
  trustBundlePem: string;
}

/**
 * Starts a root rotation (swarmkit's scheme): a fresh root, cross-signed by the old one.
 * Certificates issued by `newRoot` come as [leaf, cross-signed new root], so a node that
 * still trusts only the old root verifies them, while updated nodes trust both roots.
 */
export async function startRootRotation(
  oldRoot: RootCa,
  opts: { now: Date; randomBytes?: RandomBytes; expiryMs?: number },
): Promise<RootRotation> {
  const fresh = await RootCa.create(opts);
  const crossSignedPem = await oldRoot.crossSign(fresh.certPem, opts);
  return {
    newRoot: fresh.withIntermediates(crossSignedPem),
    crossSignedPem,
    trustBundlePem: rotationTrustBundle(oldRoot.certPem, fresh.certPem),
  };
}

/** Ends a rotation once every node holds a certificate from the new root. */
export function completeRootRotation(newRoot: RootCa): { root: RootCa; trustBundlePem: string } {
  return { root: newRoot.withIntermediates(''), trustBundlePem: finalTrustBundle(newRoot.certPem) };
}

/** Trust bundle during a rotation: the old root then the new one (deduplicated). */
export function rotationTrustBundle(oldRootPem: string, newRootPem: string): string {
  return buildTrustBundle(oldRootPem, newRootPem);
}

/** Trust bundle after a rotation: the new root only. */
export function finalTrustBundle(newRootPem: string): string {
  return buildTrustBundle(newRootPem);
}

/**
 * Concatenates the certificates of the given PEMs in order, canonically encoded and
 * without duplicates. The join token's digest is over these exact bytes, so a bundle is
 * built once and then passed around verbatim.
 */
export function buildTrustBundle(...pems: string[]): string {
  const seen = new Set<string>();
  let out = '';
  for (const pem of pems) {
    for (const der of decodePem(pem, 'CERTIFICATE')) {
      const block = encodePem(der, 'CERTIFICATE');
      if (seen.has(block)) continue;
      seen.add(block);
      out += block;
    }
  }
  return out;
}
