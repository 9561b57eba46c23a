import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { type NodeIdentity, parseNodeCertificate } from './certificate.ts';
import { CA_COMMON_NAME, MANAGER_OU, type NodeRole, WORKER_OU } from './constants.ts';
import { InvalidCertificateError, PeerIdentityError } from './errors.ts';

/** A node's TLS material: the trusted root bundle, its certificate chain and its key. */
export interface TlsMaterial {
  rootBundlePem: string;
  /** The node certificate, followed by any intermediates (during a root rotation). */
  certPem: string;
  /** The node's private key (PKCS#8 PEM). */
  keyPem: string;
}

export interface ClientCredentialsOptions {
  /** Role the server's certificate must carry; default 'manager'. 'any' accepts both. */
  expectedRole?: NodeRole | 'any';
  /** Cluster ID the server's certificate must carry (its O). */
  expectedClusterId?: string;
  /** Node ID the server's certificate must carry (its CN). */
  expectedNodeId?: string;
}

/**
 * Channel credentials for mutual TLS to another node: trusts only `rootBundlePem`,
 * presents `certPem`/`keyPem`. Peers are dialled by address, so instead of matching the
 * host name the server is identified by its certificate: the role in its OU (default
 * manager), and optionally its cluster and node IDs. Node's TLS floor is TLS 1.2.
 */
export function createClientCredentials(
  material: TlsMaterial | LiveTlsMaterial,
  opts: ClientCredentialsOptions = {},
): grpc.ChannelCredentials {
  const checkServerIdentity = serverIdentityCheck(opts);
  if (material instanceof LiveTlsMaterial) {
    // Each new connection takes the material current at the time (renewal, root rotation).
    return grpc.experimental.createCertificateProviderChannelCredentials(material, material, {
      checkServerIdentity,
    });
  }
  return grpc.credentials.createSsl(
    Buffer.from(material.rootBundlePem),
    Buffer.from(material.keyPem),
    Buffer.from(material.certPem),
    { checkServerIdentity },
  );
}

/**
 * A node's TLS material that changes at run time (a renewed certificate, a rotated root):
 * channels made from it with createClientCredentials use what is current when they connect,
 * so long-lived clients (the Raft transport) follow a renewal without being rebuilt.
 */
export class LiveTlsMaterial implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly identityListeners =
    new Set<grpc.experimental.IdentityCertificateUpdateListener>();

  constructor(private material: TlsMaterial) {}

  get current(): TlsMaterial {
    return this.material;
  }

  update(material: TlsMaterial): void {
    this.material = material;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  // grpc-js wants the first update after it registered: deliver it on the next microtask.
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(
    listener: grpc.experimental.IdentityCertificateUpdateListener,
  ): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(
    listener: grpc.experimental.IdentityCertificateUpdateListener,
  ): void {
    this.identityListeners.delete(listener);
  }

  private caUpdate() {
    return { caCertificate: Buffer.from(this.material.rootBundlePem) };
  }

  private identityUpdate() {
    return {
      certificate: Buffer.from(this.material.certPem),
      privateKey: Buffer.from(this.material.keyPem),
    };
  }
}

/** Node calls it only after the chain verified against the trusted roots. */
function serverIdentityCheck(
  opts: ClientCredentialsOptions,
): (host: string, cert: PeerCertificate) => Error | undefined {
  const expectedRole = opts.expectedRole ?? 'manager';
  return (_host, cert) => {
    let id: NodeIdentity;
    try {
      id = peerIdentity(cert);
    } catch (err) {
      return err as Error;
    }
    if (expectedRole !== 'any' && id.role !== expectedRole) {
      return new PeerIdentityError(
        `server ${id.nodeId} is a ${id.role}, expected a ${expectedRole}`,
      );
    }
    if (opts.expectedClusterId !== undefined && id.clusterId !== opts.expectedClusterId) {
      return new PeerIdentityError(
        `server ${id.nodeId} belongs to cluster ${id.clusterId}, expected ${opts.expectedClusterId}`,
      );
    }
    if (opts.expectedNodeId !== undefined && id.nodeId !== opts.expectedNodeId) {
      return new PeerIdentityError(`server is node ${id.nodeId}, expected ${opts.expectedNodeId}`);
    }
    return undefined;
  };
}

/**
 * Channel options to use with createClientCredentials: the TLS server name (SNI) is the
 * role name swarm managers carry as a SAN, instead of the dialled IP address (which Node
 * warns about as SNI). The identity check itself is createClientCredentials'.
 */
export function clientChannelOptions(role: NodeRole | 'ca' = 'manager'): grpc.ChannelOptions {
  const name = role === 'manager' ? MANAGER_OU : role === 'worker' ? WORKER_OU : CA_COMMON_NAME;
  return { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name };
}

/**
 * Server credentials for mutual TLS: presents `certPem`/`keyPem`, and requires and
 * verifies a client certificate chaining to `rootBundlePem` (a client without one, or
 * with one from another CA, fails the handshake). Authorize each call with callerIdentity.
 */
export function createServerCredentials(material: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    Buffer.from(material.rootBundlePem),
    [{ cert_chain: Buffer.from(material.certPem), private_key: Buffer.from(material.keyPem) }],
    true,
  );
}

/**
 * The node identity (CN, O, OU) in a peer certificate: PEM, DER, or the PeerCertificate
 * Node's TLS (and grpc-js's auth context) exposes. Throws PeerIdentityError if it is not
 * a node certificate. Does not verify the chain: use it on certificates TLS verified.
 */
export function peerIdentity(cert: string | Uint8Array | PeerCertificate): NodeIdentity {
  let source: string | Uint8Array;
  if (typeof cert === 'string' || cert instanceof Uint8Array) source = cert;
  else if (cert && cert.raw instanceof Uint8Array && cert.raw.length > 0) source = cert.raw;
  else throw new PeerIdentityError('the peer presented no certificate');
  try {
    const { nodeId, clusterId, role } = parseNodeCertificate(source);
    return { nodeId, clusterId, role };
  } catch (err) {
    if (err instanceof InvalidCertificateError) throw new PeerIdentityError(err.message);
    throw err;
  }
}

/** The shape of a grpc-js server call that matters here (all ServerSurfaceCall kinds). */
export interface CallWithAuthContext {
  getAuthContext?: () => {
    transportSecurityType?: string;
    sslPeerCertificate?: PeerCertificate;
  } | null;
}

/**
 * The caller's identity, read from the client certificate TLS verified. grpc-js (>= 1.12)
 * exposes it as `call.getAuthContext().sslPeerCertificate` — only when the socket is TLS
 * and `authorized`; `call.getPeer()` gives just the address. Throws PeerIdentityError when
 * there is no verified certificate (plaintext server, or an older grpc-js).
 */
export function callerIdentity(call: CallWithAuthContext): NodeIdentity {
  if (typeof call.getAuthContext !== 'function') {
    throw new PeerIdentityError('this grpc-js has no call.getAuthContext() (needs >= 1.12)');
  }
  const ctx = call.getAuthContext();
  if (ctx?.transportSecurityType !== 'ssl' || !ctx.sslPeerCertificate) {
    throw new PeerIdentityError('the call carries no verified TLS client certificate');
  }
  return peerIdentity(ctx.sslPeerCertificate);
}

/**
 * The DER of the client certificate TLS verified for this call (the leaf only). Throws
 * PeerIdentityError when there is none; see callerIdentity.
 */
export function callerCertificate(call: CallWithAuthContext): Uint8Array {
  const ctx = typeof call.getAuthContext === 'function' ? call.getAuthContext() : null;
  const raw = ctx?.transportSecurityType === 'ssl' ? ctx.sslPeerCertificate?.raw : undefined;
  if (!(raw instanceof Uint8Array) || raw.length === 0) {
    throw new PeerIdentityError('the call carries no verified TLS client certificate');
  }
  return new Uint8Array(raw);
}
