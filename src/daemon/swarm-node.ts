// A node's membership in a swarm and what runs because of it: inactive, a manager (cluster
// port, replicated state, dispatcher, its own agent), a worker (its agent), or a manager
// whose Raft data is locked until `swarm unlock`. Init, join, leave and unlock move between
// those states; a restarted daemon resumes from what node-state.ts kept on disk.
import { randomBytes } from 'node:crypto';
import { describeNode, NodeAgent } from '../agent/index.ts';
import { mergeSwarmSpec } from '../api/routes/index.ts';
import { Dispatcher } from '../manager/dispatcher/index.ts';
import {
  addressOfRaftMember,
  type ClusterState,
  clusterObject,
  forceNewCluster,
  hostOf,
  ingressNetworkInput,
  type ManagerAddress,
  ManagerClients,
  ManagerNode,
  managerAddresses,
  permissionDenied,
  recordRecovery,
} from '../manager/index.ts';
import {
  encodeJson,
  LogBroker,
  type LogSource,
  type LogsQuery,
  remoteLogSource,
} from '../manager/logs/index.ts';
import { meshHandlers } from '../mesh/index.ts';
import {
  clusterTlsInfo,
  formatUnlockKey,
  generateJoinToken,
  generateNodeKeyAndCsr,
  isNodeKeySealed,
  NodeKeyLockedError,
  parseNodeCertificate,
  parseUnlockKey,
  RootCa,
  renewalTime,
  type TlsMaterial,
  type TrustAction,
} from '../pki/index.ts';
import { clusterServiceDefinition } from '../rpc/index.ts';
import { NodeFileSystem, RaftStorage, StorageLockedError } from '../storage/index.ts';
import type { ClusterSpec, NodeAvailability } from '../store/index.ts';
import { AddressWatch } from './address-watch.ts';
import { CaWatch } from './ca-watch.ts';
import { authorize, ClusterPort } from './cluster-port.ts';
import {
  DEFAULT_CLUSTER_PORT,
  DEFAULT_HEARTBEAT_PERIOD_MS,
  defaultClusterSpec,
  NANOSECONDS_PER_MILLISECOND,
  RAFT_ELECTION_TICKS,
  RAFT_HEARTBEAT_TICKS,
  RAFT_TICK_MS,
} from './defaults.ts';
import { newObjectId, newRaftId } from './identifiers.ts';
import { joinCluster } from './join.ts';
import {
  addressesCanMove,
  type NodeAddresses,
  refreshNodeAddresses,
  resolveNodeAddresses,
} from './node-addresses.ts';
import { type NodeState, NodeStateStore } from './node-state.ts';
import { fetchCaStatus, renewCertificate } from './renew.ts';
import { DEFAULT_DOCKER_SOCKET, openRuntimes } from './runtimes.ts';
import { SwarmError } from './swarm-error.ts';

/** Longest single wait before re-checking whether the certificate is due for renewal. */
const RENEWAL_CHECK_MAX_MS = 6 * 3600 * 1000;
/** After a failed renewal (no manager reachable), try again this much later. */
const RENEWAL_RETRY_MS = 60_000;
/** Managers tried, redirects included, when asking for a Raft seat. */
const MAX_JOIN_ATTEMPTS = 8;

export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'locked' | 'error';

export interface SwarmNodeOptions {
  dataDir: string;
  /** The name this node reports (default: the machine's host name). */
  hostname?: string;
  version: string;
  /** The Docker Engine's socket (default /var/run/docker.sock); null: exec tasks only. */
  dockerSocket?: string | null;
  /** The address published ports listen on (default 0.0.0.0). */
  ingressHost?: string;
  log: (line: string) => void;
  /** Told when this node's manager parts start (their replicated state) and stop (null). */
  onManagerState?: (state: ClusterState | null) => void;
}

export interface InitRequest {
  listenAddr: string;
  advertiseAddr: string;
  availability: NodeAvailability;
  autolock: boolean;
  spec: Partial<ClusterSpec>;
  /** On a manager of a cluster that lost its quorum: become its only manager, keeping state. */
  forceNewCluster?: boolean;
}

export interface JoinRequest {
  remoteAddrs: string[];
  token: string;
  listenAddr: string;
  advertiseAddr: string;
  availability: NodeAvailability;
}

export class SwarmNode {
  private readonly files: NodeStateStore;
  private node: NodeState | null = null;
  private localState: LocalNodeState = 'inactive';
  private port: ClusterPort | null = null;
  private manager: ManagerNode | null = null;
  private dispatcher: Dispatcher | null = null;
  private logBroker: LogBroker | null = null;
  /** The key-encryption key the manager's Raft data is open with. */
  private kek: Uint8Array | null = null;
  private agent: NodeAgent | null = null;
  private tls: TlsMaterial | null = null;
  /** The key-encryption key the TLS key file is sealed with (autolock); null: plain. */
  private keySealedWith: Uint8Array | null = null;
  /** Polls the CA for root rotations. */
  private caWatch: CaWatch | null = null;
  /** Re-checks addresses given as interface names (or detected) while the node runs. */
  private addressWatch: AddressWatch | null = null;
  /** Why the addresses could not be resolved at the last check (logged once per reason). */
  private unresolvedReason: string | null = null;
  /** The cluster object's version the sessions last told (0: none yet). */
  private clusterVersion = 0;
  private adopting = false;
  private renewalTimer: NodeJS.Timeout | null = null;
  /** Serializes init, join, leave and unlock. */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SwarmNodeOptions) {
    this.files = new NodeStateStore(options.dataDir);
  }

  get state(): LocalNodeState {
    return this.localState;
  }

  get identity(): NodeState | null {
    return this.node;
  }

  /** The replicated state when this node is an unlocked manager; null otherwise. */
  get cluster(): ClusterState | null {
    return this.manager?.state ?? null;
  }

  /** On daemon start: resume the membership kept on disk, if any. */
  async resume(): Promise<void> {
    if (!this.files.exists()) return;
    this.node = this.followAddressChange(this.files.load());
    if (this.node.role === 'manager') {
      const kek = this.files.loadKek();
      if (!kek) {
        this.localState = 'locked';
        this.options.log('the swarm is locked: run `shoal swarm unlock`');
        return;
      }
      try {
        this.loadTls(kek);
        await this.startManager(kek, null, []);
      } catch (error) {
        // The key on disk no longer opens the data (or the TLS key): autolock was turned on
        // and the daemon stopped before it removed that key. The unlock key opens them.
        if (!(error instanceof StorageLockedError || error instanceof NodeKeyLockedError)) {
          throw error;
        }
        await this.stopManagerParts();
        this.localState = 'locked';
        this.options.log('the swarm is locked: run `shoal swarm unlock`');
        return;
      }
    } else {
      this.loadTls(null);
    }
    await this.startAgent();
    this.localState = 'active';
  }

  /**
   * The addresses given at init or join, resolved again (an interface's address may have
   * changed while the daemon was down, or a DHCP lease renewed onto another while it runs). A
   * change is logged and kept on disk; an address that cannot be resolved keeps the old one
   * (logged once per reason). Null: nothing to follow.
   */
  private refreshAddresses(node: NodeState): { next: NodeState; previous: NodeAddresses } | null {
    const refresh = refreshNodeAddresses(node);
    if (refresh.kind === 'unresolved') {
      if (this.unresolvedReason !== refresh.reason) {
        this.unresolvedReason = refresh.reason;
        this.options.log(
          `cannot resolve this node's address (${refresh.reason}); keeping ${node.advertiseAddr}`,
        );
      }
      return null;
    }
    this.unresolvedReason = null;
    if (refresh.kind === 'unchanged') return null;
    this.options.log(
      `this node's address changed: advertising ${refresh.node.advertiseAddr} (was ${refresh.previous.advertiseAddr})`,
    );
    this.files.save(refresh.node);
    return { next: refresh.node, previous: refresh.previous };
  }

  /**
   * At start: a new advertised address is kept; the agent's session reports it and a
   * manager's member entry is updated (ManagerNode).
   */
  private followAddressChange(node: NodeState): NodeState {
    return this.refreshAddresses(node)?.next ?? node;
  }

  /**
   * While running: a change is followed by every part: the cluster port listens on a new
   * listen address, the manager re-dials its peers and has its member entry rewritten, the
   * agent's session announces the new address (its Status.Addr). The node state object is
   * updated in place: the agent's handlers hold it.
   */
  private followAddress(): void {
    const node = this.node;
    if (node === null || !addressesCanMove(node)) return;
    const moved = this.refreshAddresses(node);
    if (moved === null) return;
    const { previous } = moved;
    Object.assign(node, moved.next);
    if (node.listenAddr !== previous.listenAddr) {
      void this.moveClusterPort(previous.listenAddr, node.listenAddr);
    }
    if (node.advertiseAddr !== previous.advertiseAddr) {
      this.manager?.advertiseAddrChanged(node.advertiseAddr);
      this.agent?.refreshAddress();
    }
  }

  /** The address the agent's session announces: resolved again at each (re)connect. */
  private currentAdvertiseAddr(fallback: string): string {
    this.followAddress();
    return this.node?.advertiseAddr ?? fallback;
  }

  /** The cluster port listens on the new listen address, then lets the old one go. */
  private async moveClusterPort(previous: string, next: string): Promise<void> {
    const port = this.port;
    if (port === null) return;
    try {
      await port.listen(next);
    } catch (error) {
      this.options.log(`${(error as Error).message}; still listening on ${previous}`);
      return;
    }
    try {
      port.server.unbind(previous);
    } catch {
      // Not bound there (the listen address moved before the port first listened).
    }
    this.options.log(`the cluster port now listens on ${next}`);
  }

  /** Reads the TLS material; a sealed key needs `kek` (throws NodeKeyLockedError). */
  private loadTls(kek: Uint8Array | null): void {
    this.tls = this.files.loadTls(kek);
    this.keySealedWith = kek !== null && isNodeKeySealed(this.files.readKeyFile()) ? kek : null;
  }

  init(request: InitRequest): Promise<{ nodeId: string; unlockKey: string | null }> {
    return this.exclusive(async () => {
      if (request.forceNewCluster && this.node?.role === 'manager') return this.recover();
      this.assertInactive();
      const { listenAddr, advertiseAddr } = resolveNodeAddresses(
        request.listenAddr,
        request.advertiseAddr,
      );
      const spec = mergeSwarmSpec(defaultClusterSpec(), request.spec);
      const nodeId = newObjectId();
      const clusterId = newObjectId();
      const raftId = newRaftId();
      const now = new Date();
      const root = await RootCa.create({ now });
      const { keyPem, csrPem } = await generateNodeKeyAndCsr();
      const certPem = await root.issueNodeCertificate({
        csrPem,
        nodeId,
        clusterId,
        role: 'manager',
        expiryMs: spec.CAConfig.NodeCertExpiry / NANOSECONDS_PER_MILLISECOND,
        now,
      });
      const rootPem = root.toPem();
      this.tls = { rootBundlePem: rootPem.certPem, certPem, keyPem };
      const kek = randomBytes(32);
      const unlockKey = request.autolock ? formatUnlockKey(kek) : null;
      this.node = {
        nodeId,
        clusterId,
        role: 'manager',
        raftId,
        advertiseAddr,
        listenAddr,
        listenSpec: request.listenAddr,
        advertiseSpec: request.advertiseAddr,
        managers: [advertiseAddr],
        autolock: request.autolock,
      };
      // Under autolock the TLS key is sealed with the unlock key from the start.
      this.keySealedWith = request.autolock ? kek : null;
      this.files.saveTls(this.tls, [this.keySealedWith]);
      if (!request.autolock) this.files.saveKek(kek);
      this.files.save(this.node);
      await this.startManager(kek, { voters: [raftId], learners: [], removed: [] }, []);
      const state = this.manager!.state;
      await waitUntil(() => state.isLeader(), 10_000, 'this manager to become leader');
      spec.EncryptionConfig = { AutoLockManagers: request.autolock };
      await state.propose([
        {
          kind: 'create',
          table: 'cluster',
          object: {
            ID: clusterId,
            Spec: spec,
            TLSInfo: clusterTlsInfo(rootPem.certPem, rootPem.certPem),
            RootRotationInProgress: false,
            DataPathPort: 4789,
            DefaultAddrPool: ['10.0.0.0/8'],
            SubnetSize: 24,
            JoinTokens: {
              Worker: generateJoinToken(rootPem.certPem),
              Manager: generateJoinToken(rootPem.certPem),
            },
            Internal: {
              rootCaKeyPem: rootPem.keyPem,
              raftIds: { [nodeId]: raftId },
              ...(unlockKey ? { unlockKey } : {}),
            },
          },
        },
        {
          kind: 'create',
          table: 'nodes',
          object: {
            ID: nodeId,
            Spec: { Labels: {}, Role: 'manager', Availability: request.availability },
            Description: this.describe(),
            Status: { State: 'unknown', Addr: hostOf(advertiseAddr) },
            ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: advertiseAddr },
          },
        },
        // Docker's routing-mesh network, created with the cluster (10.0.0.0/24).
        {
          kind: 'create',
          table: 'networks',
          object: ingressNetworkInput(newObjectId(), {
            DefaultAddrPool: ['10.0.0.0/8'],
            SubnetSize: 24,
          }),
        },
      ]);
      await this.startAgent();
      this.localState = 'active';
      this.options.log(`swarm initialized: node ${nodeId}, cluster ${clusterId}`);
      return { nodeId, unlockKey };
    });
  }

  join(request: JoinRequest): Promise<void> {
    return this.exclusive(async () => {
      this.assertInactive();
      const remote = request.remoteAddrs[0];
      if (!remote) throw new SwarmError(400, 'at least one manager address is required to join');
      const { listenAddr, advertiseAddr } = resolveNodeAddresses(
        request.listenAddr,
        request.advertiseAddr,
      );
      this.localState = 'pending';
      try {
        const joined = await joinCluster({
          remoteAddr: withPort(remote),
          token: request.token,
          advertiseAddr,
          availability: request.availability,
          description: this.describe(),
        });
        this.tls = joined.tls;
        this.keySealedWith = null;
        this.node = {
          nodeId: joined.nodeId,
          clusterId: joined.clusterId,
          role: joined.role,
          raftId: null,
          advertiseAddr,
          listenAddr,
          listenSpec: request.listenAddr,
          advertiseSpec: request.advertiseAddr,
          managers: joined.managers.map((m) => m.addr),
          autolock: false,
        };
        if (this.node.managers.length === 0) this.node.managers = [withPort(remote)];
        this.files.saveTls(this.tls);
        this.files.save(this.node);
        if (joined.role === 'manager') {
          await this.joinAsManager([...joined.managers.map((m) => m.addr), withPort(remote)]);
        }
        await this.startAgent();
        this.localState = 'active';
        this.options.log(`joined the swarm as a ${joined.role}: node ${joined.nodeId}`);
      } catch (error) {
        await this.stopRuntime();
        this.files.clear();
        this.node = null;
        this.localState = 'inactive';
        if (error instanceof SwarmError) throw error;
        const status = (error as { status?: number }).status ?? 503;
        throw new SwarmError(status, (error as Error).message);
      }
    });
  }

  leave(force: boolean): Promise<void> {
    return this.exclusive(async () => {
      if (!this.node) {
        throw new SwarmError(503, 'This node is not part of a swarm');
      }
      if (this.node.role === 'manager' && !force) {
        const managers = this.cluster ? managerAddresses(this.cluster.store).length : 1;
        throw new SwarmError(
          503,
          `You are attempting to leave the swarm on a node that is participating as a manager. Removing this node leaves ${managers - 1} managers out of ${managers}. Without a Raft quorum your swarm will be inaccessible. The only way to restore a swarm that has lost consensus is to reinitialize it with \`--force-new-cluster\`. Use \`--force\` to suppress this message.`,
        );
      }
      // As docker: a node that leaves stops and removes its tasks' containers and processes.
      await this.agent?.removeAllTasks();
      await this.stopRuntime();
      this.files.clear();
      this.node = null;
      this.tls = null;
      this.localState = 'inactive';
      this.options.log('left the swarm');
    });
  }

  unlock(key: string): Promise<void> {
    return this.exclusive(async () => {
      if (this.localState !== 'locked') throw new SwarmError(503, 'swarm is not locked!');
      let kek: Uint8Array;
      try {
        kek = parseUnlockKey(key);
      } catch {
        throw new SwarmError(400, 'invalid key: the unlock key must look like SWMKEY-1-...');
      }
      try {
        this.loadTls(kek);
        await this.startManager(kek, null, []);
      } catch (error) {
        await this.stopRuntime();
        if (error instanceof StorageLockedError || error instanceof NodeKeyLockedError) {
          throw new SwarmError(400, 'invalid key: it does not unlock the Raft data of this node');
        }
        throw error;
      }
      await this.startAgent();
      this.localState = 'active';
    });
  }

  async stop(): Promise<void> {
    await this.exclusive(() => this.stopRuntime());
  }

  /** Promotes or demotes a node of the cluster (this node must be a manager). */
  async changeNodeRole(nodeId: string, role: 'manager' | 'worker', version: number): Promise<void> {
    if (!this.manager) throw new SwarmError(503, 'This node is not a swarm manager.');
    await this.manager.roles.change(nodeId, role, version);
  }

  /**
   * The cluster changed this node's role: get a certificate for the new role, then start or
   * stop the manager parts. Runs once at a time; a failure is retried on a later heartbeat.
   */
  private adoptRole(role: 'manager' | 'worker'): void {
    if (this.adopting) return;
    this.adopting = true;
    void this.exclusive(async () => {
      const node = this.node;
      if (!node || node.role === role) return;
      this.options.log(`the cluster made this node a ${role}`);
      this.adoptTls(await renewCertificate(this.tls!, node.clusterId, node.managers));
      if (role === 'manager') {
        await this.joinAsManager(node.managers);
        // Only now: a failed attempt leaves the old role, so the next heartbeat retries.
        node.role = role;
        this.files.save(node);
      } else {
        node.role = role;
        await this.stopManagerParts();
        await this.listen(); // the mesh tunnel stays on the cluster port
        node.raftId = null;
        // A worker has no key-encryption key: its TLS key is kept plain.
        this.files.saveKey(this.tls!.keyPem, [null]);
        this.keySealedWith = null;
        this.kek = null;
        this.files.removeRaftData();
        this.files.save(node);
      }
    })
      .catch((error: unknown) => this.options.log(`role change: ${(error as Error).message}`))
      .finally(() => {
        this.adopting = false;
      });
  }

  /**
   * Asks for a Raft seat: tries the managers it knows in turn (some may be down) and follows
   * a follower's answer naming the leader.
   */
  private async joinAsManager(candidates: string[]): Promise<void> {
    const node = this.node!;
    const kek = randomBytes(32);
    this.files.saveKek(kek);
    await this.listen();
    const clients = new ManagerClients(this.tls!, node.clusterId);
    const queue = [...new Set(candidates.filter(Boolean))];
    let lastError: unknown = new Error('no manager address is known');
    try {
      for (let attempt = 0; attempt < MAX_JOIN_ATTEMPTS && queue.length > 0; attempt++) {
        const target = queue.shift()!;
        try {
          const answer = await clients.joinRaft(target, node.advertiseAddr);
          node.raftId = answer.raftId;
          this.files.save(node);
          await this.startManager(kek, null, answer.members);
          return;
        } catch (error) {
          lastError = error;
          const redirect = /the leader is at (\S+)/.exec((error as Error).message);
          if (redirect) queue.unshift(redirect[1]!);
        }
      }
      throw lastError;
    } finally {
      clients.close();
    }
  }

  private async listen(): Promise<void> {
    if (this.port) return;
    this.port = new ClusterPort(this.tls!);
    const clusterId = this.node!.clusterId;
    // Every node answers the mesh tunnel for its tasks, whatever its role.
    this.port.server.addService(
      clusterServiceDefinition('Mesh'),
      meshHandlers({
        mesh: () => this.agent?.mesh ?? null,
        authorize: (call) => {
          const verdict = authorize(call, clusterId, ['manager', 'worker']);
          if ('refusal' in verdict) throw new Error(verdict.refusal);
          return verdict.identity.nodeId;
        },
        log: this.options.log,
      }),
    );
    await this.port.listen(this.node!.listenAddr);
  }

  private async startManager(
    kek: Uint8Array,
    bootstrap: { voters: number[]; learners: number[]; removed: number[] } | null,
    initialPeers: ManagerAddress[],
  ): Promise<void> {
    const node = this.node!;
    await this.listen();
    const server = this.port!.server;
    const identify = (call: unknown, roles: readonly ('manager' | 'worker')[]) => {
      const verdict = authorize(call as Parameters<typeof authorize>[0], node.clusterId, roles);
      if ('refusal' in verdict) throw permissionDenied(verdict.refusal);
      return verdict.identity.nodeId;
    };
    this.manager = new ManagerNode({
      nodeId: node.nodeId,
      clusterId: node.clusterId,
      raftId: node.raftId!,
      advertiseAddr: node.advertiseAddr,
      raftDir: this.files.raftDir(),
      kek,
      tls: this.tls!,
      server,
      identify,
      bootstrap,
      initialPeers,
      newNodeId: () => newObjectId(),
      newRaftId: () => newRaftId(),
      tickMs: RAFT_TICK_MS,
      electionTicks: RAFT_ELECTION_TICKS,
      heartbeatTicks: RAFT_HEARTBEAT_TICKS,
      log: this.options.log,
      onFatal: (error) => {
        this.options.log(`fatal: ${(error as Error).message}`);
        this.localState = 'error';
      },
    });
    const manager = this.manager;
    const state = manager.state;
    const heartbeat = clusterObject(state.store)?.Spec.Dispatcher.HeartbeatPeriod;
    this.dispatcher = new Dispatcher({
      state,
      clusterId: node.clusterId,
      heartbeatPeriodMs: heartbeat
        ? heartbeat / NANOSECONDS_PER_MILLISECOND
        : DEFAULT_HEARTBEAT_PERIOD_MS,
      managers: () => managerAddresses(state.store),
      leaderAddress: () => addressOfRaftMember(state.store, state.leader()),
      onLeadershipChange: (listener) => manager.onLeadershipChange(listener),
    });
    this.dispatcher.attach(server);
    this.kek = kek;
    state.store.watch({ table: 'cluster', onEvent: () => this.syncKek() });
    const dispatcher = this.dispatcher;
    this.logBroker = new LogBroker({
      state,
      send: (nodeId, message) => dispatcher.sendLogSubscriptions(nodeId, message),
      identify,
      newId: () => newObjectId(),
    });
    this.logBroker.attach(server);
    this.options.onManagerState?.(state);
    this.manager.start();
    this.dispatcher.start();
    this.syncKek();
  }

  /**
   * Renews this node's certificate at a random point in 50-80 % of its lifetime, so a fleet
   * does not renew all at once; long waits are taken in steps (timers are bounded).
   */
  private scheduleRenewal(retry = false): void {
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    const certificate = parseNodeCertificate(this.tls!.certPem);
    const due = renewalTime(certificate.notBefore, certificate.notAfter).getTime();
    const soonest = retry ? RENEWAL_RETRY_MS : 1000;
    const wait = Math.max(soonest, Math.min(due - Date.now(), RENEWAL_CHECK_MAX_MS));
    this.renewalTimer = setTimeout(() => {
      this.renewalTimer = null;
      if (Date.now() < due) {
        this.scheduleRenewal();
        return;
      }
      let failed = false;
      void this.exclusive(async () => {
        const node = this.node;
        if (!node) return;
        this.adoptTls(await renewCertificate(this.tls!, node.clusterId, node.managers));
        this.options.log('node certificate renewed');
      })
        .catch((error: unknown) => {
          failed = true;
          this.options.log(`certificate renewal: ${(error as Error).message}`);
        })
        .finally(() => {
          if (this.node) this.scheduleRenewal(failed);
        });
    }, wait);
    this.renewalTimer.unref();
  }

  /** A renewed certificate or a new trust root: kept on disk, then used by every part. */
  private adoptTls(material: TlsMaterial): void {
    this.files.saveTls(material, [this.keySealedWith]);
    this.tls = material;
    this.agent?.updateTls(material);
    this.port?.updateTls(material);
    this.manager?.updateTls(material);
    // A pending renewal was timed for the certificate just replaced: time it for this one.
    if (this.renewalTimer) this.scheduleRenewal();
  }

  /** What the CA's status asks of this node during a root rotation. */
  private followCa(action: Exclude<TrustAction, { kind: 'none' }>): Promise<void> {
    return this.exclusive(async () => {
      const node = this.node;
      if (!node || !this.tls) return;
      if (action.kind === 'renew') {
        this.adoptTls(await renewCertificate(this.tls, node.clusterId, node.managers));
        this.options.log('root CA rotation: node certificate renewed from the new root');
      } else {
        this.adoptTls({ ...this.tls, rootBundlePem: action.rootBundlePem });
        this.options.log('root CA rotation: this node now trusts the new root CA');
      }
    });
  }

  private async startAgent(): Promise<void> {
    this.scheduleRenewal();
    const node = this.node!;
    this.caWatch = new CaWatch({
      tls: () => this.tls!,
      fetch: (tls) => fetchCaStatus(tls, node.clusterId, node.managers),
      act: (action) => this.followCa(action),
      log: this.options.log,
    });
    this.caWatch.start();
    await this.listen();
    const runtimes = await openRuntimes({
      dataDir: this.options.dataDir,
      dockerSocket:
        this.options.dockerSocket === undefined ? DEFAULT_DOCKER_SOCKET : this.options.dockerSocket,
      nodeId: node.nodeId,
      log: this.options.log,
    });
    this.agent = new NodeAgent({
      nodeId: node.nodeId,
      clusterId: node.clusterId,
      tls: this.tls!,
      managers: node.managers,
      addr: () => this.currentAdvertiseAddr(node.advertiseAddr),
      dataDir: this.options.dataDir,
      describe: {
        ...(this.options.hostname ? { hostname: this.options.hostname } : {}),
        version: runtimes.engineVersion ?? this.options.version,
      },
      drivers: runtimes.drivers,
      ...(this.options.ingressHost ? { ingressHost: this.options.ingressHost } : {}),
      log: this.options.log,
      onReply: (reply) => {
        const managers = reply.managers.map((m) => m.addr).filter(Boolean);
        if (managers.length > 0 && managers.join() !== node.managers.join()) {
          node.managers = managers;
          this.files.save(node);
        }
        if (reply.role && reply.role !== node.role) this.adoptRole(reply.role);
        // The cluster object moved (a rotation started or ended): ask the CA now.
        if (reply.clusterVersion !== 0 && reply.clusterVersion !== this.clusterVersion) {
          if (this.clusterVersion !== 0) this.caWatch?.pollSoon();
          this.clusterVersion = reply.clusterVersion;
        }
      },
    });
    this.agent.start();
    if (addressesCanMove(node)) {
      this.addressWatch = new AddressWatch({
        check: () => this.followAddress(),
        log: this.options.log,
      });
      this.addressWatch.start();
    }
  }

  private async stopRuntime(): Promise<void> {
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    this.renewalTimer = null;
    this.caWatch?.stop();
    this.caWatch = null;
    this.addressWatch?.stop();
    this.addressWatch = null;
    await this.agent?.stop();
    this.agent = null;
    await this.stopManagerParts();
  }

  /** Dispatcher, replicated state and cluster port: what only a manager runs. */
  /**
   * Keeps the key that opens this manager's Raft data as the cluster's autolock setting wants
   * it: with autolock, the unlock key (never on disk); without, a key in raft/kek. Turning
   * autolock off writes the current key to disk (nothing to rewrap, so nothing to lose on a
   * crash); turning it on or rotating the unlock key rewraps the data key first, then removes
   * the file, so a crash in between leaves a node that the new unlock key unlocks.
   */
  private syncKek(): void {
    const manager = this.manager;
    const kek = this.kek;
    if (manager === null || kek === null) return;
    const cluster = clusterObject(manager.state.store);
    if (!cluster) return;
    try {
      const key = cluster.Internal.unlockKey;
      if (key) {
        const wanted = parseUnlockKey(key);
        if (!sameKey(wanted, kek)) {
          // The TLS key first gets a copy under the new key beside the one the Raft data's
          // current key opens, so whichever key the data is under after a crash opens it too.
          this.files.saveKey(this.tls!.keyPem, [this.keySealedWith, wanted]);
          manager.rotateKek(wanted);
          this.kek = wanted;
          this.options.log('autolock: the Raft data is now locked by the current unlock key');
        }
        if (!sameKey(this.keySealedWith, wanted)) {
          this.files.saveKey(this.tls!.keyPem, [wanted]);
          this.keySealedWith = wanted;
        }
        this.files.removeKek();
      } else {
        if (this.files.loadKek() === null) {
          this.files.saveKek(kek);
          this.options.log('autolock is off: the Raft data key is kept on this node');
        }
        if (this.keySealedWith !== null) {
          this.files.saveKey(this.tls!.keyPem, [null]);
          this.keySealedWith = null;
        }
      }
    } catch (error) {
      this.options.log(`autolock: ${(error as Error).message}`);
    }
  }

  /**
   * `swarm init --force-new-cluster` on a manager: this member alone becomes the Raft group,
   * with all its state; the other managers become workers.
   */
  private async recover(): Promise<{ nodeId: string; unlockKey: string | null }> {
    const node = this.node!;
    if (this.localState === 'locked') {
      throw new SwarmError(
        503,
        'Swarm is encrypted and needs to be unlocked before it can be used. Please use "shoal swarm unlock" to unlock it.',
      );
    }
    const kek = this.files.loadKek() ?? this.kek;
    if (kek === null || node.raftId === null) {
      throw new SwarmError(500, 'this manager holds no Raft data to recover from');
    }
    await this.stopRuntime();
    const storage = RaftStorage.open({
      dir: this.files.raftDir(),
      fs: new NodeFileSystem(),
      kek,
      keepEntries: 500,
    });
    let removed: number[];
    try {
      removed = forceNewCluster(storage, node.raftId);
    } finally {
      storage.close();
    }
    this.options.log(`force-new-cluster: removed Raft members ${removed.join(', ') || '(none)'}`);
    node.managers = [node.advertiseAddr];
    this.files.save(node);
    await this.startManager(kek, null, []);
    const state = this.manager!.state;
    await waitUntil(() => state.isLeader(), 20_000, 'this manager to become leader');
    const changes = recordRecovery(state.store, removed);
    if (changes.length > 0) await state.propose(changes);
    await this.startAgent();
    this.localState = 'active';
    return { nodeId: node.nodeId, unlockKey: null };
  }

  /** Logs of tasks on every node: through this manager's broker when it leads, else the leader's. */
  openLogs(query: LogsQuery): LogSource {
    const manager = this.manager;
    const broker = this.logBroker;
    if (manager === null || broker === null) throw new Error('this node is not a manager');
    const state = manager.state;
    if (state.isLeader()) return broker.open(query);
    const leader = addressOfRaftMember(state.store, state.leader());
    return remoteLogSource(manager.clients.subscribeLogs(leader, encodeJson(query)));
  }

  private async stopManagerParts(): Promise<void> {
    this.logBroker?.closeAll();
    this.logBroker = null;
    this.dispatcher?.stop();
    this.dispatcher = null;
    await this.manager?.stop();
    this.manager = null;
    this.options.onManagerState?.(null);
    await this.port?.close();
    this.port = null;
  }

  /** The description sent with init and join; the agent's session keeps it current. */
  private describe() {
    return describeNode({
      ...(this.options.hostname ? { hostname: this.options.hostname } : {}),
      version: this.options.version,
    });
  }

  private assertInactive(): void {
    if (this.node || this.localState !== 'inactive') {
      throw new SwarmError(
        503,
        'This node is already part of a swarm. Use "shoal swarm leave" to leave this swarm and join another one.',
      );
    }
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.busy.then(run, run);
    this.busy = next.catch(() => undefined);
    return next;
  }
}

/** host → host:2377; host:port as is. */
function withPort(address: string): string {
  if (/^\[.*\]:\d+$/.test(address) || /^[^:]+:\d+$/.test(address)) return address;
  return `${address}:${DEFAULT_CLUSTER_PORT}`;
}

function sameKey(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a !== null && b !== null && Buffer.from(a).equals(Buffer.from(b));
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new SwarmError(503, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export { SwarmError };
