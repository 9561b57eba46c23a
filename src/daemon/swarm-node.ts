// A node's membership in a swarm and what runs because of it: inactive, a manager (cluster
// port, replicated state, dispatcher, its own agent), a worker (its agent), or a manager
// whose Raft data is locked until `swarm unlock`. Init, join, leave and unlock move between
// those states; a restarted daemon resumes from what node-state.ts kept on disk.
import { randomBytes } from 'node:crypto';
import { describeNode, NodeAgent } from '../agent/index.ts';
import { Dispatcher } from '../manager/dispatcher/index.ts';
import {
  addressOfRaftMember,
  type ClusterState,
  clusterObject,
  forceNewCluster,
  hostOf,
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
import {
  formatUnlockKey,
  generateJoinToken,
  generateNodeKeyAndCsr,
  parseNodeCertificate,
  parseUnlockKey,
  RootCa,
  renewalTime,
  type TlsMaterial,
} from '../pki/index.ts';
import { NodeFileSystem, RaftStorage, StorageLockedError } from '../storage/index.ts';
import type { ClusterSpec, NodeAvailability } from '../store/index.ts';
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
import { type NodeState, NodeStateStore } from './node-state.ts';
import { renewCertificate } from './renew.ts';
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
  log: (line: string) => void;
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
    this.node = this.files.load();
    this.tls = this.files.loadTls();
    if (this.node.role === 'manager') {
      const kek = this.files.loadKek();
      if (!kek) {
        this.localState = 'locked';
        this.options.log('the swarm is locked: run `shoal swarm unlock`');
        return;
      }
      try {
        await this.startManager(kek, null, []);
      } catch (error) {
        // The key on disk no longer opens the data: autolock was turned on and the daemon
        // stopped before it removed that key. The unlock key opens it.
        if (!(error instanceof StorageLockedError)) throw error;
        await this.stopManagerParts();
        this.localState = 'locked';
        this.options.log('the swarm is locked: run `shoal swarm unlock`');
        return;
      }
    }
    await this.startAgent();
    this.localState = 'active';
  }

  init(request: InitRequest): Promise<{ nodeId: string; unlockKey: string | null }> {
    return this.exclusive(async () => {
      if (request.forceNewCluster && this.node?.role === 'manager') return this.recover();
      this.assertInactive();
      const listenAddr = withPort(request.listenAddr || `0.0.0.0:${DEFAULT_CLUSTER_PORT}`);
      const advertiseAddr = advertised(request.advertiseAddr, listenAddr);
      const spec = { ...defaultClusterSpec(), ...request.spec };
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
        managers: [advertiseAddr],
        autolock: request.autolock,
      };
      this.files.saveTls(this.tls);
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
            TLSInfo: { TrustRoot: rootPem.certPem, CertIssuerSubject: '', CertIssuerPublicKey: '' },
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
      const listenAddr = withPort(request.listenAddr || `0.0.0.0:${DEFAULT_CLUSTER_PORT}`);
      const advertiseAddr = advertised(request.advertiseAddr, listenAddr);
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
        this.node = {
          nodeId: joined.nodeId,
          clusterId: joined.clusterId,
          role: joined.role,
          raftId: null,
          advertiseAddr,
          listenAddr,
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
        await this.startManager(kek, null, []);
      } catch (error) {
        await this.stopRuntime();
        if (error instanceof StorageLockedError) {
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
      this.tls = await renewCertificate(this.tls!, node.clusterId, node.managers);
      this.files.saveTls(this.tls);
      this.agent?.updateTls(this.tls);
      this.port?.updateTls(this.tls);
      if (role === 'manager') {
        await this.joinAsManager(node.managers);
        // Only now: a failed attempt leaves the old role, so the next heartbeat retries.
        node.role = role;
        this.files.save(node);
      } else {
        node.role = role;
        await this.stopManagerParts();
        node.raftId = null;
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
    const state = this.manager.state;
    const heartbeat = clusterObject(state.store)?.Spec.Dispatcher.HeartbeatPeriod;
    this.dispatcher = new Dispatcher({
      state,
      clusterId: node.clusterId,
      heartbeatPeriodMs: heartbeat
        ? heartbeat / NANOSECONDS_PER_MILLISECOND
        : DEFAULT_HEARTBEAT_PERIOD_MS,
      managers: () => managerAddresses(state.store),
      leaderAddress: () => addressOfRaftMember(state.store, state.leader()),
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
        this.tls = await renewCertificate(this.tls!, node.clusterId, node.managers);
        this.files.saveTls(this.tls);
        this.agent?.updateTls(this.tls);
        this.port?.updateTls(this.tls);
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

  private async startAgent(): Promise<void> {
    this.scheduleRenewal();
    const node = this.node!;
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
      addr: node.advertiseAddr,
      dataDir: this.options.dataDir,
      describe: {
        ...(this.options.hostname ? { hostname: this.options.hostname } : {}),
        version: runtimes.engineVersion ?? this.options.version,
      },
      drivers: runtimes.drivers,
      log: this.options.log,
      onReply: (reply) => {
        const managers = reply.managers.map((m) => m.addr).filter(Boolean);
        if (managers.length > 0 && managers.join() !== node.managers.join()) {
          node.managers = managers;
          this.files.save(node);
        }
        if (reply.role && reply.role !== node.role) this.adoptRole(reply.role);
      },
    });
    this.agent.start();
  }

  private async stopRuntime(): Promise<void> {
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    this.renewalTimer = null;
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
        if (!Buffer.from(wanted).equals(Buffer.from(kek))) {
          manager.rotateKek(wanted);
          this.kek = wanted;
          this.options.log('autolock: the Raft data is now locked by the current unlock key');
        }
        this.files.removeKek();
      } else if (this.files.loadKek() === null) {
        this.files.saveKek(kek);
        this.options.log('autolock is off: the Raft data key is kept on this node');
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

/** The address to advertise: the one given (its port defaults to the listen port). */
function advertised(advertise: string, listenAddr: string): string {
  const listenPort = listenAddr.slice(listenAddr.lastIndexOf(':') + 1);
  if (advertise) {
    return /:\d+$/.test(advertise) && !advertise.endsWith(']')
      ? advertise
      : `${advertise}:${listenPort}`;
  }
  const host = hostOf(listenAddr);
  if (host === '0.0.0.0' || host === '::' || host === '') {
    throw new SwarmError(
      400,
      'could not choose an IP address to advertise: use --advertise-addr to name the address other nodes reach this one at',
    );
  }
  return listenAddr;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new SwarmError(503, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export { SwarmError };
