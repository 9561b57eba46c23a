// What every node runs once it is in a swarm: the session with the managers and the worker
// that runs the tasks they assign. Assignment sets arriving on the session go to the worker;
// the worker's status changes go out on the session at once, and all of them again whenever a
// new session becomes ready (a new leader, a reconnect), since the manager may have missed some.

import type { SessionReply } from '../manager/dispatcher/protocol.ts';
import type { TaskStatusUpdate } from '../manager/dispatcher/task-protocol.ts';
import { decodeAssignments } from '../manager/dispatcher/task-protocol.ts';
import { parseSubscriptions } from '../manager/logs/protocol.ts';
import { NodeMesh, parseMeshTable, ServicePlane, TunnelClient } from '../mesh/index.ts';
import type { TlsMaterial } from '../pki/index.ts';
import { bridgeNameOf } from '../runtime/docker-networks.ts';
import type { RuntimeDriver } from '../runtime/driver.ts';
import type { RuntimeName } from '../store/index.ts';
import { type DescribeNodeOptions, describeNode } from './description.ts';
import { LogPublisher } from './log-publisher.ts';
import { AgentSession, type AgentSessionOptions } from './session.ts';
import { Worker } from './worker/index.ts';

export interface NodeAgentOptions {
  nodeId: string;
  clusterId: string;
  tls: TlsMaterial;
  managers: string[];
  /** This node's cluster address; a function is read again at each session (re)connect. */
  addr: string | (() => string);
  dataDir: string;
  describe: Omit<DescribeNodeOptions, 'runtimes'>;
  drivers: Partial<Record<RuntimeName, RuntimeDriver>>;
  onReply: (reply: SessionReply) => void;
  log: (line: string) => void;
  session?: Partial<AgentSessionOptions>;
  /** The address published ports listen on (default 0.0.0.0: every address). */
  ingressHost?: string;
}

export class NodeAgent {
  readonly session: AgentSession;
  readonly worker: Worker;
  /** The routing mesh: published ports here, and this node's end of the tunnel. */
  readonly mesh: NodeMesh;
  /** DNS, virtual IPs and other nodes' task addresses on this node's network bridges. */
  private readonly plane: ServicePlane;
  private readonly tunnel: TunnelClient;
  private readonly logs: LogPublisher;
  private tls: TlsMaterial;

  constructor(private readonly options: NodeAgentOptions) {
    this.tls = options.tls;
    const runtimes = (Object.keys(options.drivers) as RuntimeName[]).sort();
    const hostname = describeNode(options.describe).Hostname;
    this.worker = new Worker({
      nodeId: options.nodeId,
      hostname,
      drivers: options.drivers,
      dir: options.dataDir,
      report: (updates: TaskStatusUpdate[]) => this.session.sendStatuses(updates),
      log: options.log,
      beforeStop: (taskId, graceMs) => this.mesh.drain(taskId, graceMs),
      beforeStart: (spec) => this.plane.attach((spec.networks ?? []).map((n) => n.id)),
    });
    this.tunnel = new TunnelClient(options.tls, options.clusterId);
    this.mesh = new NodeMesh({
      nodeId: options.nodeId,
      ingressHost: options.ingressHost ?? '0.0.0.0',
      local: this.worker,
      tunnel: this.tunnel,
      log: options.log,
    });
    const docker = options.drivers.docker;
    this.plane = new ServicePlane({
      nodeId: options.nodeId,
      mesh: this.mesh,
      bridgeOf: bridgeNameOf,
      occupied: (networkId) =>
        docker !== undefined && 'networkAddresses' in docker
          ? (docker as { networkAddresses(id: string): Promise<Set<string>> })
              .networkAddresses(networkId)
              .catch(() => new Set<string>())
          : Promise.resolve(new Set<string>()),
      log: options.log,
    });
    this.logs = this.createLogPublisher();
    this.session = new AgentSession({
      nodeId: options.nodeId,
      clusterId: options.clusterId,
      tls: options.tls,
      managers: options.managers,
      addr: options.addr,
      description: () => describeNode({ ...options.describe, runtimes }),
      statusMessage: () =>
        this.mesh
          .portProblems()
          .map((problem) => problem.error)
          .join('; '),
      portConflicts: () =>
        this.mesh.portProblems().map((problem) => ({
          ServiceID: problem.service,
          Protocol: problem.protocol,
          PublishedPort: problem.published,
          Message: problem.error,
        })),
      log: options.log,
      ...options.session,
      onReply: (reply) => {
        options.onReply(reply);
        let set: ReturnType<typeof decodeAssignments>;
        try {
          set = decodeAssignments(reply.assignments);
        } catch (error) {
          options.log(`agent: bad assignments: ${(error as Error).message}`);
          return;
        }
        try {
          const table = parseMeshTable(reply.mesh);
          if (table !== null) {
            this.mesh.setTable(table);
            void this.plane.setTable(table);
          }
        } catch (error) {
          options.log(`agent: bad mesh table: ${(error as Error).message}`);
        }
        if (set !== null) this.worker.setAssignments(set);
        try {
          const subscriptions = parseSubscriptions(reply.logSubscriptions);
          if (subscriptions.length > 0) this.logs.handle(subscriptions);
        } catch (error) {
          options.log(`agent: bad log subscriptions: ${(error as Error).message}`);
        }
      },
      onStateChange: (state) => {
        if (state === 'ready') this.session.sendStatuses(this.worker.statuses());
      },
    });
  }

  private createLogPublisher(): LogPublisher {
    return new LogPublisher({
      nodeId: this.options.nodeId,
      clusterId: this.options.clusterId,
      tls: () => this.tls,
      worker: this.worker,
      manager: () => this.session.currentManager(),
      log: this.options.log,
    });
  }

  start(): void {
    this.worker.start();
    this.session.start();
  }

  /** Ends the session and supervision; tasks keep running (adopted on the next start). */
  async stop(): Promise<void> {
    this.session.stop();
    this.logs.stop();
    this.mesh.stop();
    await this.plane.stop();
    this.worker.stop();
    await Promise.all(Object.values(this.options.drivers).map((driver) => driver?.close()));
  }

  /** Leaving the swarm: every task of this node is stopped and removed. */
  async removeAllTasks(): Promise<void> {
    this.session.stop();
    await this.worker.removeAll();
    this.mesh.stop();
    await this.plane.stop();
  }

  /** This node's address may have changed: the session announces the new one on a new stream. */
  refreshAddress(): void {
    this.session.refreshAddress();
  }

  updateTls(tls: TlsMaterial): void {
    this.tls = tls;
    this.session.updateTls(tls);
    this.tunnel.updateTls(tls);
  }
}
