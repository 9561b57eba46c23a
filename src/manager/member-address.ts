// A manager that comes back on a new address keeps its place in the Raft group.
//
// A manager's member entry is its node's ManagerStatus.Addr in the replicated store (keyed to
// its Raft id by the cluster object's raftIds): every manager dials its Raft peers at the
// addresses the store names (ManagerNode re-dials when the nodes table changes), and agents
// learn managers' addresses from their sessions, which read the same entries. So when the
// address a manager advertises at start differs from its entry, it has the entry rewritten:
// on the leader by proposing the change itself, else by asking the leader (Manager.JoinRaft
// with its new address, the call a joining manager makes; the leader writes the entry for the
// node named by the caller's certificate, so a manager can only move itself). The write is a
// Raft proposal like any other: it commits with a quorum of the others, since the leader
// cannot reach the moved manager before it; once applied, every peer dials the new address.
// The same runs again (follow()) when the address changes while the daemon runs.
import type { Change, Node, Store } from '../store/index.ts';
import type { ClusterState } from './cluster-state.ts';
import { addressOfRaftMember, clusterObject, managerAddresses } from './cluster-view.ts';

/** Managers asked in one round, redirects included. */
const MAX_CALLS_PER_ROUND = 8;
/** Delay before the first check, and after a successful call before the check that confirms it. */
const CHECK_SOON_MS = 1000;
/** Longest wait between rounds (failures back off, doubling from CHECK_SOON_MS). */
const BACKOFF_MAX_MS = 30_000;
const GRPC_PERMISSION_DENIED = 7;

/** How this manager's member entry compares with the address it advertises now. */
export type MemberEntry =
  | { kind: 'current' }
  /** The store does not hold this manager's entry (yet): its log is still being applied. */
  | { kind: 'unknown' }
  | { kind: 'stale'; recorded: string; node: Node };

export function memberEntry(
  store: Store,
  nodeId: string,
  raftId: number,
  advertiseAddr: string,
): MemberEntry {
  const node = store.get('nodes', nodeId);
  const recordedRaftId = clusterObject(store)?.Internal.raftIds[nodeId];
  if (node?.ManagerStatus === undefined || recordedRaftId !== raftId) return { kind: 'unknown' };
  const recorded = node.ManagerStatus.Addr;
  return recorded === advertiseAddr ? { kind: 'current' } : { kind: 'stale', recorded, node };
}

/** The leader's own write of its new address (the others dial it once it is applied). */
export function memberAddressChange(node: Node, addr: string): Change {
  if (node.ManagerStatus === undefined) throw new Error(`node ${node.ID} is not a manager`);
  return {
    kind: 'update',
    table: 'nodes',
    object: { ...node, ManagerStatus: { ...node.ManagerStatus, Addr: addr } },
    expectedVersion: node.Version.Index,
  };
}

/**
 * Managers to ask for the update, in order: the leader if known, then every other manager the
 * store names (any of them names the leader). Never this manager's own old address.
 */
export function registrationTargets(store: Store, selfRaftId: number, leader: number): string[] {
  const targets: string[] = [];
  if (leader !== 0 && leader !== selfRaftId) targets.push(addressOfRaftMember(store, leader));
  for (const manager of managerAddresses(store)) {
    if (manager.raftId !== selfRaftId) targets.push(manager.addr);
  }
  return [...new Set(targets.filter(Boolean))];
}

/** A follower's refusal names the leader: `not the leader; the leader is at HOST:PORT`. */
export function redirectOf(error: unknown): string | null {
  return /the leader is at (\S+)/.exec((error as Error).message ?? '')?.[1] ?? null;
}

export interface MemberAddressOptions {
  state: ClusterState;
  nodeId: string;
  raftId: number;
  /** host:port this manager advertises now. */
  advertiseAddr: string;
  /** Asks the manager at `target` to record `addr` as this manager's address (JoinRaft). */
  register: (target: string, addr: string) => Promise<{ raftId: number }>;
  log: (line: string) => void;
}

/**
 * Brings this manager's member entry in line with the address it advertises, in rounds: one
 * at a time, each asking at most MAX_CALLS_PER_ROUND managers; failures back off up to
 * BACKOFF_MAX_MS. Rests once the store holds the address (or the cluster says this node is no
 * longer a manager); nothing runs then until follow() names another address (the node's
 * address changed while it runs).
 */
export class MemberAddressUpdater {
  private timer: NodeJS.Timeout | null = null;
  private advertiseAddr: string;
  /** Bumped by follow(): a round started for an older address does not end the work. */
  private generation = 0;
  private running = false;
  private failures = 0;
  /** Checks that found no entry of this manager in an up-to-date store. */
  private waits = 0;
  private announced = false;
  private finished = false;
  private started = false;
  private stopped = false;
  /** Applied index the store must reach before an absent entry means anything. */
  private replayedAt = 0;

  constructor(private readonly options: MemberAddressOptions) {
    this.advertiseAddr = options.advertiseAddr;
  }

  /** Call once the replicated state runs: the first check follows shortly. */
  start(): void {
    this.started = true;
    this.replayedAt = this.options.state.raft.log.committed;
    this.schedule(CHECK_SOON_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * This manager advertises `addr` from now on (its interface got another address while the
   * daemon runs): the entry is brought in line again, starting shortly.
   */
  follow(addr: string): void {
    if (this.stopped || addr === this.advertiseAddr) return;
    this.advertiseAddr = addr;
    this.generation++;
    this.finished = false;
    this.announced = false;
    this.failures = 0;
    this.waits = 0;
    if (!this.started || this.running) return; // start() or the round's end schedules
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.schedule(CHECK_SOON_MS);
  }

  /** The address the entry is being brought to (or holds). */
  get address(): string {
    return this.advertiseAddr;
  }

  /** True once the member entry holds the advertised address (or there is nothing to do). */
  get done(): boolean {
    return this.finished;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.finished || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = true;
      const generation = this.generation;
      void this.round().then(
        (next) => {
          this.running = false;
          if (generation !== this.generation) {
            this.finished = false;
            this.schedule(CHECK_SOON_MS);
          } else {
            this.schedule(next);
          }
        },
        (error: unknown) => {
          this.running = false;
          if (this.stopped) return; // the manager is stopping: its proposals fail
          if (generation !== this.generation) {
            this.schedule(CHECK_SOON_MS); // asked for an address it no longer has
            return;
          }
          if (isPermissionDenied(error)) {
            // No longer a manager of this cluster: its session will make it a worker.
            this.finished = true;
            this.options.log(`raft: this manager's address is not updated: ${message(error)}`);
            return;
          }
          this.failures++;
          this.options.log(`raft: cannot update this manager's address yet: ${message(error)}`);
          this.schedule(backoff(this.failures));
        },
      );
    }, delayMs);
  }

  /** One round; resolves with the delay before the next check (none once finished). */
  private async round(): Promise<number> {
    const { state, nodeId, raftId } = this.options;
    const advertiseAddr = this.advertiseAddr;
    const entry = memberEntry(state.store, nodeId, raftId, advertiseAddr);
    if (entry.kind === 'current') {
      if (this.announced) this.options.log(`raft: this manager's address is now ${advertiseAddr}`);
      this.finished = true;
      return 0;
    }
    if (entry.kind === 'unknown') {
      // Still replaying, or a new member catching up: its entry comes with the log.
      if (state.raft.log.applied < this.replayedAt) return CHECK_SOON_MS;
      this.waits++;
      return backoff(this.waits);
    }
    if (!this.announced) {
      this.announced = true;
      this.options.log(
        `raft: this manager advertises ${advertiseAddr}, its member entry says ${entry.recorded}: updating it`,
      );
    }
    if (state.isLeader()) {
      await state.propose([memberAddressChange(entry.node, advertiseAddr)]);
    } else {
      await this.askLeader(entry.recorded, advertiseAddr);
    }
    this.failures = 0;
    return CHECK_SOON_MS;
  }

  /**
   * Asks the managers the store names, following redirects to the leader; not one to this
   * manager's old address (the others may still name it leader until they elect another).
   */
  private async askLeader(ownOldAddr: string, advertiseAddr: string): Promise<void> {
    const { state, raftId } = this.options;
    const queue = registrationTargets(state.store, raftId, state.leader());
    let lastError: unknown = new Error('no other manager is known');
    for (let call = 0; call < MAX_CALLS_PER_ROUND && queue.length > 0; call++) {
      const target = queue.shift()!;
      let answer: { raftId: number };
      try {
        answer = await this.options.register(target, advertiseAddr);
      } catch (error) {
        if (isPermissionDenied(error)) throw error;
        lastError = error;
        const redirect = redirectOf(error);
        if (redirect !== null && redirect !== target && redirect !== ownOldAddr) {
          queue.unshift(redirect);
        }
        continue;
      }
      if (answer.raftId !== raftId) {
        throw new Error(
          `the leader answered with Raft id ${answer.raftId}, this manager holds ${raftId}`,
        );
      }
      return;
    }
    throw lastError;
  }
}

/** CHECK_SOON_MS doubled per attempt, at most BACKOFF_MAX_MS. */
function backoff(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, CHECK_SOON_MS * 2 ** Math.min(attempts, 5));
}

function isPermissionDenied(error: unknown): boolean {
  return (error as { code?: unknown }).code === GRPC_PERMISSION_DENIED;
}

function message(error: unknown): string {
  const { details, message } = error as { details?: string; message?: string };
  return details || message || String(error);
}
