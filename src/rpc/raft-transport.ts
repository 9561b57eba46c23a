// Node-to-node transport for Raft messages over gRPC (HTTP/2).
//
// Each node serves `shoal.raft.Raft/Send` and keeps one long-lived client stream to every peer.
// send() never blocks and never throws: messages are queued per peer and flushed on the next
// turn of the event loop, everything queued since the last flush going out as MessageBatch
// writes (each under maxMessageBytes). At most a few batches per stream wait for HTTP/2 flow
// control; beyond that, messages wait in the bounded queue. Raft tolerates loss, so the transport
// drops rather than waits: when a peer's queue is full, while its stream is down, and what was
// queued when a stream breaks. Broken streams are re-opened with bounded exponential backoff.
// Received messages' byte fields (entry data, context, chunk) are views of the received frame.
// A peer that moved is followed: with `identifyPeer`, the host an authenticated peer's own
// streams come from is dialled when its recorded address stops answering (peer-address.ts).
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../raft/types.ts';
import {
  addressAfterFailure,
  addressOnArrival,
  type PeerAddresses,
  remoteHost,
} from './peer-address.ts';
import { raftServiceDefinition } from './protos.ts';
import {
  encodedSizeBound,
  messageFromWire,
  messageToWire,
  type WireBatchIn,
  type WireBatchOut,
  type WireMessageIn,
} from './raft-codec.ts';

/** Metadata key naming the node at either end of a stream (request: sender, response: receiver). */
export const NODE_ID_METADATA = 'shoal-node-id';

export interface RaftTransportOptions {
  selfId: NodeId;
  /** Address to serve on, `host:port` (port 0 picks a free port; start() returns it). */
  listen: string;
  /** Called for every message received, in order per sender. Must not block. */
  onMessage: (m: Message) => void;
  /**
   * Called each time the stream to a peer fails (including a failed reconnect attempt); the
   * leader may mark the peer's progress as probing. See also unreachable().
   */
  onUnreachable?: (id: NodeId) => void;
  /** A callback threw, or a peer's address answered with another node's id. Default: log. */
  onError?: (err: Error) => void;
  /** Default: insecure. Pass mutual-TLS credentials here. */
  serverCredentials?: grpc.ServerCredentials;
  /** Default: insecure. Pass mutual-TLS credentials here. */
  channelCredentials?: grpc.ChannelCredentials;
  /** Extra gRPC channel options for the peer clients (e.g. grpc.ssl_target_name_override). */
  channelOptions?: grpc.ChannelOptions;
  /** Largest gRPC message sent or accepted; batches are split to fit. Default 8 MiB. */
  maxMessageBytes?: number;
  /** Messages waiting per peer beyond which new ones are dropped. Default 4096. */
  maxQueuedMessagesPerPeer?: number;
  /** Delay before re-opening a broken stream: doubles from initial up to max. Default 100/2000. */
  reconnectBackoffMs?: { initial?: number; max?: number };
  /** A stream not accepted within this time counts as failed. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * The Raft id an incoming stream's caller is proven to be (its TLS certificate names the
   * member); null when unproven. Given, a known peer's streams tell where it is now: when its
   * recorded address stops answering, the transport dials the host they come from (with the
   * recorded port). Without it, peers are dialled only where addPeer() says.
   */
  identifyPeer?: (call: grpc.ServerReadableStream<WireBatchOut, SendResponse>) => NodeId | null;
  /** A peer is dialled at an address learned from its streams (or back at the recorded one). */
  onPeerAddress?: (id: NodeId, address: string, why: string) => void;
}

export interface RaftTransportStats {
  /** Messages written to peer streams (not a delivery guarantee). */
  sent: number;
  /** Messages dropped: queue full, peer down or unknown, stream broke, larger than the limit. */
  dropped: number;
  /** Messages received and handed to onMessage. */
  received: number;
  batchesSent: number;
  batchesReceived: number;
  /** Received messages addressed to another node (dropped). */
  misdirected: number;
  /** Times a peer was dialled at another address than before, learned or recorded. */
  peerMoves: number;
}

const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_QUEUED = 4096;
const DEFAULT_BACKOFF_INITIAL_MS = 100;
const DEFAULT_BACKOFF_MAX_MS = 2000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** How long close() and removePeer() let streams end gracefully before cancelling them. */
const CLOSE_GRACE_MS = 1000;
/** Room for the MessageBatch field tag and length prefix of each message. */
const BATCH_MARGIN_BYTES = 64;
/**
 * Batches written to a stream but not yet taken by HTTP/2 flow control. Beyond it, messages wait
 * in the (bounded) queue: stale data is not piled up in buffers for a slow or stalled peer.
 */
const MAX_WRITES_IN_FLIGHT = 4;

export type SendResponse = Record<string, never>;

/** A FIFO queue with O(1) push and shift. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

type PeerState = 'connecting' | 'ready' | 'backoff' | 'closed';

class Peer {
  readonly queue = new Fifo<Message>();
  state: PeerState = 'connecting';
  call: grpc.ClientWritableStream<WireBatchIn> | null = null;
  /** Batches written to `call` whose write callback has not run yet. */
  writesInFlight = 0;
  /** The last stream attempt failed and none has been accepted since. */
  unreachable = false;
  timer: NodeJS.Timeout | null = null;
  /** Set while closing: called once the current call has ended. */
  onEnded: (() => void) | null = null;

  /** The address addPeer() gave (the store's); `address` may be one learned from the peer. */
  recorded: string;
  /** Host of the last authenticated stream this peer opened to this node. */
  observedHost: string | null = null;

  constructor(
    readonly id: NodeId,
    public address: string,
    public client: grpc.Client,
    public backoffMs: number,
  ) {
    this.recorded = address;
  }

  addresses(): PeerAddresses {
    return { recorded: this.recorded, dialled: this.address, observedHost: this.observedHost };
  }

  clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

export class RaftTransport {
  private readonly selfId: NodeId;
  private readonly listen: string;
  private readonly onMessage: (m: Message) => void;
  private readonly onUnreachable: ((id: NodeId) => void) | undefined;
  private readonly onError: (err: Error) => void;
  private readonly serverCredentials: grpc.ServerCredentials;
  private readonly channelCredentials: grpc.ChannelCredentials;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly maxMessageBytes: number;
  private readonly maxQueued: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly connectTimeoutMs: number;
  private readonly identifyPeer: RaftTransportOptions['identifyPeer'];
  private readonly onPeerAddress: RaftTransportOptions['onPeerAddress'];
  private readonly method: grpc.MethodDefinition<WireBatchIn, SendResponse>;

  private readonly peers = new Map<NodeId, Peer>();
  private readonly dirty = new Set<Peer>();
  private flushImmediate: NodeJS.Immediate | null = null;
  private server: grpc.Server | null = null;
  /** Ends one incoming stream; present while the stream is open. */
  private readonly incoming = new Set<() => void>();
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly counters: RaftTransportStats = {
    sent: 0,
    dropped: 0,
    received: 0,
    batchesSent: 0,
    batchesReceived: 0,
    misdirected: 0,
    peerMoves: 0,
  };

  constructor(opts: RaftTransportOptions) {
    this.selfId = opts.selfId;
    this.listen = opts.listen;
    this.onMessage = opts.onMessage;
    this.onUnreachable = opts.onUnreachable;
    this.onError = opts.onError ?? ((err) => console.error(`raft transport: ${err.message}`));
    this.serverCredentials = opts.serverCredentials ?? grpc.ServerCredentials.createInsecure();
    this.channelCredentials = opts.channelCredentials ?? grpc.credentials.createInsecure();
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxQueued = opts.maxQueuedMessagesPerPeer ?? DEFAULT_MAX_QUEUED;
    this.backoffInitialMs = opts.reconnectBackoffMs?.initial ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.backoffMaxMs = Math.max(
      this.backoffInitialMs,
      opts.reconnectBackoffMs?.max ?? DEFAULT_BACKOFF_MAX_MS,
    );
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.identifyPeer = opts.identifyPeer;
    this.onPeerAddress = opts.onPeerAddress;
    this.method = raftServiceDefinition().Send as grpc.MethodDefinition<WireBatchIn, SendResponse>;
    this.channelOptions = {
      ...this.commonOptions(),
      // The transport reconnects on its own schedule; keep gRPC's within the same bounds.
      'grpc.initial_reconnect_backoff_ms': this.backoffInitialMs,
      'grpc.max_reconnect_backoff_ms': this.backoffMaxMs,
      // Retries buffer (copy) every message of a stream; Raft resends on its own.
      'grpc.enable_retries': 0,
      // Node-to-node traffic never goes through an HTTP proxy from the environment.
      'grpc.enable_http_proxy': 0,
      // Channels of different transports in one process never share connections.
      'grpc.use_local_subchannel_pool': 1,
      ...opts.channelOptions,
    };
  }

  private commonOptions(): grpc.ChannelOptions {
    return {
      'grpc.max_send_message_length': this.maxMessageBytes,
      'grpc.max_receive_message_length': this.maxMessageBytes,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.enable_channelz': 0,
    };
  }

  /**
   * Adds the Raft service to a server someone else owns and binds (a daemon serves every
   * node-to-node service on its one cluster port); `authorize` may refuse a caller (e.g. one
   * without a manager certificate) by returning an error message. Use instead of start().
   */
  attach(
    server: grpc.Server,
    authorize?: (call: grpc.ServerReadableStream<WireBatchOut, SendResponse>) => string | null,
  ): void {
    server.addService(raftServiceDefinition(), {
      Send: (
        call: grpc.ServerReadableStream<WireBatchOut, SendResponse>,
        callback: grpc.sendUnaryData<SendResponse>,
      ) => {
        const refusal = authorize?.(call) ?? null;
        if (refusal !== null) {
          callback({ code: grpc.status.PERMISSION_DENIED, details: refusal });
          return;
        }
        this.serveStream(call, callback);
      },
    });
  }

  /** Starts serving; resolves with the bound port. */
  start(): Promise<number> {
    if (this.closed) return Promise.reject(new Error('raft transport is closed'));
    if (this.server !== null) return Promise.reject(new Error('raft transport already started'));
    const server = new grpc.Server(this.commonOptions());
    this.attach(server);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.bindAsync(this.listen, this.serverCredentials, (err, port) => {
        if (err || this.closed) {
          if (this.server === server) this.server = null;
          server.forceShutdown();
          reject(err ?? new Error('raft transport closed while starting'));
        } else {
          resolve(port);
        }
      });
    });
  }

  /**
   * Adds a peer (or moves it to a new recorded address) and opens its stream. Own id is
   * ignored. The same recorded address again changes nothing: a peer dialled at an address
   * learned from its streams stays there until the record itself changes.
   */
  addPeer(id: NodeId, address: string): void {
    if (this.closed || id === this.selfId) return;
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      if (existing.recorded === address) return;
      if (existing.address === address) {
        existing.recorded = address; // the record caught up with what was learned
        return;
      }
      this.removePeer(id);
    }
    const peer = new Peer(id, address, this.newClient(address), this.backoffInitialMs);
    this.peers.set(id, peer);
    this.connect(peer);
  }

  /**
   * The address a peer is reached at now, when its stream is up (it may be one learned from
   * the peer, newer than the store's); null otherwise.
   */
  workingAddress(id: NodeId): string | null {
    const peer = this.peers.get(id);
    return peer !== undefined && peer.state === 'ready' ? peer.address : null;
  }

  /**
   * Opens every peer's stream again, now: this node's own address changed, and streams from
   * the old one are dead (they would take the keepalive timeout to notice).
   */
  redialAll(): void {
    if (this.closed) return;
    for (const peer of [...this.peers.values()]) this.retarget(peer, peer.address, true);
  }

  /** Forgets a peer: drops its queue and ends its stream. */
  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.peers.delete(id);
    this.dirty.delete(peer);
    void this.retire(peer, false);
  }

  /** Queues messages for their `to` peers. Never blocks or throws; drops what cannot be sent. */
  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (
        peer === undefined ||
        peer.state === 'backoff' ||
        peer.state === 'closed' ||
        peer.queue.length >= this.maxQueued
      ) {
        this.counters.dropped++;
        continue;
      }
      peer.queue.push(m);
      if (peer.state === 'ready' && peer.writesInFlight < MAX_WRITES_IN_FLIGHT) {
        this.scheduleFlush(peer);
      }
    }
  }

  /** Peers whose last stream attempt failed and that have not been reached since. */
  unreachable(): NodeId[] {
    const ids: NodeId[] = [];
    for (const peer of this.peers.values()) if (peer.unreachable) ids.push(peer.id);
    return ids;
  }

  stats(): RaftTransportStats {
    return { ...this.counters };
  }

  /**
   * Ends every stream (writing what flow control still takes of the queues of ready peers) and
   * stops the server, within about a second even if peers do not answer. No callback runs after
   * it resolves. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private newClient(address: string): grpc.Client {
    return new grpc.Client(address, this.channelCredentials, this.channelOptions);
  }

  /**
   * Dials `peer` at `address` from now on (a new channel; the old stream is cancelled and what
   * was queued dropped, as on any broken stream). `now`: connect at once, else after the
   * backoff timer already running.
   */
  private retarget(peer: Peer, address: string, now: boolean): void {
    const call = peer.call;
    const oldClient = peer.client;
    peer.call = null;
    peer.writesInFlight = 0;
    if (address !== peer.address) {
      this.counters.peerMoves++;
      peer.address = address;
    }
    peer.client = this.newClient(address);
    call?.cancel();
    oldClient.close();
    if (!now) return;
    peer.clearTimer();
    this.counters.dropped += peer.queue.length;
    peer.queue.clear();
    this.dirty.delete(peer);
    this.connect(peer);
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.flushImmediate !== null) clearImmediate(this.flushImmediate);
    this.flushImmediate = null;
    this.dirty.clear();
    const ending: Promise<void>[] = [];
    for (const peer of this.peers.values()) ending.push(this.retire(peer, true));
    this.peers.clear();
    for (const end of [...this.incoming]) end();
    const server = this.server;
    if (server !== null) {
      ending.push(
        new Promise((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, CLOSE_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        }),
      );
    }
    await Promise.all(ending);
  }

  // --- outgoing streams ---

  private connect(peer: Peer): void {
    peer.state = 'connecting';
    peer.writesInFlight = 0;
    const metadata = new grpc.Metadata();
    metadata.set(NODE_ID_METADATA, String(this.selfId));
    const call = peer.client.makeClientStreamRequest<WireBatchIn, SendResponse>(
      this.method.path,
      this.method.requestSerialize,
      this.method.responseDeserialize,
      metadata,
      {},
      (err) => this.streamEnded(peer, call, err),
    );
    peer.call = call;
    // Failures arrive through the callback above; this keeps them from being thrown as well.
    call.on('error', () => {});
    call.on('metadata', (md: grpc.Metadata) => this.streamAccepted(peer, call, md));
    peer.timer = setTimeout(() => {
      peer.timer = null;
      if (peer.call === call && peer.state === 'connecting') call.cancel();
    }, this.connectTimeoutMs);
    peer.timer.unref();
  }

  private streamAccepted(
    peer: Peer,
    call: grpc.ClientWritableStream<WireBatchIn>,
    md: grpc.Metadata,
  ) {
    if (peer.call !== call || peer.state !== 'connecting') return;
    const answeredBy = md.get(NODE_ID_METADATA)[0];
    if (answeredBy !== undefined && String(answeredBy) !== String(peer.id)) {
      this.onError(
        new Error(`peer ${peer.id} at ${peer.address} answered as node ${String(answeredBy)}`),
      );
      call.cancel();
      return;
    }
    peer.clearTimer();
    peer.state = 'ready';
    peer.unreachable = false;
    peer.backoffMs = this.backoffInitialMs;
    if (peer.queue.length > 0) this.scheduleFlush(peer);
  }

  private streamEnded(
    peer: Peer,
    call: grpc.ClientWritableStream<WireBatchIn>,
    _err: grpc.ServiceError | null,
  ): void {
    if (peer.call !== call) return;
    peer.call = null;
    peer.writesInFlight = 0;
    if (peer.state === 'closed') {
      const ended = peer.onEnded;
      peer.onEnded = null;
      ended?.();
      return;
    }
    peer.clearTimer();
    this.counters.dropped += peer.queue.length;
    peer.queue.clear();
    this.dirty.delete(peer);
    peer.state = 'backoff';
    peer.unreachable = true;
    const next = addressAfterFailure(peer.addresses());
    if (next !== peer.address) {
      const why =
        next === peer.recorded ? 'back at its recorded address' : 'where it connects from';
      this.retarget(peer, next, false);
      this.reportPeerAddress(peer, why);
    }
    const delay = peer.backoffMs * (0.8 + 0.4 * Math.random());
    peer.backoffMs = Math.min(peer.backoffMs * 2, this.backoffMaxMs);
    peer.timer = setTimeout(() => {
      peer.timer = null;
      if (peer.state === 'backoff') this.connect(peer);
    }, delay);
    peer.timer.unref();
    try {
      this.onUnreachable?.(peer.id);
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Ends a peer's stream (after writing its queue when `flush`) and closes its channel. */
  private retire(peer: Peer, flush: boolean): Promise<void> {
    if (flush && peer.state === 'ready') this.flush(peer);
    const wasReady = peer.state === 'ready';
    peer.state = 'closed';
    peer.clearTimer();
    this.counters.dropped += peer.queue.length;
    peer.queue.clear();
    const call = peer.call;
    if (call === null) {
      peer.client.close();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const cancel = setTimeout(() => call.cancel(), CLOSE_GRACE_MS);
      peer.onEnded = () => {
        clearTimeout(cancel);
        peer.client.close();
        resolve();
      };
      if (wasReady) call.end();
      else call.cancel();
    });
  }

  private scheduleFlush(peer: Peer): void {
    this.dirty.add(peer);
    this.flushImmediate ??= setImmediate(() => {
      this.flushImmediate = null;
      const peers = [...this.dirty];
      this.dirty.clear();
      for (const p of peers) this.flush(p);
    });
  }

  /** Writes everything queued for `peer` as batches, until done or the stream pushes back. */
  private flush(peer: Peer): void {
    const call = peer.call;
    if (call === null || peer.state !== 'ready') return;
    const limit = this.maxMessageBytes - BATCH_MARGIN_BYTES;
    const written = () => {
      if (peer.call !== call) return;
      peer.writesInFlight--;
      if (peer.queue.length > 0) this.scheduleFlush(peer);
    };
    while (peer.writesInFlight < MAX_WRITES_IN_FLIGHT && peer.queue.length > 0) {
      const batch: WireMessageIn[] = [];
      let size = 0;
      for (let m = peer.queue.peek(); m !== undefined; m = peer.queue.peek()) {
        const bound = encodedSizeBound(m);
        if (bound > limit) {
          peer.queue.shift();
          this.counters.dropped++;
          continue;
        }
        if (batch.length > 0 && size + bound > limit) break;
        peer.queue.shift();
        batch.push(messageToWire(m));
        size += bound;
      }
      if (batch.length === 0) break;
      this.counters.sent += batch.length;
      this.counters.batchesSent++;
      peer.writesInFlight++;
      call.write({ messages: batch }, written);
    }
  }

  private reportPeerAddress(peer: Peer, why: string): void {
    try {
      this.onPeerAddress?.(peer.id, peer.address, why);
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // --- incoming streams ---

  /**
   * A stream of a proven peer delivered its first batch: remember the host it came from, and
   * dial that host now when the peer's recorded address does not answer (or it just moved).
   */
  private arrivedFrom(id: NodeId, host: string): void {
    const peer = this.peers.get(id);
    if (peer === undefined || peer.state === 'closed') return;
    const working = peer.state === 'ready' || (peer.state === 'connecting' && !peer.unreachable);
    const next = addressOnArrival(peer.addresses(), host, working);
    peer.observedHost = host;
    if (next === null) return;
    this.retarget(peer, next, true);
    this.reportPeerAddress(peer, 'where it connects from');
  }

  /**
   * The proven Raft id and host of an incoming stream, or null when nothing may be learned
   * from it: no identifyPeer, an unproven caller, or a sender id in the metadata that is not
   * the certificate's member.
   */
  private provenSender(
    call: grpc.ServerReadableStream<WireBatchOut, SendResponse>,
  ): { id: NodeId; host: string } | null {
    if (this.identifyPeer === undefined) return null;
    let id: NodeId | null;
    try {
      id = this.identifyPeer(call);
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
      return null;
    }
    if (id === null || id === this.selfId) return null;
    const claimed = call.metadata.get(NODE_ID_METADATA)[0];
    if (claimed === undefined || String(claimed) !== String(id)) return null;
    const host = remoteHost(call.getPeer());
    return host === null ? null : { id, host };
  }

  private serveStream(
    call: grpc.ServerReadableStream<WireBatchOut, SendResponse>,
    callback: grpc.sendUnaryData<SendResponse>,
  ): void {
    if (this.closed) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'raft transport is closing' });
      return;
    }
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      this.incoming.delete(end);
      callback(null, {});
    };
    this.incoming.add(end);
    const metadata = new grpc.Metadata();
    metadata.set(NODE_ID_METADATA, String(this.selfId));
    call.sendMetadata(metadata);
    let sender = this.provenSender(call);
    call.on('data', (batch: WireBatchOut) => {
      if (!open) return;
      this.counters.batchesReceived++;
      // Learned once per stream, from a batch whose messages are all the proven member's.
      if (sender !== null && batch.messages.every((w) => Number(w.from) === sender!.id)) {
        this.arrivedFrom(sender.id, sender.host);
      }
      sender = null;
      for (const w of batch.messages) this.deliver(w);
    });
    call.on('end', end);
    call.on('error', end);
    call.on('cancelled', end);
  }

  private deliver(w: WireBatchOut['messages'][number]): void {
    if (w.to !== this.selfId) {
      this.counters.misdirected++;
      return;
    }
    this.counters.received++;
    try {
      this.onMessage(messageFromWire(w));
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
