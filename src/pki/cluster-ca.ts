// The CA fields of the cluster object, as src/pki sees them: typed structurally (the store's
// Cluster fits), so the API and the managers share one reading of them without src/pki
// depending on the store.
import { InvalidRootRotationError } from './errors.ts';
import { issuerInfoOf } from './issuer.ts';
import type { RandomBytes } from './random.ts';
import {
  type CaState,
  decideRootRotation,
  desiredIssuerPem,
  type RootRotationRequest,
  type RotationMaterial,
} from './rotation.ts';

/** Docker's TLSInfo: the trust root PEM, and the issuer's subject and public key (base64 DER). */
export interface TlsInfoFields {
  TrustRoot: string;
  CertIssuerSubject: string;
  CertIssuerPublicKey: string;
}

/** The part of the cluster object that holds its CA. */
export interface ClusterCaFields {
  TLSInfo: TlsInfoFields;
  RootRotationInProgress: boolean;
  Internal: { rootCaKeyPem: string; rootRotation?: RotationMaterial };
}

export function caStateOf(cluster: ClusterCaFields): CaState {
  return {
    rootCertPem: cluster.TLSInfo.TrustRoot,
    rootKeyPem: cluster.Internal.rootCaKeyPem,
    rotation: cluster.Internal.rootRotation ?? null,
  };
}

/** A cluster's TLSInfo: its trust root, and the issuer every node's certificate should have. */
export function clusterTlsInfo(trustRootPem: string, issuerPem: string): TlsInfoFields {
  const issuer = issuerInfoOf(issuerPem);
  return {
    TrustRoot: trustRootPem,
    CertIssuerSubject: issuer.subject,
    CertIssuerPublicKey: issuer.publicKey,
  };
}

/**
 * The cluster object after a CA update (`swarm ca --rotate`): a rotation started, replaced or
 * abandoned as `request` asks (see decideRootRotation), or the same object when it asks
 * nothing. Throws InvalidRootRotationError for a bad certificate or key.
 */
export async function applyCaRequest<T extends ClusterCaFields>(
  cluster: T,
  request: RootRotationRequest,
  opts: { now: Date; minValidityMs: number; randomBytes?: RandomBytes },
): Promise<T> {
  const decision = await decideRootRotation(caStateOf(cluster), request, opts);
  if (decision.kind === 'unchanged') return cluster;
  const internal = { ...cluster.Internal };
  if (decision.kind === 'abort') delete internal.rootRotation;
  else internal.rootRotation = decision.rotation;
  const trustRoot = cluster.TLSInfo.TrustRoot;
  const issuer = desiredIssuerPem({
    rootCertPem: trustRoot,
    rotation: internal.rootRotation ?? null,
  });
  return {
    ...cluster,
    Internal: internal,
    RootRotationInProgress: internal.rootRotation !== undefined,
    TLSInfo: { ...cluster.TLSInfo, ...clusterTlsInfo(trustRoot, issuer) },
  };
}

/**
 * The rotation a `POST /swarm/update` body asks for: its Spec.CAConfig.SigningCACert and
 * SigningCAKey (never stored), and ForceRotate moved from `forceRotateBefore`. Throws
 * InvalidRootRotationError when they are not strings.
 */
export function rotationRequestOf(
  body: unknown,
  forceRotateBefore: number | undefined,
  forceRotateAfter: number | undefined,
): RootRotationRequest {
  const caConfig =
    typeof body === 'object' && body !== null
      ? (body as { CAConfig?: { SigningCACert?: unknown; SigningCAKey?: unknown } }).CAConfig
      : undefined;
  const text = (value: unknown, name: string): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      throw new InvalidRootRotationError(
        `invalid swarm spec: CAConfig.${name} must be a PEM string`,
      );
    }
    return value;
  };
  const signingCertPem = text(caConfig?.SigningCACert, 'SigningCACert');
  const signingKeyPem = text(caConfig?.SigningCAKey, 'SigningCAKey');
  return {
    ...(signingCertPem !== undefined ? { signingCertPem } : {}),
    ...(signingKeyPem !== undefined ? { signingKeyPem } : {}),
    force: (forceRotateAfter ?? 0) !== (forceRotateBefore ?? 0),
  };
}
