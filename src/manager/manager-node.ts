// Everything a manager runs, wired together: the replicated cluster state over its encrypted
// Raft storage, the Raft transport and the CA and Manager services on the cluster port, and
// the leader's membership duties (promoting caught-up learners, keeping Raft peers in step
// with the store), and, after a start on a new address or a change while it runs, the update
// of its own member entry (member-address.ts). Peers that moved are dialled where their
// authenticated Raft streams come from until their entries catch up (the Raft transport).
//
// Idle, a manager wakes only for what needs a clock: Raft's ticks and, on a leader with other
// managers, the membership check. Role changes reported by Raft (not polled) start and stop the
// leader's loops; store changes re-check peers and a root rotation.
import { chmodSync, mkdirSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import {
  clientChannelOptions,
  createClientCredentials,
  LiveTlsMaterial,
  type TlsMaterial,
} from '../pki/index.ts';
import { ConfChangeType, type ConfState, type RaftStatus, Role } from '../raft/index.ts';
import { RaftTransport, RpcError } from '../rpc/index.ts';
import { NodeFileSystem, RaftStorage } from '../storage/index.ts';
import type { Change, Watcher } from '../store/index.ts';
import { CaServer } from './ca-server.ts';
import { ClusterState } from './cluster-state.ts';
import {
  addressOfRaftMember,
  clusterObject,
  type ManagerAddress,
  managerAddresses,
} from './cluster-view.ts';
import { decodeMemberContext, ManagerServer } from './manager-server.ts';
import { MemberAddressUpdater } from './member-address.ts';
import { Orchestration } from './orchestration/index.ts';
import { ManagerClients } from './peer-clients.ts';
import { RoleChanger } from './roles.ts';
import { RootRotationReconciler } from './root-rotation.ts';

const GRPC_PERMISSION_DENIED = 7;
/** On a leader with other managers: how often reachability and learners are checked. */
const MEMBERSHIP_CHECK_MS = 1000;
/** Listeners of leadership changes at most (the dispatcher, a few API streams). */
const MAX_LEADERSHIP_LISTENERS = 100;

export interface ManagerNodeOptions {
  nodeId: string;
  clusterId: string;
  raftId: number;
  /**
   * host:port this manager advertises now; when its member entry names another address (it
   * came back on a new one), the entry is rewritten (member-address.ts).
   */
  advertiseAddr: string;
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
  /** This node's certificate and roots; the Raft transport's new connections use the current ones. */
  private readonly tls: LiveTlsMaterial;
  private readonly rootRotation: RootRotationReconciler;
  private readonly memberAddress: MemberAddressUpdater;
  private membershipTimer: NodeJS.Timeout | null = null;
  private membershipBusy = false;
  private peersPending = false;
  private readonly leadershipListeners = new Set<() => void>();
  private roleChangePending = false;
  /** Managers and the cluster object: peers to dial, a root rotation to finish. */
  private storeWatcher: Watcher | null = null;
  private stopped = false;

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
    this.tls = new LiveTlsMaterial(tls);
    this.clients = new ManagerClients(tls, clusterId);
    this.transport = new RaftTransport({
      selfId: raftId,
      listen: '',
      onMessage: (message) => this.state.step(message),
      channelCredentials: createClientCredentials(this.tls, {
        expectedRole: 'manager',
        expectedClusterId: clusterId,
      }),
      channelOptions: clientChannelOptions('manager'),
      onError: () => {},
      // A peer that moved is dialled where its streams come from, once its certificate proves
      // which member it is (the store maps node IDs to Raft ids); its entry follows later.
      identifyPeer: (call) => this.raftIdOfCaller(call),
      onPeerAddress: (id, address, why) =>
        options.log(`raft: dialling member ${id} at ${address} (${why})`),
    });
    this.state = new ClusterState({
      raftId,
      storage: this.storage,
      loaded: this.storage.load(),
      bootstrap: options.bootstrap,
      send: (messages) => this.transport.send(messages),
      forward: (leader, batch) => this.clients.propose(this.addressOfMember(leader), batch),
      persist: 'thread-pool',
      tickMs: options.tickMs,
      electionTicks: options.electionTicks,
      heartbeatTicks: options.heartbeatTicks,
      onSoftState: ({ role, leader }) => {
        options.log(
          `raft: ${role}${role === Role.Leader ? '' : `, leader ${leader || 'unknown'}`}`,
        );
        this.roleChanged();
      },
      onConfChange: (change) => {
        const context = decodeMemberContext(change.context);
        if (change.type === ConfChangeType.RemoveNode) this.transport.removePeer(change.nodeId);
        else if (context && change.nodeId !== raftId)
          this.transport.addPeer(change.nodeId, context.addr);
        // A learner to promote, or another voter to watch. Armed unconditionally: Raft's
        // status may not list the new member until the change is fully applied.
        this.armMembershipCheck(true);
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
    this.rootRotation = new RootRotationReconciler({ state: this.state, log: options.log });
    this.memberAddress = new MemberAddressUpdater({
      state: this.state,
      nodeId: options.nodeId,
      raftId,
      advertiseAddr: options.advertiseAddr,
      register: (target, addr) => this.clients.joinRaft(target, addr),
      log: options.log,
    });
    for (const peer of options.initialPeers) {
      if (peer.raftId !== raftId) this.transport.addPeer(peer.raftId, peer.addr);
    }
  }

  start(): void {
    // Watch before the log replays: every manager the store learns of becomes a peer.
    this.storeWatcher = this.state.store.watch({
      table: ['nodes', 'cluster'],
      onEvent: (event) => {
        this.syncPeersSoon();
        if (event.table === 'cluster') this.followRootRotation();
      },
    });
    this.state.start();
    this.orchestration.start();
    this.syncPeersSoon();
    this.followRootRotation();
    this.memberAddress.start();
  }

  /**
   * Calls `listener` after each change of this manager's Raft role or known leader (it reads
   * the state itself); returns the unsubscribe.
   */
  onLeadershipChange(listener: () => void): () => void {
    if (this.leadershipListeners.size >= MAX_LEADERSHIP_LISTENERS) {
      throw new Error(`more than ${MAX_LEADERSHIP_LISTENERS} leadership listeners`);
    }
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  /** A renewed certificate or a new trust root: connections made from now on use them. */
  updateTls(material: TlsMaterial): void {
    this.tls.update(material);
    this.clients.updateTls(material);
  }

  /**
   * This manager's address changed while it runs (a new DHCP lease): streams and channels
   * opened from the old address are dead, so they are opened again now, and the member entry
   * is rewritten to name `advertiseAddr` (member-address.ts).
   */
  advertiseAddrChanged(advertiseAddr: string): void {
    if (this.stopped || advertiseAddr === this.memberAddress.address) return;
    this.transport.redialAll();
    this.clients.close();
    this.memberAddress.follow(advertiseAddr);
  }

  /** Rewraps the Raft data's key with a new key-encryption key (autolock on, key rotated). */
  rotateKek(kek: Uint8Array): void {
    this.storage.rotateKek(kek);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.membershipTimer) clearTimeout(this.membershipTimer);
    this.membershipTimer = null;
    this.storeWatcher?.close();
    this.storeWatcher = null;
    this.leadershipListeners.clear();
    this.memberAddress.stop();
    this.rootRotation.stop();
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
   * Raft reported a new role or leader. Handled outside the Ready being processed (its
   * listeners may propose), once for several changes in a row.
   */
  private roleChanged(): void {
    if (this.roleChangePending) return;
    this.roleChangePending = true;
    setImmediate(() => {
      this.roleChangePending = false;
      if (this.stopped) return;
      this.orchestration.leadershipChanged();
      this.followRootRotation();
      this.armMembershipCheck(true);
      for (const listener of this.leadershipListeners) {
        try {
          listener();
        } catch (error) {
          this.options.log(`leadership listener: ${(error as Error).message}`);
        }
      }
    });
  }

  /** The root rotation's reconciler runs on the leader while a rotation is under way. */
  private followRootRotation(): void {
    const rotating = clusterObject(this.state.store)?.Internal.rootRotation !== undefined;
    if (!this.stopped && rotating && this.state.isLeader()) this.rootRotation.start();
    else this.rootRotation.stop();
  }

  /**
   * Where a member is reached: where its Raft stream works now (possibly an address learned
   * from its own connections, newer than its entry), else the address its entry names.
   */
  private addressOfMember(raftId: number): string {
    return this.transport.workingAddress(raftId) ?? addressOfRaftMember(this.state.store, raftId);
  }

  /** The Raft id of the manager whose certificate an incoming Raft stream carries; null if none. */
  private raftIdOfCaller(call: unknown): number | null {
    let nodeId: string;
    try {
      nodeId = this.options.identify(call, ['manager']);
    } catch {
      return null;
    }
    return clusterObject(this.state.store)?.Internal.raftIds[nodeId] ?? null;
  }

  /** Dials every manager the store names (addresses of managers after a restart). */
  private syncPeersSoon(): void {
    if (this.peersPending || this.stopped) return;
    this.peersPending = true;
    setImmediate(() => {
      this.peersPending = false;
      if (this.stopped) return;
      for (const manager of managerAddresses(this.state.store)) {
        if (manager.raftId !== this.options.raftId)
          this.transport.addPeer(manager.raftId, manager.addr);
      }
    });
  }

  /**
   * The leader's membership check, MEMBERSHIP_CHECK_MS from now: while it leads other managers
   * or learners, and once after it became leader (`once`), so that a lone manager records its
   * own reachability. Never at once: a new leader hears from its followers first, else it
   * would record them unreachable for a moment.
   */
  private armMembershipCheck(once: boolean): void {
    if (this.stopped || this.membershipBusy) return;
    const leading = this.state.isLeader();
    const status = leading ? this.state.raft.status() : null;
    const wanted =
      status !== null && (once || status.voters.length > 1 || status.learners.length > 0);
    if (!wanted) {
      if (this.membershipTimer) clearTimeout(this.membershipTimer);
      this.membershipTimer = null;
      return;
    }
    if (this.membershipTimer) return;
    this.membershipTimer = setTimeout(() => {
      this.membershipTimer = null;
      void this.checkMembership();
    }, MEMBERSHIP_CHECK_MS);
  }

  /**
   * On the leader: records managers' reachability and promotes learners that have caught up
   * with the log; then arms the next check if there is something to watch.
   */
  private async checkMembership(): Promise<void> {
    if (this.membershipBusy || this.stopped) return;
    this.membershipBusy = true;
    let failed = false;
    try {
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
      failed = true;
    } finally {
      this.membershipBusy = false;
    }
    this.armMembershipCheck(failed);
  }
}

/** Turns a refusal into the gRPC error the services answer with. */
export function permissionDenied(message: string): RpcError {
  return new RpcError(GRPC_PERMISSION_DENIED, message);
}
