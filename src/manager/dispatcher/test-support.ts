// A test cluster for dispatcher and agent tests: managers (ClusterStates over an in-memory Raft
// network, each on an in-memory disk), each serving the Dispatcher on 127.0.0.1 over real mutual
// TLS, and agents that stop with it.
import * as grpc from '@grpc/grpc-js';
import { AgentSession, type AgentSessionOptions, describeNode } from '../../agent/index.ts';
import {
  createServerCredentials,
  generateNodeKeyAndCsr,
  RootCa,
  type TlsMaterial,
} from '../../pki/index.ts';
import type { Message, NodeId } from '../../raft/index.ts';
import { MemFileSystem, RaftStorage } from '../../storage/index.ts';
import type { Node, NodeRole } from '../../store/index.ts';
import { nodeInput } from '../../store/test-support.ts';
import { waitFor } from '../../testkit/index.ts';
import { ClusterState } from '../cluster-state.ts';
import { Dispatcher, type DispatcherOptions } from './dispatcher.ts';
import type { ManagerAddress } from './protocol.ts';

export const CLUSTER_ID = 'cluster1';

export interface HarnessOptions {
  members?: number;
  heartbeatPeriodMs?: number;
  now?: DispatcherOptions['now'];
  /** Counts every proposal made on any member. */
  onPropose?: () => void;
  /** Default true; false leaves them to the test (harness.dispatchers). */
  startDispatchers?: boolean;
}

export class Harness {
  readonly states = new Map<NodeId, ClusterState>();
  readonly dispatchers = new Map<NodeId, Dispatcher>();
  /** Raft id → the member's cluster address (host:port). */
  readonly addresses = new Map<NodeId, string>();
  private readonly servers: grpc.Server[] = [];
  private readonly agents: AgentSession[] = [];
  private readonly blocked = new Set<NodeId>();

  private constructor(readonly ca: RootCa) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const harness = new Harness(await RootCa.create({ now: new Date() }));
    try {
      await harness.startMembers(options);
    } catch (err) {
      await harness.stop();
      throw err;
    }
    return harness;
  }

  private async startMembers(options: HarnessOptions): Promise<void> {
    const count = options.members ?? 1;
    const voters = Array.from({ length: count }, (_, i) => i + 1);
    for (const raftId of voters) {
      const storage = RaftStorage.open({ dir: '/d', fs: new MemFileSystem(), kek: null });
      const state = new ClusterState({
        raftId,
        storage,
        loaded: storage.load(),
        bootstrap: { voters, learners: [], removed: [] },
        send: (messages) => this.send(messages),
        forward: (leader, batch) => this.states.get(leader)!.proposeHere(batch),
        persist: 'thread-pool',
        tickMs: 5,
        electionTicks: 10,
        proposalTimeoutMs: 2000,
        onFatal: (error) => {
          throw error;
        },
      });
      if (options.onPropose) {
        const propose = state.propose.bind(state);
        state.propose = (changes, timestamp) => {
          options.onPropose!();
          return propose(changes, timestamp);
        };
      }
      this.states.set(raftId, state);
      state.start();
    }
    for (const raftId of voters) {
      const state = this.states.get(raftId)!;
      const server = new grpc.Server();
      this.servers.push(server);
      const dispatcher = new Dispatcher({
        state,
        clusterId: CLUSTER_ID,
        heartbeatPeriodMs: options.heartbeatPeriodMs ?? 100,
        managers: () => this.managerAddresses(),
        leaderAddress: () => this.addresses.get(state.leader()) ?? '',
        now: options.now,
        log: process.env.DISPATCHER_DEBUG ? (l) => console.log(Date.now() % 100000, l) : undefined,
      });
      dispatcher.attach(server);
      const tls = await this.tls(`manager-${raftId}`, 'manager');
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', createServerCredentials(tls), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
      this.addresses.set(raftId, `127.0.0.1:${port}`);
      this.dispatchers.set(raftId, dispatcher);
      if (options.startDispatchers !== false) dispatcher.start();
    }
  }

  managerAddresses(): ManagerAddress[] {
    return [...this.addresses].map(([raftId, addr]) => ({
      nodeId: `manager-${raftId}`,
      addr,
      raftId,
    }));
  }

  private send(messages: Message[]): void {
    for (const m of messages) {
      if (this.blocked.has(m.from) || this.blocked.has(m.to)) continue;
      setImmediate(() => this.states.get(m.to)?.step(m));
    }
  }

  /** The leader (among members not isolated). */
  async leader(): Promise<ClusterState> {
    return waitFor('a leader', 5000, async () =>
      [...this.states.values()].find((s) => s.isLeader() && !this.blocked.has(s.raftId)),
    );
  }

  /** Cuts a member off the Raft network (its dispatcher still serves). */
  isolate(raftId: NodeId): void {
    this.blocked.add(raftId);
  }

  /** TLS material for a node, issued by this cluster's CA unless another is given. */
  async tls(
    nodeId: string,
    role: NodeRole = 'worker',
    options: { ca?: RootCa; clusterId?: string } = {},
  ): Promise<TlsMaterial> {
    const ca = options.ca ?? this.ca;
    const { csrPem, keyPem } = await generateNodeKeyAndCsr();
    const certPem = await ca.issueNodeCertificate({
      csrPem,
      nodeId,
      clusterId: options.clusterId ?? CLUSTER_ID,
      role,
      now: new Date(),
    });
    return { rootBundlePem: this.ca.certPem, certPem, keyPem };
  }

  /** Creates a node in the store (state 'unknown' unless given), through the leader. */
  async createNode(id: string, hostname = `host-${id}`, status?: Node['Status']): Promise<void> {
    const leader = await this.leader();
    const object = { ...nodeInput(id, hostname), Status: status ?? { State: 'unknown', Addr: '' } };
    await leader.propose([{ kind: 'create', table: 'nodes', object }]);
  }

  /** The node as the leader's store has it. */
  async node(id: string): Promise<Node | undefined> {
    return (await this.leader()).store.get('nodes', id);
  }

  /** Waits until the node's stored state is `state`; returns the node. */
  async nodeInState(id: string, state: Node['Status']['State'], timeoutMs = 5000): Promise<Node> {
    return waitFor(`node ${id} to be ${state}`, timeoutMs, async () => {
      const node = await this.node(id);
      return node?.Status.State === state ? node : undefined;
    });
  }

  /** An agent session (not started) stopped with the harness. */
  agent(
    options: Pick<AgentSessionOptions, 'nodeId' | 'tls'> & Partial<AgentSessionOptions>,
  ): AgentSession {
    const agent = new AgentSession({
      clusterId: CLUSTER_ID,
      managers: [...this.addresses.values()],
      description: () => describeNode({ hostname: `agent-${options.nodeId}`, version: '0.1.0' }),
      addr: '192.0.2.7:2377',
      ...options,
    });
    this.agents.push(agent);
    return agent;
  }

  async stop(): Promise<void> {
    for (const agent of this.agents) agent.stop();
    for (const dispatcher of this.dispatchers.values()) dispatcher.stop();
    for (const server of this.servers) server.forceShutdown();
    await Promise.all([...this.states.values()].map((s) => s.stop()));
  }
}
