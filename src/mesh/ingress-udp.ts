// A published UDP port on this node. Datagrams from one client address and port form a flow,
// pinned to one task (local: a socket of its own towards the task; remote: one tunnel stream,
// a datagram per frame) until it is idle for FLOW_IDLE_MS. Answers go back to the client
// from the published port.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { WireMeshFrame } from './bridge.ts';
import type { IngressRouter } from './ingress-tcp.ts';
import { proxyHeaderV2 } from './proxy-protocol.ts';

export const FLOW_IDLE_MS = 30_000;
/** Flows per published port at most (the least recently used is dropped beyond). */
export const MAX_FLOWS = 4_096;
/** Datagrams queued while a flow's tunnel opens. */
const MAX_QUEUED = 64;

interface Flow {
  send(datagram: Buffer): void;
  close(): void;
  timer: NodeJS.Timeout;
}

export class UdpIngress {
  private readonly socket: Socket;
  private readonly flows = new Map<string, Flow>();

  constructor(
    readonly host: string,
    readonly published: number,
    private readonly router: IngressRouter,
  ) {
    this.socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.socket.on('message', (message, client) => this.received(message, client));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      this.socket.once('error', failed);
      this.socket.bind({ address: this.host, port: this.published }, () => {
        this.socket.removeListener('error', failed);
        this.socket.on('error', (error) =>
          this.router.log(`mesh: udp ${this.published}: ${error}`),
        );
        resolve();
      });
    });
  }

  close(): void {
    for (const flow of this.flows.values()) flow.close();
    this.flows.clear();
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }

  private received(message: Buffer, client: RemoteInfo): void {
    const key = `${client.address}:${client.port}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      const made = this.open(client, key);
      if (made === null) return;
      flow = made;
      this.flows.set(key, flow);
      while (this.flows.size > MAX_FLOWS) {
        const [oldest, old] = this.flows.entries().next().value as [string, Flow];
        old.close();
        this.flows.delete(oldest);
      }
    } else {
      // Most recently used last.
      this.flows.delete(key);
      this.flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.send(message);
  }

  private answer(datagram: Uint8Array, client: RemoteInfo): void {
    this.socket.send(datagram, client.port, client.address);
  }

  private open(client: RemoteInfo, key: string): Flow | null {
    const route = this.router.route('udp', this.published);
    if (route === null) return null;
    const backend = this.router.pick(route.service, this.published, new Set());
    if (backend === undefined) return null;
    const header = route.port.proxyProtocol
      ? proxyHeaderV2({
          protocol: 'udp',
          sourceAddress: client.address,
          sourcePort: client.port,
          destinationAddress: this.socket.address().address,
          destinationPort: this.published,
        })
      : null;
    const framed = (datagram: Buffer) => (header ? Buffer.concat([header, datagram]) : datagram);
    const queue: Buffer[] = [];
    let deliver: ((datagram: Buffer) => void) | null = null;
    let closeUpstream: () => void = () => {};
    const flow: Flow = {
      send: (datagram) => {
        if (deliver) deliver(framed(datagram));
        else if (queue.length < MAX_QUEUED) queue.push(framed(datagram));
      },
      close: () => {
        clearTimeout(flow.timer);
        closeUpstream();
      },
      timer: setTimeout(() => {
        this.flows.delete(key);
        flow.close();
      }, FLOW_IDLE_MS),
    };
    const ready = (send: (datagram: Buffer) => void, close: () => void) => {
      deliver = send;
      closeUpstream = close;
      for (const datagram of queue.splice(0)) send(datagram);
    };
    const drop = () => {
      if (this.flows.get(key) === flow) this.flows.delete(key);
      clearTimeout(flow.timer);
    };
    this.router.connectUdp(backend, route.port).then(
      (upstream) => {
        if (upstream.kind === 'local') {
          const { socket, endpoint } = upstream;
          socket.on('message', (answer) => this.answer(answer, client));
          ready(
            (datagram) => socket.send(datagram, endpoint.port, endpoint.host),
            () => socket.close(),
          );
          return;
        }
        const call = upstream.call;
        call.on('data', (frame: WireMeshFrame) => this.answer(frame.data, client));
        call.on('error', drop);
        call.on('end', drop);
        call.resume();
        ready(
          (datagram) => call.write({ data: datagram }),
          () => call.cancel(),
        );
      },
      (error: Error) => {
        drop();
        this.router.log(`mesh: udp ${this.published}: ${error.message}`);
      },
    );
    return flow;
  }
}
