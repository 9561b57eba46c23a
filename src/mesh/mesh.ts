// A node's routing mesh: listens on every published port of the cluster (ingress mode), sends
// each connection or flow to a task in rotation, local or on another node through the tunnel,
// and answers the tunnel for its own tasks. Balancing is round robin per published port over
// the tasks in rotation: short connections spread evenly, and a refusal only moves the cursor
// on (least-connections would need every node to know every other node's counts).
//
// Draining: before the worker stops a task, `drain` takes it out of rotation here at once
// (this node's own picks skip it, tunnel streams for it are refused so the caller picks
// another) and waits until the connections it serves closed, or the stop grace period passed.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { isIPv6, type Socket } from 'node:net';
import { CONNECT_TIMEOUT_MS, dialTcp } from './dial.ts';
import { type IngressRouter, TcpIngress, type UdpUpstream, type Upstream } from './ingress-tcp.ts';
import { UdpIngress } from './ingress-udp.ts';
import type { Endpoint, LocalEndpoints } from './local-endpoints.ts';
import type { MeshBackend, MeshPort, MeshProtocol, MeshService, MeshTable } from './table.ts';
import type { TunnelClient } from './tunnel-client.ts';

export interface PortProblem {
  service: string;
  protocol: MeshProtocol;
  published: number;
  error: string;
}

export interface NodeMeshOptions {
  nodeId: string;
  /** The address published ports listen on (default every address: 0.0.0.0). */
  ingressHost: string;
  local: LocalEndpoints;
  tunnel: TunnelClient;
  /** Published ports this node could not open, whenever that list changes. */
  onPortProblems?: (problems: PortProblem[]) => void;
  /** How often ports that could not be opened are tried again (default PORT_RETRY_MS). */
  portRetryMs?: number;
  log: (line: string) => void;
}

type Listener = TcpIngress | UdpIngress;

/** How long a drained task's mark is kept (its node may hear of it late). */
const DRAIN_MEMORY_MS = 10 * 60_000;
/** How often published ports that could not be opened are tried again, while any is left. */
export const PORT_RETRY_MS = 10_000;

export class NodeMesh implements IngressRouter {
  private services = new Map<string, MeshService>();
  private readonly routes = new Map<string, { service: string; port: MeshPort }>();
  private readonly listeners = new Map<string, Listener>();
  private readonly opening = new Map<string, Promise<void>>();
  private readonly cursors = new Map<string, number>();
  private readonly draining = new Map<string, number>();
  /** Connections this node serves to each of its tasks (local ingress and tunnel). */
  private readonly active = new Map<string, number>();
  private readonly idleWaiters = new Map<string, Set<() => void>>();
  private problems: PortProblem[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: NodeMeshOptions) {}

  log(line: string): void {
    this.options.log(line);
  }

  /** A new table from the leader: open the ports it adds, close those it drops. */
  setTable(table: MeshTable): void {
    if (this.stopped) return;
    this.services = new Map(table.services.map((service) => [service.id, service]));
    this.routes.clear();
    for (const service of table.services) {
      for (const port of service.ports) {
        this.routes.set(routeKey(port.protocol, port.published), { service: service.id, port });
      }
    }
    for (const [key, listener] of this.listeners) {
      if (this.routes.has(key)) continue;
      listener.close();
      this.listeners.delete(key);
    }
    const problems = this.problems.filter((p) =>
      this.routes.has(routeKey(p.protocol, p.published)),
    );
    if (problems.length !== this.problems.length) this.setProblems(problems);
    for (const [key, route] of this.routes) {
      if (!this.listeners.has(key) && !this.opening.has(key)) void this.open(key, route);
    }
    const peers = new Set<string>();
    for (const service of table.services) {
      for (const backend of service.backends) peers.add(`${backend.node}@${backend.addr}`);
    }
    this.options.tunnel.retain(peers);
    const now = Date.now();
    for (const [task, since] of this.draining) {
      if (now - since > DRAIN_MEMORY_MS) this.draining.delete(task);
    }
  }

  /** Published ports this node could not open. */
  portProblems(): PortProblem[] {
    return this.problems;
  }

  private async open(key: string, route: { service: string; port: MeshPort }): Promise<void> {
    const { protocol, published } = route.port;
    const listener =
      protocol === 'tcp'
        ? new TcpIngress(this.options.ingressHost, published, this)
        : new UdpIngress(this.options.ingressHost, published, this);
    const opening = listener.listen();
    this.opening.set(key, opening);
    try {
      await opening;
      if (this.stopped || !this.routes.has(key)) {
        listener.close();
        return;
      }
      this.listeners.set(key, listener);
      const left = this.problems.filter((p) => routeKey(p.protocol, p.published) !== key);
      if (left.length !== this.problems.length) this.setProblems(left);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const name = this.services.get(route.service)?.name ?? route.service;
      const reason =
        code === 'EADDRINUSE'
          ? `published port ${published}/${protocol} of service ${name} is already in use on this node`
          : `cannot publish port ${published}/${protocol} of service ${name}: ${(error as Error).message}`;
      this.options.log(`mesh: ${reason}`);
      const others = this.problems.filter((p) => routeKey(p.protocol, p.published) !== key);
      this.setProblems([...others, { service: route.service, protocol, published, error: reason }]);
    } finally {
      this.opening.delete(key);
    }
  }

  private setProblems(problems: PortProblem[]): void {
    this.problems = problems;
    this.options.onPortProblems?.(problems);
    if (problems.length === 0 || this.stopped) {
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.retryTimer = null;
    } else if (this.retryTimer === null) {
      // The process holding the port may let it go: try again until it does.
      this.retryTimer = setTimeout(
        () => this.retryProblems(),
        this.options.portRetryMs ?? PORT_RETRY_MS,
      );
      this.retryTimer.unref();
    }
  }

  private retryProblems(): void {
    this.retryTimer = null;
    if (this.stopped) return;
    for (const problem of this.problems) {
      const key = routeKey(problem.protocol, problem.published);
      const route = this.routes.get(key);
      if (route && !this.listeners.has(key) && !this.opening.has(key)) void this.open(key, route);
    }
  }

  // --- IngressRouter ---

  route(protocol: MeshProtocol, published: number) {
    return this.routes.get(routeKey(protocol, published)) ?? null;
  }

  pick(service: string, port: number, skip: ReadonlySet<string>): MeshBackend | undefined {
    const backends = this.services.get(service)?.backends ?? [];
    if (backends.length === 0) return undefined;
    const key = `${service}/${port}`;
    const start = this.cursors.get(key) ?? 0;
    for (let i = 0; i < backends.length; i++) {
      const index = (start + i) % backends.length;
      const backend = backends[index]!;
      if (skip.has(backend.task) || this.draining.has(backend.task)) continue;
      this.cursors.set(key, (index + 1) % backends.length);
      return backend;
    }
    return undefined;
  }

  async connect(backend: MeshBackend, port: MeshPort): Promise<Upstream> {
    if (backend.node === this.options.nodeId) {
      const socket = await this.dialLocal(backend.task, port.target);
      return { kind: 'local', socket };
    }
    const call = await this.options.tunnel.open({
      node: backend.node,
      addr: backend.addr,
      task: backend.task,
      targetPort: port.target,
      protocol: 'tcp',
    });
    return { kind: 'remote', call };
  }

  async connectUdp(backend: MeshBackend, port: MeshPort): Promise<UdpUpstream> {
    if (backend.node === this.options.nodeId) {
      const endpoint = this.localEndpoint(backend.task, port.target, 'udp');
      return { kind: 'local', endpoint, socket: udpSocketFor(endpoint) };
    }
    const call = await this.options.tunnel.open({
      node: backend.node,
      addr: backend.addr,
      task: backend.task,
      targetPort: port.target,
      protocol: 'udp',
    });
    return { kind: 'remote', call };
  }

  // --- this node's tasks (local ingress and the tunnel's far end) ---

  /** The endpoint of a local task that may take a new connection; throws why not. */
  localEndpoint(task: string, targetPort: number, protocol: MeshProtocol): Endpoint {
    if (this.draining.has(task)) throw new Error(`task ${task} is draining`);
    const endpoint = this.options.local.endpoint(task, targetPort, protocol);
    if (typeof endpoint === 'string') throw new Error(endpoint);
    return endpoint;
  }

  /** A connection to a local task, counted until it closes (for draining). */
  async dialLocal(task: string, targetPort: number): Promise<Socket> {
    const endpoint = this.localEndpoint(task, targetPort, 'tcp');
    const socket = await dialTcp(endpoint, CONNECT_TIMEOUT_MS);
    this.track(task, socket);
    return socket;
  }

  /** Counts `socket` as a connection to `task` until it closes. */
  track(task: string, socket: Socket | DgramSocket): void {
    this.active.set(task, (this.active.get(task) ?? 0) + 1);
    socket.once('close', () => {
      const left = (this.active.get(task) ?? 1) - 1;
      if (left > 0) {
        this.active.set(task, left);
        return;
      }
      this.active.delete(task);
      const waiters = this.idleWaiters.get(task);
      this.idleWaiters.delete(task);
      for (const wake of waiters ?? []) wake();
    });
  }

  /**
   * Takes a local task out of rotation and resolves once the connections it serves closed,
   * or after `graceMs` (the task's stop grace period), whichever comes first.
   */
  drain(task: string, graceMs: number): Promise<void> {
    this.draining.set(task, Date.now());
    if (!this.active.has(task)) return Promise.resolve();
    return new Promise((resolve) => {
      let waiters = this.idleWaiters.get(task);
      if (waiters === undefined) {
        waiters = new Set();
        this.idleWaiters.set(task, waiters);
      }
      const wake = () => {
        clearTimeout(timer);
        waiters!.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, graceMs));
      waiters.add(wake);
    });
  }

  /** Connections this node serves to `task` now. */
  connectionsTo(task: string): number {
    return this.active.get(task) ?? 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    for (const listener of this.listeners.values()) listener.close();
    this.listeners.clear();
    this.options.tunnel.closeAll();
    for (const waiters of this.idleWaiters.values()) for (const wake of waiters) wake();
    this.idleWaiters.clear();
  }
}

function routeKey(protocol: MeshProtocol, published: number): string {
  return `${protocol}/${published}`;
}

export function udpSocketFor(endpoint: Endpoint): DgramSocket {
  const socket = createSocket({ type: isIPv6(endpoint.host) ? 'udp6' : 'udp4' });
  socket.on('error', () => socket.close());
  return socket;
}
