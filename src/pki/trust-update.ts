// A node's side of a root rotation, decided from what the CA says (its status poll) and what
// the node holds: first a certificate from the desired issuer, then the new trust root. Pure.
import { verifyCertificateChain } from './certificate.ts';
import { isIssuedBy } from './issuer.ts';
import type { TlsMaterial } from './tls.ts';

/** The CA's answer to a node's status poll. */
export interface CaStatus {
  /** The cluster's trust root (the old root until a rotation ends). */
  trustRootPem: string;
  /** The certificate that should have issued every node's certificate. */
  issuerCertPem: string;
  rotationInProgress: boolean;
}

export type TrustAction =
  | { kind: 'none' }
  /** The node's certificate is not from the desired issuer: renew it. */
  | { kind: 'renew' }
  /** Trust this root bundle instead (the node's certificate already chains to it). */
  | { kind: 'trust'; rootBundlePem: string };

/**
 * What a node should do next. It renews until its certificate comes from the desired issuer;
 * only then does it take a new trust root, and only one its own chain verifies against (so it
 * never trusts a root its peers' view of it would not match). The status arrived over TLS the
 * node verified against its current trust root, which is what makes the new root trustworthy.
 */
export function nextTrustAction(local: TlsMaterial, status: CaStatus, now: Date): TrustAction {
  if (!isIssuedBy(local.certPem, status.issuerCertPem)) return { kind: 'renew' };
  if (local.rootBundlePem === status.trustRootPem) return { kind: 'none' };
  try {
    verifyCertificateChain({ chainPem: local.certPem, rootBundlePem: status.trustRootPem, now });
  } catch {
    // A certificate from the right key whose chain the new root does not cover: get one that is.
    return { kind: 'renew' };
  }
  return { kind: 'trust', rootBundlePem: status.trustRootPem };
}
