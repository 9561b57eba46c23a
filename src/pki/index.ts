export { type CreateRootCaOptions, type IssueNodeCertificateOptions, RootCa } from './ca.ts';
export {
  type NodeCertificateInfo,
  type NodeIdentity,
  needsRenewal,
  parseCertificate,
  parseNodeCertificate,
  renewalTime,
  type VerifiedChain,
  type VerifyChainOptions,
  verifyCertificateChain,
  verifyNodeCertificate,
} from './certificate.ts';
export {
  applyCaRequest,
  type ClusterCaFields,
  caStateOf,
  clusterTlsInfo,
  rotationRequestOf,
  type TlsInfoFields,
} from './cluster-ca.ts';
export {
  CA_COMMON_NAME,
  CERT_BACKDATE_MS,
  DEFAULT_NODE_CERT_EXPIRY_MS,
  MANAGER_OU,
  MIN_NODE_CERT_EXPIRY_MS,
  type NodeRole,
  ROOT_CA_EXPIRY_MS,
  WORKER_OU,
} from './constants.ts';
export {
  createCsr,
  generateNodeKeyAndCsr,
  type NodeKeyAndCsr,
  type VerifiedCsr,
  verifyCsr,
} from './csr.ts';
export {
  CaMismatchError,
  CertificateExpiryTooShortError,
  CertificateVerificationError,
  InvalidCertificateError,
  InvalidCsrError,
  InvalidJoinTokenError,
  InvalidRootRotationError,
  InvalidUnlockKeyError,
  NodeKeyLockedError,
  PeerIdentityError,
  PkiError,
} from './errors.ts';
export { type IssuerInfo, isIssuedBy, issuerInfoOf } from './issuer.ts';
export { isNodeKeySealed, MAX_KEY_COPIES, openNodeKey, sealNodeKey } from './key-encryption.ts';
export { type CryptoKey, type CryptoKeyPair, importEcPrivateKeyPem } from './keys.ts';
export { splitPemCertificates } from './pem.ts';
export { defaultRandomBytes, type RandomBytes, type RandomFraction } from './random.ts';
export {
  buildTrustBundle,
  type CaState,
  completeRootRotation,
  decideRootRotation,
  desiredIssuerPem,
  finalTrustBundle,
  type RootRotation,
  type RootRotationDecision,
  type RootRotationRequest,
  type RotationMaterial,
  rotationTrustBundle,
  signingCaOf,
  startRootRotation,
} from './rotation.ts';
export {
  type CallWithAuthContext,
  type ClientCredentialsOptions,
  callerCertificate,
  callerIdentity,
  clientChannelOptions,
  createClientCredentials,
  createServerCredentials,
  LiveTlsMaterial,
  peerIdentity,
  type TlsMaterial,
} from './tls.ts';
export {
  generateJoinToken,
  JOIN_TOKEN_SECRET_BYTES,
  joinToken,
  type ParsedJoinToken,
  parseJoinToken,
  rootBundleDigest,
  tokensEqual,
  verifyRootBundle,
} from './token.ts';
export { type CaStatus, nextTrustAction, type TrustAction } from './trust-update.ts';
export {
  formatUnlockKey,
  generateUnlockKey,
  parseUnlockKey,
  UNLOCK_KEY_BYTES,
} from './unlock-key.ts';
