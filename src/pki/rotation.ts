import { RootCa } from './ca.ts';
import { InvalidRootRotationError, PkiError } from './errors.ts';
import { decodePem, encodePem, splitPemCertificates } from './pem.ts';
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

/** A rotation in progress as the cluster keeps it: the new root, its key, its cross-signed copy. */
export interface RotationMaterial {
  /** The new root certificate (self-signed), PEM. */
  caCertPem: string;
  /** Its private key, PKCS#8 PEM. */
  caKeyPem: string;
  /** The new root's certificate signed by the old root, appended to every issued chain. */
  crossSignedPem: string;
}

/** The cluster's CA as it stands: its root and key, and a rotation if one is under way. */
export interface CaState {
  rootCertPem: string;
  rootKeyPem: string;
  rotation: RotationMaterial | null;
}

/** What a `swarm ca --rotate` asks for (Docker's CAConfig.SigningCACert/SigningCAKey/ForceRotate). */
export interface RootRotationRequest {
  signingCertPem?: string;
  signingKeyPem?: string;
  /** ForceRotate moved: a fresh root, unless a signing certificate is given. */
  force: boolean;
}

export type RootRotationDecision =
  /** Nothing to do: no rotation asked, or the one asked for is already under way. */
  | { kind: 'unchanged' }
  /** Start a rotation to this root (replacing any rotation under way). */
  | { kind: 'start'; rotation: RotationMaterial }
  /** Rotating back to the current root: drop the rotation under way. */
  | { kind: 'abort' };

/**
 * Decides what a CA update asks, as swarmkit's control API does: a given signing certificate
 * and key (both, a CA, matching, valid long enough) become the new root unless they are the
 * current one (which ends a rotation under way) or already the rotation's target; without
 * one, `force` makes a fresh root. A new rotation is always cross-signed by the current root,
 * also when it replaces one under way, so nodes that trust only the current root never lose
 * trust in certificates of the new one.
 */
export async function decideRootRotation(
  current: CaState,
  request: RootRotationRequest,
  opts: { now: Date; minValidityMs: number; randomBytes?: RandomBytes },
): Promise<RootRotationDecision> {
  const certPem = request.signingCertPem?.trim() ? request.signingCertPem : undefined;
  const keyPem = request.signingKeyPem?.trim() ? request.signingKeyPem : undefined;
  if (keyPem !== undefined && certPem === undefined) {
    throw new InvalidRootRotationError(
      'if a signing CA key is provided, the signing CA certificate must also be provided (--ca-cert)',
    );
  }
  if (certPem !== undefined) {
    const given = sameCertificate(certPem, current.rootCertPem)
      ? 'current'
      : current.rotation && sameCertificate(certPem, current.rotation.caCertPem)
        ? 'target'
        : 'new';
    if (given === 'current') return current.rotation ? { kind: 'abort' } : { kind: 'unchanged' };
    if (given === 'target') return { kind: 'unchanged' };
    if (keyPem === undefined) {
      throw new InvalidRootRotationError(
        'the signing CA certificate needs its key (--ca-key): Shoal signs node certificates itself and does not support external CAs',
      );
    }
    const root = await loadGivenRoot(certPem, keyPem, opts);
    return { kind: 'start', rotation: await rotationTo(current, root, opts) };
  }
  if (!request.force) return { kind: 'unchanged' };
  const fresh = await RootCa.create(opts);
  return { kind: 'start', rotation: await rotationTo(current, fresh, opts) };
}

/** The signer of node certificates: the rotation's new root (chains carry its cross-signed copy), else the root. */
export async function signingCaOf(current: CaState): Promise<RootCa> {
  if (current.rotation) {
    return RootCa.fromPem(current.rotation.caCertPem, current.rotation.caKeyPem, {
      intermediatesPem: current.rotation.crossSignedPem,
    });
  }
  return RootCa.fromPem(current.rootCertPem, current.rootKeyPem);
}

/** The certificate that should issue every node's certificate: the rotation's target, else the root. */
export function desiredIssuerPem(current: Pick<CaState, 'rootCertPem' | 'rotation'>): string {
  return current.rotation?.caCertPem ?? current.rootCertPem;
}

async function rotationTo(
  current: CaState,
  root: RootCa,
  opts: { randomBytes?: RandomBytes },
): Promise<RotationMaterial> {
  const oldRoot = await RootCa.fromPem(current.rootCertPem, current.rootKeyPem);
  const crossSignedPem = await oldRoot.crossSign(root.certPem, opts);
  return { caCertPem: root.certPem, caKeyPem: root.keyPem, crossSignedPem };
}

async function loadGivenRoot(
  certPem: string,
  keyPem: string,
  opts: { now: Date; minValidityMs: number },
): Promise<RootCa> {
  let root: RootCa;
  try {
    if (splitPemCertificates(certPem).length !== 1) {
      throw new PkiError('give exactly one certificate, the root');
    }
    root = await RootCa.fromPem(certPem, keyPem);
  } catch (error) {
    throw new InvalidRootRotationError(
      `invalid signing CA certificate or key: ${(error as Error).message}`,
    );
  }
  if (!(await root.certificate.isSelfSigned())) {
    throw new InvalidRootRotationError(
      'the signing CA certificate must be a self-signed root (its issuer is another CA)',
    );
  }
  const now = opts.now.getTime();
  if (now < root.notBefore.getTime()) {
    throw new InvalidRootRotationError(
      `the signing CA certificate is not valid before ${root.notBefore.toISOString()}`,
    );
  }
  if (root.notAfter.getTime() < now + opts.minValidityMs) {
    throw new InvalidRootRotationError(
      `the signing CA certificate expires at ${root.notAfter.toISOString()}, before node certificates issued now would: give a root valid for longer`,
    );
  }
  return root;
}

function sameCertificate(a: string, b: string): boolean {
  try {
    return splitPemCertificates(a).join('') === splitPemCertificates(b).join('');
  } catch (error) {
    throw new InvalidRootRotationError(
      `invalid signing CA certificate: ${(error as Error).message}`,
    );
  }
}
