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
  InvalidUnlockKeyError,
  PeerIdentityError,
  PkiError,
} from './errors.ts';
export { type CryptoKey, type CryptoKeyPair, importEcPrivateKeyPem } from './keys.ts';
export { splitPemCertificates } from './pem.ts';
export { defaultRandomBytes, type RandomBytes, type RandomFraction } from './random.ts';
export {
  buildTrustBundle,
  completeRootRotation,
  finalTrustBundle,
  type RootRotation,
  rotationTrustBundle,
  startRootRotation,
} from './rotation.ts';
export {
  type CallWithAuthContext,
  type ClientCredentialsOptions,
  callerIdentity,
  clientChannelOptions,
  createClientCredentials,
  createServerCredentials,
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
export {
  formatUnlockKey,
  generateUnlockKey,
  parseUnlockKey,
  UNLOCK_KEY_BYTES,
} from './unlock-key.ts';
