// A published TCP port on this node: every connection goes to a task of the service, local or
// remote, picked round robin. A task that refuses (stopping, gone, draining on its node) costs
// nothing but a retry on the next one, since no byte went either way yet: during a rolling
// update a client sees no failure as long as one task is in rotation.
import type { Socket as DgramSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { bridge } from './bridge.ts';
import type { Endpoint } from './local-endpoints.ts';
import { proxyHeaderV2 } from './proxy-protocol.ts';
import { relaySockets } from './relay.ts';
import type { MeshBackend, MeshPort } from './table.ts';
import type { MeshCall } from './tunnel-client.ts';

/** Tasks tried for one connection at most. */
const MAX_TRIES = 5;
/** Connections one published port holds open at most; beyond, new ones are refused. */
export const MAX_CONNECTIONS_PER_PORT = 10_000;

export type Upstream = { kind: 'local'; socket: Socket } | { kind: 'remote'; call: MeshCall };
export type UdpUpstream =
  | { kind: 'local'; socket: DgramSocket; endpoint: Endpoint }
  | { kind: 'remote'; call: MeshCall };

/** What a published port needs of the node's mesh. */
export interface IngressRouter {
  /** The service and port now published here, if any. */
  route(protocol: 'tcp' | 'udp', published: number): { service: string; port: MeshPort } | null;
  pick(service: string, port: number, skip: ReadonlySet<string>): MeshBackend | undefined;
  /** A local task's socket comes connected and paused, with nothing read yet. */
  connect(backend: MeshBackend, port: MeshPort): Promise<Upstream>;
  connectUdp(backend: MeshBackend, port: MeshPort): Promise<UdpUpstream>;
  log(line: string): void;
}

export class TcpIngress {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly host: string,
    readonly published: number,
    private readonly router: IngressRouter,
  ) {
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket),
    );
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      this.server.once('error', failed);
      this.server.listen({ host: this.host, port: this.published }, () => {
        this.server.removeListener('error', failed);
        this.server.on('error', (error) =>
          this.router.log(`mesh: port ${this.published}: ${error}`),
        );
        resolve();
      });
    });
  }

  /** Stops listening and ends the connections still open. */
  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private accept(socket: Socket): void {
    if (this.sockets.size >= MAX_CONNECTIONS_PER_PORT) {
      socket.destroy();
      return;
    }
    this.hold(socket);
    socket.setNoDelay(true);
    void this.forward(socket);
  }

  private hold(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private async forward(socket: Socket): Promise<void> {
    const route = this.router.route('tcp', this.published);
    if (route === null) {
      socket.destroy();
      return;
    }
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_TRIES && !socket.destroyed; attempt++) {
      const backend = this.router.pick(route.service, this.published, tried);
      if (backend === undefined) break;
      tried.add(backend.task);
      let upstream: Upstream;
      try {
        upstream = await this.router.connect(backend, route.port);
      } catch {
        continue;
      }
      if (socket.destroyed) {
        if (upstream.kind === 'local') upstream.socket.destroy();
        else upstream.call.cancel();
        return;
      }
      this.join(socket, upstream, route.port);
      return;
    }
    // Nothing in rotation took it: reset, as a closed port would.
    socket.resetAndDestroy();
  }

  private join(socket: Socket, upstream: Upstream, port: MeshPort): void {
    let header: Buffer | null = null;
    if (port.proxyProtocol) {
      header = proxyHeaderV2({
        protocol: 'tcp',
        sourceAddress: socket.remoteAddress ?? '0.0.0.0',
        sourcePort: socket.remotePort ?? 0,
        destinationAddress: socket.localAddress ?? '0.0.0.0',
        destinationPort: socket.localPort ?? this.published,
      });
    }
    if (upstream.kind === 'local') {
      relaySockets(socket, upstream.socket, header, () => {});
      return;
    }
    const call = upstream.call;
    if (header) call.write({ data: header });
    bridge(
      socket,
      call,
      () => call.cancel(),
      () => {},
    );
  }
}
