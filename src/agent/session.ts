// The agent's session with the managers (proto/cluster.proto Dispatcher.Session).
//
// One stream to one manager at a time, over mutual TLS: the manager must present a manager
// certificate of this cluster. The first message carries the node's description and address;
// after the first reply, one message per heartbeat period the manager named (the description
// again only when it changed). A reply naming a leader sends the agent there at once. When the
// stream fails or ends, or the manager stays silent for three periods, the agent waits (bounded
// exponential backoff, 100 ms doubling up to 5 s) and tries the next manager of its list, which
// every reply keeps up to date. The node's address is read again at each (re)connect.
import * as grpc from '@grpc/grpc-js';
import {
  portConflictsToWire,
  replyFromWire,
  type SessionReply,
  type WireSessionMessage,
  type WireSessionReply,
} from '../manager/dispatcher/protocol.ts';
import {
  encodeStatuses,
  MAX_STATUS_UPDATES,
  type TaskStatusUpdate,
} from '../manager/dispatcher/task-protocol.ts';
import { clientChannelOptions, createClientCredentials, type TlsMaterial } from '../pki/index.ts';
import { clusterServiceDefinition } from '../rpc/index.ts';
import type { NodeDescription, PortConflict } from '../store/index.ts';

export type AgentSessionState = 'connecting' | 'ready' | 'backoff';

export interface AgentSessionOptions {
  nodeId: string;
  clusterId: string;
  tls: TlsMaterial;
  /** Cluster addresses (host:port) of managers to try, in order. At least one. */
  managers: string[];
  /** Read when the session starts and before each heartbeat; sent when it changed. */
  description: () => NodeDescription;
  /** What is wrong on this node now ('' when nothing), sent with every message. */
  statusMessage?: () => string;
  /** Published ports this node cannot open now, sent with every message. */
  portConflicts?: () => readonly PortConflict[];
  /**
   * host:port this node is reached at (an unspecified host makes the manager use the peer's).
   * A function is read again at each (re)connect: the address can change while the node runs
   * (a new DHCP lease). One stream keeps the address it started with (the manager reads the
   * first message's); refreshAddress() starts another when it changed.
   */
  addr: string | (() => string);
  onReply?: (reply: SessionReply) => void;
  onStateChange?: (state: AgentSessionState) => void;
  /** A session failed (refused, broken, silent); the agent retries on its own. */
  onError?: (error: AgentSessionError) => void;
  log?: (line: string) => void;
  /** Delay before the next attempt after a failure: doubles from initial to max. 100 / 5000. */
  backoffMs?: { initial?: number; max?: number };
  /** No first reply within this time counts as a failure. Default 5000. */
  connectTimeoutMs?: number;
  /** In [0, 1), for the backoff jitter. Default Math.random. */
  random?: () => number;
}

/** Why a session ended; `code` is the gRPC status when the manager (or gRPC) gave one. */
export interface AgentSessionError extends Error {
  code?: grpc.status;
  /** The manager the session was with. */
  manager: string;
}

const DEFAULT_BACKOFF_INITIAL_MS = 100;
const DEFAULT_BACKOFF_MAX_MS = 5000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** A manager silent for this many heartbeat periods is given up. */
const SILENCE_PERIODS = 3;
const MIN_SILENCE_MS = 1000;
/** Bounds on the period a manager may ask for (a zero would make a busy loop). */
const MIN_PERIOD_MS = 10;
const FALLBACK_PERIOD_MS = 3000;
/** Redirects followed in a row before the agent backs off (managers disagreeing on a leader). */
const MAX_REDIRECTS = 3;
const MAX_MANAGERS = 100;
const EMPTY = Buffer.alloc(0);

type SessionCall = grpc.ClientDuplexStream<WireSessionMessage, WireSessionReply>;

export class AgentSession {
  private readonly options: AgentSessionOptions;
  private readonly log: (line: string) => void;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly random: () => number;
  private tls: TlsMaterial;
  private managers: string[];
  /** Position in `managers` of the one tried last (-1: not in the list, e.g. a redirect). */
  private index = 0;
  private target: string | null = null;
  private client: grpc.Client | null = null;
  private call: SessionCall | null = null;
  /** Bumped whenever the current stream is given up: callbacks of older ones are ignored. */
  private attempt = 0;
  private current: AgentSessionState | null = null;
  private periodMs = 0;
  private failures = 0;
  private redirects = 0;
  private lastDescription = '';
  /** The address sent on the current stream (read when it opened). */
  private streamAddr = '';
  private refreshPending = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopped = false;

  constructor(options: AgentSessionOptions) {
    const managers = dedupe(options.managers);
    if (managers.length === 0) throw new Error('an agent session needs at least one manager');
    this.options = options;
    this.tls = options.tls;
    this.managers = managers;
    this.log = options.log ?? (() => {});
    this.backoffInitialMs = options.backoffMs?.initial ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.backoffMaxMs = Math.max(
      this.backoffInitialMs,
      options.backoffMs?.max ?? DEFAULT_BACKOFF_MAX_MS,
    );
    this.random = options.random ?? Math.random;
  }

  /** The state of the session; null before start() and after stop(). */
  get state(): AgentSessionState | null {
    return this.stopped ? null : this.current;
  }

  /** The managers the agent knows (as the last reply listed them). */
  knownManagers(): string[] {
    return [...this.managers];
  }

  /** The manager the session is with or being opened to; null when stopped or not started. */
  currentManager(): string | null {
    return this.stopped ? null : this.target;
  }

  /** The heartbeat period the manager named last (0 before the first reply). */
  heartbeatPeriodMs(): number {
    return this.periodMs;
  }

  start(): void {
    if (this.stopped) throw new Error('the agent session is stopped');
    if (this.started) return;
    this.started = true;
    this.index = 0;
    this.connect(this.managers[0]!);
  }

  /** Ends the stream and every timer. Idempotent; the session cannot start again. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.attempt++;
    this.teardown();
  }

  /**
   * The node's address may have changed: when it differs from the one the current stream
   * announced, a new stream to the same manager announces it (the manager records a node's
   * address from the first message of a session). Checked on the next turn of the event loop,
   * once for several calls.
   */
  refreshAddress(): void {
    if (this.stopped || this.refreshPending) return;
    this.refreshPending = true;
    setImmediate(() => {
      this.refreshPending = false;
      const target = this.target;
      if (this.stopped || this.call === null || target === null) return;
      const addr = this.currentAddr();
      if (addr === this.streamAddr) return;
      this.log(`agent: this node's address is now ${addr}; reconnecting to ${target}`);
      this.connect(target);
    });
  }

  /** New TLS material (a renewed certificate); used from the next connection on. */
  updateTls(tls: TlsMaterial): void {
    this.tls = tls;
  }

  /**
   * Sends task status updates now, on the current session. False when no session is ready:
   * the caller sends them all again once one is (onStateChange 'ready').
   */
  sendStatuses(updates: TaskStatusUpdate[]): boolean {
    const call = this.call;
    if (call === null || this.current !== 'ready' || updates.length === 0) return false;
    try {
      for (let start = 0; start < updates.length; start += MAX_STATUS_UPDATES) {
        const chunk = updates.slice(start, start + MAX_STATUS_UPDATES);
        call.write({
          description: EMPTY,
          addr: this.streamAddr,
          taskStatuses: encodeStatuses(chunk),
          statusMessage: this.options.statusMessage?.() ?? '',
          portConflicts: portConflictsToWire(this.options.portConflicts?.() ?? []),
        });
      }
      return true;
    } catch {
      return false; // the stream broke; its error event handles it
    }
  }

  // --- connection ---

  private live(attempt: number): boolean {
    return !this.stopped && attempt === this.attempt;
  }

  private connect(address: string): void {
    this.teardown();
    const attempt = ++this.attempt;
    this.target = address;
    this.periodMs = 0;
    this.streamAddr = this.currentAddr();
    this.setState('connecting');
    const credentials = createClientCredentials(this.tls, {
      expectedRole: 'manager',
      expectedClusterId: this.options.clusterId,
    });
    const client = new grpc.Client(address, credentials, {
      ...clientChannelOptions('manager'),
      'grpc.enable_retries': 0,
      'grpc.enable_http_proxy': 0,
      // As the cluster port allows: assignment sets carry secrets and configs.
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
      'grpc.use_local_subchannel_pool': 1,
      'grpc.initial_reconnect_backoff_ms': this.backoffInitialMs,
      'grpc.max_reconnect_backoff_ms': this.backoffMaxMs,
    });
    const method = clusterServiceDefinition('Dispatcher').Session as grpc.MethodDefinition<
      WireSessionMessage,
      WireSessionReply
    >;
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      new grpc.Metadata(),
      {},
    );
    this.client = client;
    this.call = call;
    call.on('data', (reply: WireSessionReply) => this.received(attempt, reply));
    call.on('error', (err: grpc.ServiceError) => this.failed(attempt, err));
    call.on('end', () => this.failed(attempt, new Error('the manager ended the session')));
    this.armWatchdog(attempt, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    this.send(call, true);
  }

  private received(attempt: number, wire: WireSessionReply): void {
    if (!this.live(attempt)) return;
    const reply = replyFromWire(wire);
    this.learnManagers(reply);
    if (reply.leaderAddr !== '') {
      if (++this.redirects > MAX_REDIRECTS) {
        this.failed(attempt, new Error(`redirected ${MAX_REDIRECTS} times in a row`));
        return;
      }
      this.log(`agent: ${this.target} is not the leader; connecting to ${reply.leaderAddr}`);
      this.index = this.managers.indexOf(reply.leaderAddr);
      this.connect(reply.leaderAddr);
      return;
    }
    this.redirects = 0;
    this.failures = 0;
    if (reply.heartbeatPeriodMs > 0) {
      this.periodMs = Math.max(MIN_PERIOD_MS, reply.heartbeatPeriodMs);
    } else if (this.periodMs === 0) {
      this.periodMs = FALLBACK_PERIOD_MS;
    }
    this.armWatchdog(attempt, Math.max(SILENCE_PERIODS * this.periodMs, MIN_SILENCE_MS));
    if (this.heartbeatTimer === null) this.scheduleHeartbeat(attempt);
    if (this.current !== 'ready') {
      this.log(`agent: session with ${this.target} is ready`);
      this.setState('ready');
    }
    this.options.onReply?.(reply);
  }

  private learnManagers(reply: SessionReply): void {
    const addrs = dedupe(reply.managers.map((m) => m.addr)).slice(0, MAX_MANAGERS);
    if (addrs.length === 0) return;
    this.managers = addrs;
    this.index = this.target === null ? -1 : addrs.indexOf(this.target);
  }

  private failed(attempt: number, err: Error): void {
    if (!this.live(attempt)) return;
    const manager = this.target ?? '';
    this.attempt++;
    this.teardown();
    const error = err as AgentSessionError;
    error.manager = manager;
    this.log(`agent: session with ${manager} failed: ${err.message}`);
    this.options.onError?.(error);
    if (this.stopped) return;
    this.failures++;
    this.redirects = 0;
    const exponential = this.backoffInitialMs * 2 ** Math.min(this.failures - 1, 30);
    const jittered = exponential * (0.8 + 0.4 * this.random());
    const delay = Math.round(
      Math.min(this.backoffMaxMs, Math.max(this.backoffInitialMs, jittered)),
    );
    this.index = (this.index + 1) % this.managers.length;
    const next = this.managers[this.index]!;
    this.setState('backoff');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect(next);
    }, delay);
  }

  // --- heartbeats ---

  private scheduleHeartbeat(attempt: number): void {
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      if (!this.live(attempt) || this.call === null) return;
      this.send(this.call, false);
      this.scheduleHeartbeat(attempt);
    }, this.periodMs);
  }

  private armWatchdog(attempt: number, ms: number): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      this.failed(attempt, new Error(`no answer from the manager within ${ms} ms`));
    }, ms);
  }

  /** Writes a message: the description when first or changed, the address always. */
  private send(call: SessionCall, first: boolean): void {
    let description: Uint8Array = EMPTY;
    try {
      const json = JSON.stringify(this.options.description());
      if (first || json !== this.lastDescription) {
        description = Buffer.from(json);
        this.lastDescription = json;
      }
    } catch (err) {
      this.log(`agent: cannot describe the node: ${(err as Error).message}`);
    }
    try {
      call.write({
        description,
        addr: this.streamAddr,
        taskStatuses: EMPTY,
        statusMessage: this.options.statusMessage?.() ?? '',
        portConflicts: portConflictsToWire(this.options.portConflicts?.() ?? []),
      });
    } catch {
      // The stream broke; its error event handles it.
    }
  }

  /** The node's address now; a failing reader keeps the last one (a session needs one). */
  private currentAddr(): string {
    const { addr } = this.options;
    if (typeof addr === 'string') return addr;
    try {
      return addr();
    } catch (err) {
      this.log(`agent: cannot read this node's address: ${(err as Error).message}`);
      return this.streamAddr;
    }
  }

  private setState(state: AgentSessionState): void {
    if (this.current === state) return;
    this.current = state;
    if (!this.stopped) this.options.onStateChange?.(state);
  }

  /** Drops the stream, its channel and every timer. */
  private teardown(): void {
    for (const timer of [this.heartbeatTimer, this.watchdog, this.retryTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    this.heartbeatTimer = null;
    this.watchdog = null;
    this.retryTimer = null;
    const call = this.call;
    this.call = null;
    if (call !== null) call.cancel();
    const client = this.client;
    this.client = null;
    client?.close();
  }
}

function dedupe(addresses: string[]): string[] {
  return [...new Set(addresses.filter((a) => typeof a === 'string' && a !== ''))];
}
