// The cluster port (2377): one gRPC server over TLS carrying every node-to-node service.
// Client certificates are requested but optional, because a joining node has none yet; each
// service checks the caller's certificate itself (callerIdentity) except the CA's join calls,
// which a join token authorizes. The server's own certificate and trusted roots can change at
// run time (renewal, root rotation) without a restart.
import * as grpc from '@grpc/grpc-js';
import { experimental } from '@grpc/grpc-js';
import {
  callerIdentity,
  type NodeIdentity,
  PeerIdentityError,
  type TlsMaterial,
} from '../pki/index.ts';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** Hands grpc-js the current roots and identity, and pushes changes to it. */
class MutableCertificateProvider implements experimental.CertificateProvider {
  private caListeners = new Set<CaListener>();
  private identityListeners = new Set<IdentityListener>();

  constructor(private material: TlsMaterial) {}

  update(material: TlsMaterial): void {
    this.material = material;
    for (const listener of this.caListeners) listener(this.caUpdate());
    for (const listener of this.identityListeners) listener(this.identityUpdate());
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

  // grpc-js registers its watcher only after adding these listeners, so the first update is
  // delivered on the next microtask, once someone is there to receive it.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => this.caListeners.has(listener) && listener(this.caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => this.identityListeners.has(listener) && listener(this.identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

export class ClusterPort {
  readonly server: grpc.Server;
  private readonly provider: MutableCertificateProvider;
  port = 0;

  constructor(material: TlsMaterial) {
    this.provider = new MutableCertificateProvider(material);
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
      'grpc.max_send_message_length': 8 * 1024 * 1024,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
  }

  /** Binds host:port; resolves with the bound port (useful with port 0 in tests). */
  listen(address: string): Promise<number> {
    const credentials = experimental.createCertificateProviderServerCredentials(
      this.provider,
      this.provider,
      false,
    );
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (error, port) => {
        if (error) {
          reject(new Error(`cannot listen on ${address} (the cluster port): ${error.message}`));
          return;
        }
        this.port = port;
        resolve(port);
      });
    });
  }

  updateTls(material: TlsMaterial): void {
    this.provider.update(material);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

/**
 * The caller's verified identity, or why it may not call: no certificate, another cluster,
 * or a role that is not allowed.
 */
export function authorize(
  call: Parameters<typeof callerIdentity>[0],
  clusterId: string,
  roles: readonly ('manager' | 'worker')[],
): { identity: NodeIdentity } | { refusal: string } {
  let identity: NodeIdentity;
  try {
    identity = callerIdentity(call);
  } catch (error) {
    const reason = error instanceof PeerIdentityError ? error.message : String(error);
    return { refusal: `a node certificate of this cluster is required (${reason})` };
  }
  if (identity.clusterId !== clusterId) {
    return { refusal: `node ${identity.nodeId} belongs to another cluster` };
  }
  if (!roles.includes(identity.role)) {
    return { refusal: `permission denied: ${identity.role} nodes may not call this` };
  }
  return { identity };
}

export const PERMISSION_DENIED = grpc.status.PERMISSION_DENIED;
