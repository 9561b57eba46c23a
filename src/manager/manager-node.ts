// Everything a manager runs, wired together: the replicated cluster state over its encrypted
// Raft storage, the Raft transport and the CA and Manager services on the cluster port, and
// the leader's membership duties (promoting caught-up learners, keeping Raft peers in step
// with the store).
import { chmodSync, mkdirSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, createClientCredentials, type TlsMaterial } from '../pki/index.ts';
import { ConfChangeType, type ConfState, type RaftStatus, Role } from '../raft/index.ts';
import { RaftTransport, RpcError } from '../rpc/index.ts';
import { NodeFileSystem, RaftStorage } from '../storage/index.ts';
import type { Change } from '../store/index.ts';
import { CaServer } from './ca-server.ts';
import { ClusterState } from './cluster-state.ts';
import { addressOfRaftMember, type ManagerAddress, managerAddresses } from './cluster-view.ts';
import { decodeMemberContext, ManagerServer } from './manager-server.ts';
import { Orchestration } from './orchestration/index.ts';
import { ManagerClients } from './peer-clients.ts';
import { RoleChanger } from './roles.ts';

const GRPC_PERMISSION_DENIED = 7;
const MEMBERSHIP_CHECK_MS = 1000;

export interface ManagerNodeOptions {
  nodeId: string;
  clusterId: string;
  raftId: number;
  raftDir: string;
  kek: Uint8Array;
  tls: TlsMaterial;
  /** The cluster port's server; the manager adds its services to it. */
  server: grpc.Server;
  /** Decides whether a call carries a certificate of this cluster with an allowed role. */
  identify: (call: unknown, roles: readonly ('manager' | 'worker')[]) => string;
  /** The founding membership (swarm init); null when joining or restarting. */
  bootstrap: ConfState | null;
  /** Managers known before the store has them (a joiner's answer from the leader). */
  initialPeers: ManagerAddress[];
  newNodeId: () => string;
  newRaftId: () => number;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  log: (line: string) => void;
  onFatal: (error: unknown) => void;
}

export class ManagerNode {
  readonly state: ClusterState;
  readonly roles: RoleChanger;
  readonly clients: ManagerClients;
  readonly orchestration: Orchestration;
  private readonly transport: RaftTransport;
  private readonly storage: RaftStorage;
  private membershipTimer: NodeJS.Timeout | null = null;
  private membershipBusy = false;

  constructor(private readonly options: ManagerNodeOptions) {
    const { raftId, tls, clusterId } = options;
    // The Raft data is encrypted, and still nobody but root has any business reading it.
    mkdirSync(options.raftDir, { recursive: true, mode: 0o700 });
    chmodSync(options.raftDir, 0o700);
    this.storage = RaftStorage.open({
      dir: options.raftDir,
      fs: new NodeFileSystem(),
      kek: options.kek,
      keepEntries: 500,
    });
    this.clients = new ManagerClients(tls, clusterId);
    this.transport = new RaftTransport({
      selfId: raftId,
      listen: '',
      onMessage: (message) => this.state.step(message),
      channelCredentials: createClientCredentials(tls, {
        expectedRole: 'manager',
        expectedClusterId: clusterId,
      }),
      channelOptions: clientChannelOptions('manager'),
      onError: () => {},
    });
    this.state = new ClusterState({
      raftId,
      storage: this.storage,
      loaded: this.storage.load(),
      bootstrap: options.bootstrap,
      send: (messages) => this.transport.send(messages),
      forward: (leader, batch) =>
        this.clients.propose(addressOfRaftMember(this.state.store, leader), batch),
      persist: 'thread-pool',
      tickMs: options.tickMs,
      electionTicks: options.electionTicks,
      heartbeatTicks: options.heartbeatTicks,
      onSoftState: ({ role, leader }) =>
        options.log(
          `raft: ${role}${role === Role.Leader ? '' : `, leader ${leader || 'unknown'}`}`,
        ),
      onConfChange: (change) => {
        const context = decodeMemberContext(change.context);
        if (change.type === ConfChangeType.RemoveNode) this.transport.removePeer(change.nodeId);
        else if (context && change.nodeId !== raftId)
          this.transport.addPeer(change.nodeId, context.addr);
      },
      onFatal: options.onFatal,
    });
    this.transport.attach(options.server, (call) => {
      try {
        options.identify(call, ['manager']);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    });
    new CaServer({
      state: this.state,
      newNodeId: options.newNodeId,
      identify: (call) => options.identify(call, ['manager', 'worker']),
    }).attach(options.server);
    this.roles = new RoleChanger({
      state: this.state,
      forward: (addr, nodeId, role, version) =>
        this.clients.changeRole(addr, nodeId, role, version),
    });
    new ManagerServer({
      state: this.state,
      roles: this.roles,
      newRaftId: options.newRaftId,
      identifyManager: (call) => options.identify(call, ['manager']),
    }).attach(options.server);
    this.orchestration = new Orchestration({
      state: this.state,
      newId: options.newNodeId,
      log: options.log,
    });
    for (const peer of options.initialPeers) {
      if (peer.raftId !== raftId) this.transport.addPeer(peer.raftId, peer.addr);
    }
  }

  start(): void {
    this.state.start();
    this.orchestration.start();
    this.membershipTimer = setInterval(() => void this.tendMembership(), MEMBERSHIP_CHECK_MS);
  }

  /** Rewraps the Raft data's key with a new key-encryption key (autolock on, key rotated). */
  rotateKek(kek: Uint8Array): void {
    this.storage.rotateKek(kek);
  }

  async stop(): Promise<void> {
    if (this.membershipTimer) clearInterval(this.membershipTimer);
    this.orchestration.stop();
    await this.state.stop();
    await this.transport.close();
    this.clients.close();
    this.storage.close();
  }

  /**
   * The leader writes each manager's reachability (what `node ls` shows as MANAGER STATUS)
   * when it changes, never on every check: an idle cluster writes nothing.
   */
  private async recordReachability(status: RaftStatus): Promise<void> {
    const store = this.state.store;
    const changes: Change[] = [];
    for (const manager of managerAddresses(store)) {
      const node = store.get('nodes', manager.nodeId);
      if (!node?.ManagerStatus) continue;
      // A manager still catching up as a learner does not vote yet: its status stays unknown.
      if (!status.voters.includes(manager.raftId)) continue;
      const active =
        manager.raftId === this.options.raftId || status.progress.get(manager.raftId)?.recentActive;
      const reachability = active ? 'reachable' : 'unreachable';
      if (node.ManagerStatus.Reachability === reachability) continue;
      changes.push({
        kind: 'update',
        table: 'nodes',
        expectedVersion: node.Version.Index,
        object: { ...node, ManagerStatus: { ...node.ManagerStatus, Reachability: reachability } },
      });
    }
    if (changes.length > 0) await this.state.propose(changes);
  }

  /**
   * Keeps Raft peers in step with the store (addresses of managers after a restart), and on
   * the leader promotes learners that have caught up with the log.
   */
  private async tendMembership(): Promise<void> {
    if (this.membershipBusy) return;
    this.membershipBusy = true;
    try {
      for (const manager of managerAddresses(this.state.store)) {
        if (manager.raftId !== this.options.raftId)
          this.transport.addPeer(manager.raftId, manager.addr);
      }
      if (!this.state.isLeader()) return;
      const status = this.state.raft.status();
      await this.recordReachability(status);
      for (const learner of status.learners) {
        const progress = status.progress.get(learner);
        if (progress && progress.match >= status.commit) {
          await this.state.changeMembership(ConfChangeType.AddVoter, learner, new Uint8Array(0));
          this.options.log(`raft: member ${learner} promoted to voter`);
        }
      }
    } catch (error) {
      this.options.log(`membership: ${(error as Error).message}`);
    } finally {
      this.membershipBusy = false;
    }
  }
}

/** Turns a refusal into the gRPC error the services answer with. */
export function permissionDenied(message: string): RpcError {
  return new RpcError(GRPC_PERMISSION_DENIED, message);
}
