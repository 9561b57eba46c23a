// The calling end of the mesh tunnel: one gRPC channel (one mutual-TLS HTTP/2 connection) per
// peer node, one stream per proxied connection or UDP flow. `open` resolves once the peer
// connected the stream to its task, or rejects with the peer's reason (the caller then tries
// another task).
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, createClientCredentials, type TlsMaterial } from '../pki/index.ts';
import { clusterServiceDefinition } from '../rpc/protos.ts';
import type { FrameStream, WireMeshFrame } from './bridge.ts';
import type { MeshProtocol } from './table.ts';

/** How long a peer may take to connect a stream to its task. */
export const OPEN_TIMEOUT_MS = 3_000;
/** Peers with a channel open at most (least recently used beyond it are closed). */
const MAX_CHANNELS = 256;

export type MeshCall = grpc.ClientDuplexStream<Partial<WireMeshFrame>, WireMeshFrame>;

export interface TunnelTarget {
  node: string;
  addr: string;
  task: string;
  targetPort: number;
  protocol: MeshProtocol;
}

export class TunnelRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunnelRefusedError';
  }
}

export class TunnelClient {
  private readonly channels = new Map<string, grpc.Client>();
  private tls: TlsMaterial;

  constructor(
    tls: TlsMaterial,
    private readonly clusterId: string,
  ) {
    this.tls = tls;
  }

  /** New certificates: later streams use channels made with them. */
  updateTls(tls: TlsMaterial): void {
    this.tls = tls;
    this.closeAll();
  }

  /** Drops channels to peers no longer in `keep` (node@addr keys). */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, client] of this.channels) {
      if (keep.has(key)) continue;
      client.close();
      this.channels.delete(key);
    }
  }

  closeAll(): void {
    for (const client of this.channels.values()) client.close();
    this.channels.clear();
  }

  /** A stream to the target's task, paused, once the peer accepted it. */
  open(target: TunnelTarget): Promise<MeshCall & FrameStream> {
    const client = this.channel(target.node, target.addr);
    const method = clusterServiceDefinition('Mesh').Connect as grpc.MethodDefinition<
      Partial<WireMeshFrame>,
      WireMeshFrame
    >;
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new grpc.Metadata(),
      { deadline: Infinity },
    ) as MeshCall & FrameStream;
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        call.removeListener('data', first);
        call.removeListener('error', fail);
        call.removeListener('end', ended);
        call.on('error', () => {}); // the cancellation below reports here
        call.cancel();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`node ${target.node} did not answer within ${OPEN_TIMEOUT_MS} ms`)),
        OPEN_TIMEOUT_MS,
      );
      const ended = () => fail(new TunnelRefusedError(`node ${target.node} ended the stream`));
      const first = (frame: WireMeshFrame) => {
        if (!frame.accepted) {
          fail(new TunnelRefusedError(frame.error || `node ${target.node} refused the stream`));
          return;
        }
        clearTimeout(timer);
        call.pause();
        call.removeListener('data', first);
        call.removeListener('error', fail);
        call.removeListener('end', ended);
        resolve(call);
      };
      call.on('data', first);
      call.on('error', fail);
      call.on('end', ended);
      call.write({
        taskId: target.task,
        targetPort: target.targetPort,
        protocol: target.protocol,
      });
    });
  }

  private channel(node: string, addr: string): grpc.Client {
    const key = `${node}@${addr}`;
    let client = this.channels.get(key);
    if (client !== undefined) {
      // Most recently used last.
      this.channels.delete(key);
      this.channels.set(key, client);
      return client;
    }
    const credentials = createClientCredentials(this.tls, {
      expectedRole: 'any',
      expectedClusterId: this.clusterId,
      expectedNodeId: node,
    });
    client = new grpc.Client(addr, credentials, {
      ...clientChannelOptions('worker'),
      'grpc.enable_http_proxy': 0,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_reconnect_backoff_ms': 2_000,
    });
    this.channels.set(key, client);
    while (this.channels.size > MAX_CHANNELS) {
      const [oldest, old] = this.channels.entries().next().value as [string, grpc.Client];
      old.close();
      this.channels.delete(oldest);
    }
    return client;
  }
}
