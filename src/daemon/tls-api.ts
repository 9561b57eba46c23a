// The API on TCP with TLS (`shoal daemon --tls-listen 0.0.0.0:2376`), for `docker --tlsverify`
// and other remote clients. Only clients with a certificate are served, as dockerd with
// --tlsverify: without one the TLS handshake fails. Which certificates count:
// - by default those of the cluster's CA with OU=swarm-client (`shoal ca issue-client`); node
//   certificates come from the same CA but are refused (403), so a worker cannot drive the
//   cluster through a manager's API;
// - with `--tls-ca FILE`, any certificate that CA signed (dockerd's --tlscacert).
// The server certificate is `--tls-cert`/`--tls-key` when given, else one this manager signs
// with the cluster CA for its addresses; a node that is not a manager then waits to become one.
// The listener follows the cluster object: after a root CA rotation (`swarm ca --rotate`) it
// trusts the new root and serves a certificate the new root signed, for new connections.
import { readFileSync } from 'node:fs';
import { hostname as machineHostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import type { ApiServer, PeerCheck, TcpListener } from '../api/index.ts';
import { type ClusterState, clusterObject } from '../manager/index.ts';
import type { Cluster } from '../store/index.ts';
import { CLIENT_OU, type ClusterCa, issueServerCertificate } from './api-certificates.ts';

export interface TlsApiOptions {
  /** host:port to listen on. */
  listen: string;
  /** PEM file of the CA whose client certificates are accepted (default: the cluster's). */
  caFile?: string;
  /** PEM files of the server certificate and key (default: issued from the cluster CA). */
  certFile?: string;
  keyFile?: string;
  /** Names and addresses the issued server certificate is valid for, besides the defaults. */
  hosts: string[];
  log: (line: string) => void;
}

/** Splits `host:port` (`[v6]:port` too); throws a message naming the flag when malformed. */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) {
    throw new Error(
      `invalid --tls-listen address ${JSON.stringify(address)}: use host:port, e.g. 0.0.0.0:2376`,
    );
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

/** Refuses certificates that are not API client certificates of cluster `clusterId`. */
export function clientCertificateCheck(clusterId: () => string | undefined): PeerCheck {
  return (socket: TLSSocket) => {
    const subject = socket.getPeerCertificate()?.subject;
    const ou = subject?.OU;
    if (ou !== CLIENT_OU) {
      return `this certificate (OU=${String(ou)}) is not an API client certificate: get one with "shoal ca issue-client" on a manager`;
    }
    const expected = clusterId();
    if (expected !== undefined && subject?.O !== expected) {
      return `this client certificate belongs to another cluster (${String(subject?.O)})`;
    }
    return undefined;
  };
}

/** What the listener's TLS is made from, as the cluster object holds it. */
export interface ClusterTrust {
  clusterId: string;
  /** The root that signs the server certificate (and client certificates outside a rotation). */
  signing: ClusterCa;
  /** Client certificates accepted: the trust root, and during a rotation the new root too. */
  clientCaPem: string;
}

/**
 * The trust the listener follows: the cluster's trust root signs its server certificate; client
 * certificates from it, or from the new root of a rotation under way (`shoal ca issue-client`
 * signs with that one then), are accepted. When the rotation ends the new root alone remains.
 */
export function clusterTrust(cluster: Cluster): ClusterTrust {
  const rotation = cluster.Internal.rootRotation;
  const trustRoot = cluster.TLSInfo.TrustRoot;
  return {
    clusterId: cluster.ID,
    signing: { clusterId: cluster.ID, certPem: trustRoot, keyPem: cluster.Internal.rootCaKeyPem },
    clientCaPem:
      rotation === undefined ? trustRoot : `${trustRoot.trimEnd()}\n${rotation.caCertPem.trim()}\n`,
  };
}

interface Material {
  cert: string;
  key: string;
  ca: string;
}

export class TlsApiListener {
  private listener: TcpListener | undefined;
  /** The TLS in effect, and the signing root its server certificate came from. */
  private current: (Material & { signedBy: string | undefined }) | undefined;
  private clusterId: string | undefined;
  private detach: (() => void) | undefined;
  /** The trust to apply next; one application runs at a time. */
  private wanted: ClusterTrust | undefined;
  private applying: Promise<void> | undefined;

  constructor(
    private readonly api: ApiServer,
    private readonly options: TlsApiOptions,
  ) {
    parseListenAddress(options.listen);
    if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
      throw new Error('--tls-cert and --tls-key go together: give both, or neither');
    }
  }

  /** Listens now when the operator gave every file; otherwise once this node is a manager. */
  async start(): Promise<void> {
    const { certFile, keyFile, caFile } = this.options;
    if (certFile !== undefined && keyFile !== undefined && caFile !== undefined) {
      await this.listen(
        {
          cert: readPem(certFile, '--tls-cert file'),
          key: readPem(keyFile, '--tls-key file'),
          ca: readPem(caFile, '--tls-ca file'),
        },
        undefined,
      );
      return;
    }
    this.options.log(
      `TLS API: ${this.options.listen} opens once this node is a swarm manager (or give --tls-cert, --tls-key and --tls-ca)`,
    );
  }

  /**
   * The manager's replicated state (null: its manager parts stopped). While it is a manager, the
   * listener follows the cluster object: it opens with the cluster's trust, and after a root
   * CA rotation trusts the new root and serves a certificate the new root signed.
   */
  onManagerState(state: ClusterState | null): void {
    this.detach?.();
    this.detach = undefined;
    if (state === null || this.followsNothing()) return;
    const check = () => {
      const cluster = clusterObject(state.store);
      if (cluster === undefined) return;
      this.wanted = clusterTrust(cluster);
      this.applying ??= this.applyWanted().finally(() => {
        this.applying = undefined;
      });
    };
    const watcher = state.store.watch({ table: 'cluster', onEvent: check });
    this.detach = () => watcher.close();
    check();
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
  }

  /** Resolves when the last trust seen has been applied (for tests). */
  async settled(): Promise<void> {
    while (this.applying !== undefined) await this.applying;
  }

  /** True when the operator's files fix everything the cluster could change. */
  private followsNothing(): boolean {
    const { certFile, caFile } = this.options;
    return certFile !== undefined && caFile !== undefined && this.listener !== undefined;
  }

  private async applyWanted(): Promise<void> {
    for (let trust = this.wanted; trust !== undefined; trust = this.wanted) {
      this.wanted = undefined;
      try {
        await this.apply(trust);
      } catch (error) {
        this.options.log(`TLS API: ${(error as Error).message}`);
      }
    }
  }

  private async apply(trust: ClusterTrust): Promise<void> {
    const { certFile, keyFile, caFile } = this.options;
    this.clusterId = trust.clusterId;
    const ca = caFile !== undefined ? readPem(caFile, '--tls-ca file') : trust.clientCaPem;
    let server: { cert: string; key: string; signedBy: string | undefined };
    if (certFile !== undefined && keyFile !== undefined) {
      server = {
        cert: readPem(certFile, '--tls-cert file'),
        key: readPem(keyFile, '--tls-key file'),
        signedBy: undefined,
      };
    } else if (this.current !== undefined && this.current.signedBy === trust.signing.certPem) {
      server = this.current;
    } else {
      const issued = await issueServerCertificate({
        ca: trust.signing,
        commonName: this.options.hosts[0] ?? machineHostname(),
        hosts: this.serverHosts(),
      });
      server = { cert: issued.certPem, key: issued.keyPem, signedBy: trust.signing.certPem };
    }
    const material = { cert: server.cert, key: server.key, ca };
    if (this.listener === undefined) {
      await this.listen(
        material,
        caFile === undefined ? clientCertificateCheck(() => this.clusterId) : undefined,
      );
    } else if (
      this.current === undefined ||
      this.current.cert !== material.cert ||
      this.current.ca !== material.ca
    ) {
      this.listener.updateTls(material);
      this.options.log(
        server.signedBy !== this.current?.signedBy
          ? 'TLS API: the cluster root CA changed: serving a certificate from the new root; client certificates from the old root are no longer accepted (get new ones with "shoal ca issue-client")'
          : "TLS API: the client certificates accepted follow the cluster's root CA rotation",
      );
    }
    this.current = { ...material, signedBy: server.signedBy };
  }

  private serverHosts(): string[] {
    const { host } = parseListenAddress(this.options.listen);
    const hosts = ['localhost', '127.0.0.1', '::1', machineHostname(), ...this.options.hosts];
    if (host !== '0.0.0.0' && host !== '::') hosts.push(host);
    return hosts;
  }

  private async listen(material: Material, checkPeer: PeerCheck | undefined): Promise<void> {
    const { host, port } = parseListenAddress(this.options.listen);
    this.listener = await this.api.listenTcp(
      host,
      port,
      { ...material, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      checkPeer,
    );
    this.current = { ...material, signedBy: undefined };
    const address = this.listener.address;
    this.options.log(`API listening on tcp://${address.address}:${address.port} (TLS)`);
  }
}
