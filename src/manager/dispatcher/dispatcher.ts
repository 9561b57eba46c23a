// The dispatcher: the leader's end of every agent session (proto/cluster.proto Dispatcher).
//
// An agent opens one Session stream to a manager. A manager that does not lead answers with the
// leader's address and ends the stream. On the leader, the agent's first message (its
// description and address) makes its node 'ready' in the store; every later message is a
// heartbeat, answered with the period to keep (jittered ±10 %), the managers and the node's role.
// A checker marks nodes silent for longer than the grace (3 periods) 'down', in batched
// proposals; a node that comes back becomes 'ready' again. Told of leadership changes
// (onLeadershipChange), the checker runs only while this manager leads.
//
// Writes go through Raft only when something changed: heartbeats and unchanged statuses never
// do, so an idle cluster writes nothing to disk. Node writes use the stored Version.Index
// (optimistic concurrency, bounded retries on conflict) and are serialized per node, so a
// 'down' being written never overtakes a 'ready' of a node that came back.
import * as grpc from '@grpc/grpc-js';
import { callerIdentity } from '../../pki/index.ts';
import { clusterServiceDefinition } from '../../rpc/index.ts';
import {
  type Change,
  ConflictError,
  canonicalJson,
  MAX_CHANGES_PER_BATCH,
  type Node,
  type NodeDescription,
  NotFoundError,
  type PortConflict,
} from '../../store/index.ts';
import { type ClusterState, NO_LEADER_MESSAGE } from '../cluster-state.ts';
import { clusterObject } from '../cluster-view.ts';
import { DEFAULT_GRACE_MULTIPLIER, Heartbeats } from './heartbeats.ts';
import { MeshFlow } from './mesh-flow.ts';
import {
  hostOf,
  isUnspecifiedHost,
  type ManagerAddress,
  managerToWire,
  parseNodeDescription,
  peerHost,
  portConflictsFromWire,
  portOf,
  type WireSessionMessage,
  type WireSessionReply,
} from './protocol.ts';
import { TaskFlow } from './task-flow.ts';
import { parseStatuses } from './task-protocol.ts';

/** Shoal's default: a dead node is down within ~9 s (swarm's period is 5 s, down at ~15 s). */
export const DEFAULT_HEARTBEAT_PERIOD_MS = 3000;
export const DEFAULT_MAX_SESSIONS = 10_000;
/** The status message of a node the dispatcher declared down, as swarm words it. */
export const HEARTBEAT_FAILURE_MESSAGE = 'heartbeat failure';
/** Attempts of one node write that meets a version conflict (re-reading each time). */
const MAX_WRITE_ATTEMPTS = 5;
const EMPTY = Buffer.alloc(0);

export interface DispatcherOptions {
  state: ClusterState;
  clusterId: string;
  /** Default 3000. The grace before a silent node is down is 3 periods. */
  heartbeatPeriodMs?: number;
  /** The managers named in every reply. */
  managers: () => ManagerAddress[];
  /** The cluster address (host:port) of the current leader; '' when unknown. */
  leaderAddress: () => string;
  /** Milliseconds on a monotonic-enough clock. Default Date.now. */
  now?: () => number;
  /** In [0, 1), for the jitter. Default Math.random. */
  random?: () => number;
  /** Concurrent sessions at most. Default 10,000. */
  maxSessions?: number;
  /**
   * Subscribes to this manager's leadership changes; returns the unsubscribe. Given, the
   * checker runs only while leading and leadership is checked when it changes; without it
   * (a bare ClusterState in tests), the checker polls leadership every half period.
   */
  onLeadershipChange?: (listener: () => void) => () => void;
  log?: (line: string) => void;
}

export interface DispatcherStats {
  sessions: number;
  /** Nodes whose heartbeats are tracked. */
  tracked: number;
  /** Expired nodes whose 'down' is not written yet. */
  pendingDown: number;
  leading: boolean;
  /** Checks run so far (one every half period). */
  checks: number;
}

type SessionCall = grpc.ServerDuplexStream<WireSessionMessage, WireSessionReply>;

class NotMemberError extends Error {
  constructor(nodeId: string) {
    super(`node ${nodeId} is not a member of this cluster`);
  }
}

/** The longest node status message kept. */
const MAX_STATUS_MESSAGE = 1024;

class Session {
  /** The first message arrived. */
  started = false;
  /** The node's 'ready' is in the store; heartbeats are answered. */
  registered = false;
  /** A write of the node's status or description is in flight. */
  registering = false;
  closed = false;
  /** The host part of the node's address. */
  host = '';
  /** What the agent says is wrong on its node ('' when nothing). */
  statusMessage = '';
  /** The published ports the agent says its node cannot open. */
  portConflicts: PortConflict[] = [];
  /** The last description the agent sent (null: none, keep the stored one). */
  description: NodeDescription | null = null;
  /** The assignment set last sent, as JSON (null: none yet on this session). */
  sentAssignments: string | null = null;
  /** The mesh table last sent, as JSON (null: none yet on this session). */
  sentMesh: string | null = null;

  constructor(
    readonly nodeId: string,
    readonly call: SessionCall,
  ) {}
}

export class Dispatcher {
  readonly heartbeatPeriodMs: number;
  private readonly state: ClusterState;
  private readonly clusterId: string;
  private readonly managers: () => ManagerAddress[];
  private readonly leaderAddress: () => string;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxSessions: number;
  private readonly log: (line: string) => void;
  private readonly heartbeats: Heartbeats;
  private readonly tasks: TaskFlow;
  private readonly mesh: MeshFlow;
  private readonly sessions = new Map<string, Session>();
  private readonly pendingDown = new Set<string>();
  /** Node ID → the last write queued for it; writes of one node run one after another. */
  private readonly locks = new Map<string, Promise<void>>();
  private checker: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly onLeadershipChange: DispatcherOptions['onLeadershipChange'];
  private leading = false;
  private markingDown = false;
  private checks = 0;
  private running = false;
  private stopped = false;

  constructor(options: DispatcherOptions) {
    this.state = options.state;
    this.clusterId = options.clusterId;
    this.heartbeatPeriodMs = options.heartbeatPeriodMs ?? DEFAULT_HEARTBEAT_PERIOD_MS;
    this.managers = options.managers;
    this.leaderAddress = options.leaderAddress;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.onLeadershipChange = options.onLeadershipChange;
    this.log = options.log ?? (() => {});
    this.heartbeats = new Heartbeats({
      periodMs: this.heartbeatPeriodMs,
      graceMultiplier: DEFAULT_GRACE_MULTIPLIER,
    });
    this.tasks = new TaskFlow({
      state: this.state,
      log: this.log,
      onAssignmentsChanged: (nodeIds) => this.pushAssignments(nodeIds),
    });
    this.mesh = new MeshFlow({ state: this.state, onChanged: () => this.pushMesh() });
  }

  /** How long a node may stay silent before it is down. */
  get graceMs(): number {
    return this.heartbeats.graceMs;
  }

  /** Registers the Dispatcher service on a server someone else binds (the cluster port). */
  attach(server: grpc.Server): void {
    server.addService(clusterServiceDefinition('Dispatcher'), {
      Session: (call: SessionCall) => this.openSession(call),
    });
  }

  /** Starts the checker; sessions are served from now on. */
  start(): void {
    if (this.stopped) throw new Error('the dispatcher is stopped');
    if (this.running) return;
    this.running = true;
    if (this.onLeadershipChange) this.unsubscribe = this.onLeadershipChange(() => this.check());
    this.check();
  }

  /** Ends every session and the checker. Writes in flight finish on their own. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.checker !== null) clearInterval(this.checker);
    this.checker = null;
    for (const session of [...this.sessions.values()]) {
      this.close(session, grpc.status.UNAVAILABLE, 'the manager is shutting down');
    }
    this.sessions.clear();
    this.heartbeats.clear();
    this.pendingDown.clear();
    this.tasks.stepDown();
    this.mesh.stepDown();
    this.leading = false;
  }

  stats(): DispatcherStats {
    return {
      sessions: this.sessions.size,
      tracked: this.heartbeats.size,
      pendingDown: this.pendingDown.size,
      leading: this.leading,
      checks: this.checks,
    };
  }

  // --- sessions ---

  private openSession(call: SessionCall): void {
    if (!this.running) {
      refuse(call, grpc.status.UNAVAILABLE, 'the dispatcher is not running');
      return;
    }
    let nodeId: string;
    try {
      const identity = callerIdentity(call);
      if (identity.clusterId !== this.clusterId) {
        refuse(
          call,
          grpc.status.PERMISSION_DENIED,
          `node ${identity.nodeId} belongs to cluster ${identity.clusterId}, not to this cluster`,
        );
        return;
      }
      nodeId = identity.nodeId;
    } catch (err) {
      refuse(call, grpc.status.UNAUTHENTICATED, (err as Error).message);
      return;
    }
    if (!this.state.isLeader()) {
      this.redirect(call);
      return;
    }
    // A session can reach a new leader before its leadership event (or the next poll) does:
    // take up leading now, so heartbeats, node-down checks and stats agree with what it serves.
    if (!this.leading) this.check();
    if (this.state.store.get('nodes', nodeId) === undefined) {
      refuse(call, grpc.status.PERMISSION_DENIED, new NotMemberError(nodeId).message);
      return;
    }
    const previous = this.sessions.get(nodeId);
    if (previous === undefined && this.sessions.size >= this.maxSessions) {
      refuse(call, grpc.status.RESOURCE_EXHAUSTED, 'this manager serves too many sessions');
      return;
    }
    if (previous !== undefined) {
      this.close(previous, grpc.status.ABORTED, 'a newer session of this node replaced this one');
    }
    const session = new Session(nodeId, call);
    this.sessions.set(nodeId, session);
    call.on('data', (message: WireSessionMessage) => this.received(session, message));
    // The agent half-closed: it is done with this session.
    call.on('end', () => this.close(session));
    const dropped = () => this.dropped(session);
    call.on('cancelled', dropped);
    call.on('error', dropped);
    call.on('close', dropped);
  }

  /** Not the leader: name it (or say there is none) and end the stream. */
  private redirect(call: SessionCall): void {
    const leader = this.leaderAddress();
    if (leader === '') {
      refuse(call, grpc.status.UNAVAILABLE, NO_LEADER_MESSAGE);
      return;
    }
    try {
      call.write(this.replyOf('', leader));
      call.end();
    } catch {
      // The stream went away meanwhile.
    }
  }

  private received(session: Session, message: WireSessionMessage): void {
    if (session.closed || !this.running) return;
    const nodeId = session.nodeId;
    if (!this.heartbeats.beat(nodeId, this.now())) {
      this.close(session, grpc.status.RESOURCE_EXHAUSTED, 'this manager tracks too many nodes');
      return;
    }
    this.pendingDown.delete(nodeId);
    let descriptionChanged = false;
    if (message.description.length > 0) {
      let description: NodeDescription;
      try {
        description = parseNodeDescription(message.description);
      } catch (err) {
        this.close(session, grpc.status.INVALID_ARGUMENT, (err as Error).message);
        return;
      }
      descriptionChanged =
        session.description === null ||
        canonicalJson(session.description) !== canonicalJson(description);
      session.description = description;
    }
    const statusMessage = (message.statusMessage ?? '').slice(0, MAX_STATUS_MESSAGE);
    if (statusMessage !== session.statusMessage) {
      session.statusMessage = statusMessage;
      descriptionChanged = true;
    }
    let portConflicts: PortConflict[];
    try {
      portConflicts = portConflictsFromWire(message.portConflicts ?? []);
    } catch (err) {
      this.close(session, grpc.status.INVALID_ARGUMENT, (err as Error).message);
      return;
    }
    if (canonicalJson(portConflicts) !== canonicalJson(session.portConflicts)) {
      session.portConflicts = portConflicts;
      descriptionChanged = true;
    }
    if (message.taskStatuses.length > 0) {
      try {
        this.tasks.report(nodeId, parseStatuses(message.taskStatuses));
      } catch (err) {
        this.close(session, grpc.status.INVALID_ARGUMENT, (err as Error).message);
        return;
      }
    }
    if (!session.started) {
      session.started = true;
      let host = hostOf(message.addr);
      if (isUnspecifiedHost(host)) host = peerHost(session.call.getPeer());
      session.host = host;
      const port = portOf(message.addr);
      if (host !== '' && port !== '') {
        this.mesh.setAddress(nodeId, host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
      }
      void this.register(session);
      return;
    }
    // A heartbeat. Its reply waits for a registration in flight.
    if (session.registering) return;
    const node = this.state.store.get('nodes', nodeId);
    if (node === undefined) {
      this.heartbeats.forget(nodeId);
      this.close(session, grpc.status.PERMISSION_DENIED, new NotMemberError(nodeId).message);
      return;
    }
    if (descriptionChanged || !this.isUpToDate(node, session)) {
      // The description changed, or the store says otherwise (e.g. an earlier leader marked
      // the node down): write it again. Reads are local; only a difference reaches Raft.
      void this.register(session);
      return;
    }
    this.reply(session, node);
  }

  /** Makes the node 'ready' with the session's address and description, then answers. */
  private async register(session: Session): Promise<void> {
    session.registering = true;
    try {
      await this.exclusive([session.nodeId], () => this.writeReady(session));
      if (session.closed) return;
      session.registered = true;
      const node = this.state.store.get('nodes', session.nodeId);
      if (node === undefined) throw new NotMemberError(session.nodeId);
      this.reply(session, node);
    } catch (err) {
      if (session.closed) return;
      if (err instanceof NotMemberError || err instanceof NotFoundError) {
        this.heartbeats.forget(session.nodeId);
        this.close(
          session,
          grpc.status.PERMISSION_DENIED,
          new NotMemberError(session.nodeId).message,
        );
        return;
      }
      this.log(`dispatcher: cannot mark node ${session.nodeId} ready: ${(err as Error).message}`);
      this.close(session, grpc.status.UNAVAILABLE, (err as Error).message);
    } finally {
      session.registering = false;
    }
  }

  private descriptionFor(node: Node, session: Session): NodeDescription {
    if (session.description === null) return node.Description;
    const tlsInfo = node.Description.TLSInfo;
    return tlsInfo === undefined
      ? session.description
      : { ...session.description, TLSInfo: tlsInfo };
  }

  private isUpToDate(node: Node, session: Session): boolean {
    return (
      node.Status.State === 'ready' &&
      node.Status.Addr === session.host &&
      (node.Status.Message ?? '') === session.statusMessage &&
      canonicalJson(node.Status.PortConflicts ?? []) === canonicalJson(session.portConflicts) &&
      (session.description === null ||
        canonicalJson(node.Description) === canonicalJson(this.descriptionFor(node, session)))
    );
  }

  private async writeReady(session: Session): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const node = this.state.store.get('nodes', session.nodeId);
      if (node === undefined) throw new NotMemberError(session.nodeId);
      if (this.isUpToDate(node, session)) return;
      const wasDown = node.Status.State !== 'ready';
      try {
        await this.state.propose([
          {
            kind: 'update',
            table: 'nodes',
            object: {
              ...node,
              Description: this.descriptionFor(node, session),
              Status: {
                State: 'ready',
                Addr: session.host,
                ...(session.statusMessage ? { Message: session.statusMessage } : {}),
                ...(session.portConflicts.length > 0
                  ? { PortConflicts: session.portConflicts }
                  : {}),
              },
            },
            expectedVersion: node.Version.Index,
          },
        ]);
        if (wasDown) this.log(`dispatcher: node ${session.nodeId} is ready (${session.host})`);
        return;
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** Answers a message; `onlyIfChanged`: only when the node's assignment set changed. */
  private reply(session: Session, node: Node, onlyIfChanged = false): void {
    if (session.closed) return;
    const assignments = this.tasks.assignmentsJson(session.nodeId);
    const changed = assignments !== session.sentAssignments;
    const mesh = this.mesh.current();
    const meshChanged = mesh !== session.sentMesh;
    if (onlyIfChanged && !changed && !meshChanged) return;
    try {
      session.call.write({
        ...this.replyOf(node.Spec.Role, '', changed ? Buffer.from(assignments) : EMPTY),
        mesh: meshChanged ? Buffer.from(mesh) : EMPTY,
      });
      session.sentAssignments = assignments;
      session.sentMesh = mesh;
    } catch {
      this.dropped(session);
    }
  }

  /**
   * Sends log subscriptions (JSON, src/manager/logs/protocol.ts) to a node on its session;
   * false when the node has no session here.
   */
  sendLogSubscriptions(nodeId: string, subscriptions: Uint8Array): boolean {
    const session = this.sessions.get(nodeId);
    const node = this.state.store.get('nodes', nodeId);
    if (session === undefined || !session.registered || session.closed || node === undefined) {
      return false;
    }
    try {
      session.call.write({ ...this.replyOf(node.Spec.Role, ''), logSubscriptions: subscriptions });
      return true;
    } catch {
      this.dropped(session);
      return false;
    }
  }

  /** Sends the changed assignment sets of these nodes on their sessions. */
  private pushAssignments(nodeIds: Set<string>): void {
    for (const nodeId of nodeIds) {
      const session = this.sessions.get(nodeId);
      if (session === undefined || !session.registered || session.registering) continue;
      const node = this.state.store.get('nodes', nodeId);
      if (node !== undefined) this.reply(session, node, true);
    }
  }

  /** Sends the new mesh table on every session. */
  private pushMesh(): void {
    this.pushAssignments(new Set(this.sessions.keys()));
  }

  private replyOf(role: string, leaderAddr: string, assignments = EMPTY): WireSessionReply {
    const period = this.heartbeatPeriodMs;
    return {
      heartbeatPeriodMs: Math.max(1, Math.round(period * (0.9 + 0.2 * this.random()))),
      managers: this.managers().map(managerToWire),
      leaderAddr: leaderAddr,
      assignments,
      role,
      logSubscriptions: EMPTY,
      mesh: EMPTY,
      clusterVersion: clusterObject(this.state.store)?.Version.Index ?? 0,
    };
  }

  /** Ends a session: OK without a code, else with that status. Idempotent. */
  private close(session: Session, code?: grpc.status, details?: string): void {
    if (session.closed) return;
    session.closed = true;
    if (this.sessions.get(session.nodeId) === session) this.sessions.delete(session.nodeId);
    const call = session.call;
    if (call.cancelled || call.destroyed) return;
    try {
      if (code === undefined) call.end();
      else call.emit('error', { code, details });
    } catch {
      // Already gone.
    }
  }

  /** The stream went away (cancelled by the agent, broken connection). */
  private dropped(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    if (this.sessions.get(session.nodeId) === session) this.sessions.delete(session.nodeId);
  }

  // --- node-down detection ---

  private check(): void {
    if (!this.running) return;
    this.checks++;
    const now = this.now();
    const leader = this.state.isLeader();
    this.armChecker(leader);
    if (!leader) {
      if (this.leading) {
        this.log('dispatcher: no longer the leader; sending agents to the new one');
        this.heartbeats.clear();
        this.pendingDown.clear();
        this.tasks.stepDown();
        this.mesh.stepDown();
      }
      this.leading = false;
      for (const session of [...this.sessions.values()]) {
        this.dropped(session);
        if (!session.call.cancelled && !session.call.destroyed) this.redirect(session.call);
      }
      return;
    }
    if (!this.leading) {
      this.leading = true;
      this.tasks.lead();
      this.mesh.lead();
      const alive = this.state.store
        .find('nodes', (node) => node.Status.State !== 'down')
        .map((node) => node.ID);
      this.heartbeats.startAsNewLeader(alive, now);
      this.log(`dispatcher: leading; ${alive.length} nodes have ${2 * this.graceMs} ms to report`);
    }
    for (const nodeId of this.heartbeats.expired(now)) {
      this.pendingDown.add(nodeId);
      const session = this.sessions.get(nodeId);
      // The agent is connected but silent: end the session, it will reconnect and register.
      if (session !== undefined) this.close(session, grpc.status.UNAVAILABLE, 'heartbeat expired');
    }
    void this.markDown();
  }

  /** The checker every half period: always when polling leadership, else only while leading. */
  private armChecker(leader: boolean): void {
    const wanted = leader || this.onLeadershipChange === undefined;
    if (wanted && this.checker === null) {
      this.checker = setInterval(() => this.check(), Math.max(1, this.heartbeatPeriodMs / 2));
    } else if (!wanted && this.checker !== null) {
      clearInterval(this.checker);
      this.checker = null;
    }
  }

  /** Writes 'down' for the expired nodes, at most MAX_CHANGES_PER_BATCH per proposal. */
  private async markDown(): Promise<void> {
    if (this.markingDown || this.pendingDown.size === 0) return;
    this.markingDown = true;
    try {
      const ids = [...this.pendingDown];
      for (let start = 0; start < ids.length && this.leading; start += MAX_CHANGES_PER_BATCH) {
        const chunk = ids.slice(start, start + MAX_CHANGES_PER_BATCH);
        await this.exclusive(chunk, () => this.writeDown(chunk));
      }
    } catch (err) {
      // Left in pendingDown: the next check tries again.
      this.log(`dispatcher: cannot mark nodes down: ${(err as Error).message}`);
    } finally {
      this.markingDown = false;
    }
  }

  private async writeDown(ids: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (!this.leading) return;
      const changes: Change[] = [];
      const included: string[] = [];
      for (const nodeId of ids) {
        // Beat again since it expired: it came back.
        if (!this.pendingDown.has(nodeId) || this.heartbeats.has(nodeId)) {
          this.pendingDown.delete(nodeId);
          continue;
        }
        const node = this.state.store.get('nodes', nodeId);
        if (node === undefined || node.Status.State === 'down') {
          this.pendingDown.delete(nodeId);
          continue;
        }
        changes.push({
          kind: 'update',
          table: 'nodes',
          object: {
            ...node,
            Status: { State: 'down', Message: HEARTBEAT_FAILURE_MESSAGE, Addr: node.Status.Addr },
          },
          expectedVersion: node.Version.Index,
        });
        included.push(nodeId);
      }
      if (changes.length === 0) return;
      try {
        await this.state.propose(changes);
        for (const nodeId of included) this.pendingDown.delete(nodeId);
        this.log(`dispatcher: node(s) down after ${this.graceMs} ms of silence: ${included}`);
        return;
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_WRITE_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** Runs `write` once every earlier write queued for any of `nodeIds` is done. */
  private async exclusive(nodeIds: string[], write: () => Promise<void>): Promise<void> {
    const earlier: Promise<void>[] = [];
    for (const nodeId of nodeIds) {
      const queued = this.locks.get(nodeId);
      if (queued !== undefined) earlier.push(queued);
    }
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const nodeId of nodeIds) this.locks.set(nodeId, mine);
    try {
      await Promise.all(earlier);
      await write();
    } finally {
      release();
      for (const nodeId of nodeIds) {
        if (this.locks.get(nodeId) === mine) this.locks.delete(nodeId);
      }
    }
  }
}

/** Ends a stream before it started with an error status. */
function refuse(call: SessionCall, code: grpc.status, details: string): void {
  try {
    call.emit('error', { code, details });
  } catch {
    // Already gone.
  }
}
