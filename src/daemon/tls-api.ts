// The API on TCP with TLS (`shoal daemon --tls-listen 0.0.0.0:2376`), for `docker --tlsverify`
// and other remote clients. Only clients with a certificate are served, as dockerd with
// --tlsverify: without one the TLS handshake fails. Which certificates count:
// - by default those of the cluster's CA with OU=swarm-client (`shoal ca issue-client`); node
//   certificates come from the same CA but are refused (403), so a worker cannot drive the
//   cluster through a manager's API;
// - with `--tls-ca FILE`, any certificate that CA signed (dockerd's --tlscacert).
// The server certificate is `--tls-cert`/`--tls-key` when given, else one this manager signs
// with the cluster CA for its addresses; a node that is not a manager then waits to become one.
import { readFileSync } from 'node:fs';
import { hostname as machineHostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import type { ApiServer, PeerCheck } from '../api/index.ts';
import { type ClusterState, clusterObject } from '../manager/index.ts';
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

export class TlsApiListener {
  private listening = false;
  private issuing = false;
  private clusterId: string | undefined;
  private detach: (() => void) | undefined;

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
      await this.listen({
        cert: readPem(certFile, '--tls-cert file'),
        key: readPem(keyFile, '--tls-key file'),
        ca: readPem(caFile, '--tls-ca file'),
      });
      return;
    }
    this.options.log(
      `TLS API: ${this.options.listen} opens once this node is a swarm manager (or give --tls-cert, --tls-key and --tls-ca)`,
    );
  }

  /** The manager's replicated state (null: its manager parts stopped). */
  onManagerState(state: ClusterState | null): void {
    this.detach?.();
    this.detach = undefined;
    if (state === null || this.listening) return;
    const check = () => {
      const cluster = clusterObject(state.store);
      if (cluster === undefined || this.listening || this.issuing) return;
      this.issuing = true;
      const ca: ClusterCa = {
        clusterId: cluster.ID,
        certPem: cluster.TLSInfo.TrustRoot,
        keyPem: cluster.Internal.rootCaKeyPem,
      };
      void this.listenWithCluster(ca)
        .catch((error: unknown) => this.options.log(`TLS API: ${(error as Error).message}`))
        .finally(() => {
          this.issuing = false;
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

  private async listenWithCluster(ca: ClusterCa): Promise<void> {
    const { certFile, keyFile, caFile, listen } = this.options;
    this.clusterId = ca.clusterId;
    let server: { cert: string; key: string };
    if (certFile !== undefined && keyFile !== undefined) {
      server = {
        cert: readPem(certFile, '--tls-cert file'),
        key: readPem(keyFile, '--tls-key file'),
      };
    } else {
      const { host } = parseListenAddress(listen);
      const name = this.options.hosts[0] ?? machineHostname();
      const hosts = ['localhost', '127.0.0.1', '::1', machineHostname(), ...this.options.hosts];
      if (host !== '0.0.0.0' && host !== '::') hosts.push(host);
      const issued = await issueServerCertificate({ ca, commonName: name, hosts });
      server = { cert: issued.certPem, key: issued.keyPem };
    }
    const clientCa = caFile !== undefined ? readPem(caFile, '--tls-ca file') : ca.certPem;
    await this.listen(
      { ...server, ca: clientCa },
      caFile === undefined ? clientCertificateCheck(() => this.clusterId) : undefined,
    );
    this.detach?.();
    this.detach = undefined;
  }

  private async listen(
    material: { cert: string; key: string; ca: string },
    checkPeer?: PeerCheck,
  ): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    const { host, port } = parseListenAddress(this.options.listen);
    try {
      const address = await this.api.listenTcp(
        host,
        port,
        {
          ...material,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        checkPeer,
      );
      this.options.log(`API listening on tcp://${address.address}:${address.port} (TLS)`);
    } catch (error) {
      this.listening = false;
      throw error;
    }
  }
}
