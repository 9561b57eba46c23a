// The embedded DNS server a node runs on each of its service networks' bridges (at the
// bridge's gateway address, port 53, UDP and TCP): names of the cluster answer from the mesh's
// records (a service name or alias: its virtual IP, or its tasks in dnsrr mode; `tasks.NAME`:
// its tasks), every other name is forwarded to the node's own resolvers, as Docker's embedded
// DNS does. Bounded: queries in flight, message sizes, forward timeouts.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, isIPv4, type Server, type Socket } from 'node:net';
import * as packet from 'dns-packet';

/** TTL of cluster answers, in seconds (Docker's embedded DNS uses 600). */
export const CLUSTER_TTL = 600;
const FORWARD_TIMEOUT_MS = 2_000;
const MAX_IN_FLIGHT = 1_024;
const MAX_TCP_MESSAGE = 65_535;

/** The addresses a cluster name resolves to, or null when the name is not the cluster's. */
export type ClusterLookup = (name: string) => string[] | null;

export interface DnsServerOptions {
  host: string;
  port?: number;
  lookup: ClusterLookup;
  /** Resolvers (`ip` or `ip:port`) unknown names go to (default: /etc/resolv.conf's). */
  upstream?: string[];
  log: (line: string) => void;
}

/** The nameservers of a resolv.conf text (IPv4 ones; loopback kept, it may be a stub). */
export function nameserversOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((ip): ip is string => ip !== undefined && isIPv4(ip));
}

function systemNameservers(): string[] {
  try {
    return nameserversOf(readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    return [];
  }
}

/** Builds the answer to `query` from cluster records, or null to forward it. */
export function answerFromCluster(query: packet.Packet, lookup: ClusterLookup): Buffer | null {
  const question = query.questions?.[0];
  if (question === undefined || (query.questions?.length ?? 0) !== 1) return null;
  const name = question.name.replace(/\.$/, '').toLowerCase();
  const addresses = lookup(name);
  if (addresses === null) return null;
  const answers: packet.Answer[] =
    question.type === 'A' || (question.type as string) === 'ANY'
      ? addresses.map((data) => ({
          type: 'A' as const,
          name: question.name,
          class: 'IN' as const,
          ttl: CLUSTER_TTL,
          data,
        }))
      : [];
  return packet.encode({
    id: query.id ?? 0,
    type: 'response',
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | packet.AUTHORITATIVE_ANSWER,
    questions: query.questions ?? [],
    answers,
  });
}

export class DnsServer {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly upstream: string[];
  private inFlight = 0;
  private readonly connections = new Set<Socket>();

  constructor(private readonly options: DnsServerOptions) {
    this.upstream = options.upstream ?? systemNameservers();
  }

  async start(): Promise<void> {
    const { host } = this.options;
    const port = this.options.port ?? 53;
    const udp = createSocket({ type: 'udp4' });
    udp.on('message', (message, client) => void this.onUdp(message, client));
    udp.on('error', (error) => this.options.log(`dns ${host}: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: host, port }, () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    this.udp = udp;
    const tcp = createServer((socket) => this.onTcp(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host, port: (udp.address() as { port: number }).port }, () => {
        tcp.removeListener('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
  }

  /** The UDP (and TCP) port it answers on. */
  get port(): number {
    return (this.udp?.address() as { port: number } | undefined)?.port ?? 0;
  }

  stop(): void {
    try {
      this.udp?.close();
    } catch {
      // Already closed.
    }
    this.tcp?.close();
    for (const socket of this.connections) socket.destroy();
    this.udp = null;
    this.tcp = null;
  }

  /** The answer to one query message, or null when it gets none (malformed, over capacity). */
  async answer(message: Buffer): Promise<Buffer | null> {
    let query: packet.Packet;
    try {
      query = packet.decode(message);
    } catch {
      return null;
    }
    if (query.type !== 'query') return null;
    const local = answerFromCluster(query, this.options.lookup);
    if (local !== null) return local;
    if (this.inFlight >= MAX_IN_FLIGHT) return null;
    this.inFlight++;
    try {
      return (await this.forward(message)) ?? servfail(query);
    } finally {
      this.inFlight--;
    }
  }

  private async onUdp(message: Buffer, client: RemoteInfo): Promise<void> {
    const answer = await this.answer(message);
    if (answer !== null) this.udp?.send(answer, client.port, client.address);
  }

  private onTcp(socket: Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length > MAX_TCP_MESSAGE) return void socket.destroy();
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        void this.answer(Buffer.from(message)).then((answer) => {
          if (answer === null || socket.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(answer.length);
          socket.write(Buffer.concat([head, answer]));
        });
      }
    });
  }

  /** Asks the node's resolvers in turn over UDP; null when none answered in time. */
  private async forward(message: Buffer): Promise<Buffer | null> {
    for (const server of this.upstream) {
      const answer = await new Promise<Buffer | null>((resolve) => {
        const socket = createSocket('udp4');
        const done = (value: Buffer | null) => {
          clearTimeout(timer);
          try {
            socket.close();
          } catch {
            // Already closed.
          }
          resolve(value);
        };
        const timer = setTimeout(() => done(null), FORWARD_TIMEOUT_MS);
        socket.on('message', (reply) => done(reply));
        socket.on('error', () => done(null));
        const [host, port] = server.includes(':') ? server.split(':') : [server, '53'];
        socket.send(message, Number(port), host);
      });
      if (answer !== null) return answer;
    }
    return null;
  }
}

function servfail(query: packet.Packet): Buffer {
  return packet.encode({
    id: query.id ?? 0,
    type: 'response',
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | 2, // rcode 2: SERVFAIL
    questions: query.questions ?? [],
  });
}
