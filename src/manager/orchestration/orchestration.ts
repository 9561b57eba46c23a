// The leader's orchestration loop: the I/O around the pure orchestrators and scheduler.
//
// While this manager leads, a store watch marks services dirty (a service changed, one of its
// tasks changed, or any node changed); a pass then reconciles each dirty service
// (src/orchestrator), proposes the plans (each batch through the allocator, which gives new
// tasks their network addresses: src/manager/allocator), allocates tasks still waiting for
// addresses, schedules pending tasks (src/scheduler) and proposes the assignments. Passes run one at a time; events during a pass make another pass follow.
// Plans carry expected versions, so a pass racing another writer fails with a conflict and is
// simply run again on fresh state. A plan's wake time (restart delay, update delay, monitor)
// sets a timer. Nothing runs while idle: no timers unless something is due. Leadership is not
// polled either: the manager calls leadershipChanged() whenever Raft reports a new role.
import {
  type OrchestratorContext,
  reconcileService,
  timestampOf,
} from '../../orchestrator/index.ts';
import {
  type Change,
  ConflictError,
  MAX_CHANGES_PER_BATCH,
  NotFoundError,
  type Watcher,
} from '../../store/index.ts';
import { allocateBatch, waitingTasks } from '../allocator/index.ts';
import type { ClusterState } from '../cluster-state.ts';
import { planScheduling } from './scheduling.ts';

/** Events within this window are handled by one pass. */
const DEBOUNCE_MS = 20;
/** Bounds one pass: dirty services reconciled per pass (the rest wait for the next). */
const MAX_SERVICES_PER_PASS = 500;
/** After a failed pass (no quorum, conflicts), wait before trying again. */
const RETRY_MS = 500;
const DEFAULT_HISTORY_LIMIT = 5;

export interface OrchestrationOptions {
  state: ClusterState;
  newId: () => string;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
}

export interface OrchestrationStats {
  leading: boolean;
  passes: number;
  proposals: number;
  conflicts: number;
}

export class Orchestration {
  private readonly state: ClusterState;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: (line: string) => void;
  private readonly dirty = new Set<string>();
  private watcher: Watcher | null = null;
  /** Leads again after the watch closed on an error (the store refused a slow consumer...). */
  private restartTimer: NodeJS.Timeout | null = null;
  private passTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly counters = { passes: 0, proposals: 0, conflicts: 0 };

  constructor(private readonly options: OrchestrationOptions) {
    this.state = options.state;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => {});
  }

  start(): void {
    this.leadershipChanged();
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.stepDown();
  }

  stats(): OrchestrationStats {
    return { leading: this.watcher !== null, ...this.counters };
  }

  /**
   * Raft reported a role change (or may have): gaining leadership starts a full pass, losing it
   * stops the loop. Idempotent.
   */
  leadershipChanged(): void {
    if (this.stopped) return;
    const leading = this.state.isLeader();
    if (leading && this.watcher === null) this.lead();
    else if (!leading && this.watcher !== null) this.stepDown();
  }

  private lead(): void {
    const store = this.state.store;
    // Read and watch in one synchronous turn: nothing applies in between.
    this.watcher = store.watch({
      table: ['services', 'tasks', 'nodes', 'cluster'],
      onEvent: (event) => {
        if (event.table === 'services') this.dirty.add(event.object.ID);
        else if (event.table === 'tasks') this.dirty.add(event.object.ServiceID);
        else this.markAll();
        this.schedulePass(DEBOUNCE_MS);
      },
      onClose: (error) => {
        if (error && !this.stopped) {
          this.log(`orchestrator: watch closed (${error.message}); starting over`);
          this.watcher = null;
          this.stepDown();
          this.restartTimer ??= setTimeout(() => {
            this.restartTimer = null;
            this.leadershipChanged();
          }, RETRY_MS);
        }
      },
    });
    this.markAll();
    this.log('orchestrator: leading; reconciling every service');
    this.schedulePass(0);
  }

  private stepDown(): void {
    this.watcher?.close();
    this.watcher = null;
    this.dirty.clear();
    if (this.passTimer) clearTimeout(this.passTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.passTimer = null;
    this.wakeTimer = null;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }

  private markAll(): void {
    const store = this.state.store;
    for (const service of store.list('services')) this.dirty.add(service.ID);
    // Tasks whose service is gone still need reaping.
    for (const task of store.list('tasks')) {
      if (store.get('services', task.ServiceID) === undefined) this.dirty.add(task.ServiceID);
    }
  }

  private schedulePass(delayMs: number): void {
    if (this.watcher === null || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.passTimer !== null) return;
    this.passTimer = setTimeout(() => {
      this.passTimer = null;
      void this.pass();
    }, delayMs);
  }

  private wake(at: number): void {
    if (at >= this.wakeAt) return;
    this.wakeAt = at;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.markAll();
        this.schedulePass(0);
      },
      Math.max(0, at - this.now()),
    );
  }

  private async pass(): Promise<void> {
    if (this.watcher === null || !this.state.isLeader()) return;
    this.running = true;
    this.again = false;
    this.counters.passes++;
    let retry = false;
    try {
      await this.reconcileDirty();
      // Tasks still NEW (no addresses when they were made) try again: addresses may be free.
      await this.proposeAll(waitingTasks(this.state.store.list('tasks')), this.now());
      const now = this.now();
      const assignments = planScheduling(this.state.store, timestampOf(now), this.random);
      await this.proposeAll(assignments, now);
    } catch (error) {
      retry = true;
      if (error instanceof ConflictError || error instanceof NotFoundError) {
        this.counters.conflicts++;
        this.markAll();
      } else {
        this.log(`orchestrator: pass failed: ${(error as Error).message}`);
        this.markAll();
      }
    } finally {
      this.running = false;
    }
    if (retry) this.schedulePass(RETRY_MS);
    else if (this.again || this.dirty.size > 0) this.schedulePass(DEBOUNCE_MS);
  }

  private async reconcileDirty(): Promise<void> {
    const store = this.state.store;
    const ids = [...this.dirty].slice(0, MAX_SERVICES_PER_PASS);
    for (const id of ids) this.dirty.delete(id);
    const now = this.now();
    const ctx: OrchestratorContext = {
      now,
      newId: this.options.newId,
      nodes: new Map(store.list('nodes').map((node) => [node.ID, node])),
      historyLimit:
        store.list('cluster')[0]?.Spec.Orchestration.TaskHistoryRetentionLimit ??
        DEFAULT_HISTORY_LIMIT,
    };
    const changes: Change[] = [];
    for (const id of ids) {
      const service = store.get('services', id);
      const tasks = store.find('tasks', { by: 'serviceId', value: id });
      const plan = reconcileService(service, tasks, ctx);
      if (plan.wakeAt !== undefined) this.wake(plan.wakeAt);
      changes.push(...plan.changes());
    }
    await this.proposeAll(changes, now);
  }

  /**
   * Proposes in batches of at most MAX_CHANGES_PER_BATCH, each stamped with `now`. Each batch
   * goes through the allocator on the store as the previous batch left it (proposals resolve
   * once applied here), so its addresses and fence are computed on fresh state.
   */
  private async proposeAll(changes: Change[], now: number): Promise<void> {
    const timestamp = timestampOf(now);
    const store = this.state.store;
    let rest = changes;
    while (rest.length > 0) {
      const state = {
        networks: store.list('networks'),
        services: store.list('services'),
        tasks: store.list('tasks'),
      };
      const { batch, consumed } = allocateBatch(state, rest, MAX_CHANGES_PER_BATCH, timestamp);
      if (consumed === 0) throw new Error('the allocator took no change into a batch');
      rest = rest.slice(consumed);
      if (batch.length === 0) continue;
      this.counters.proposals++;
      await this.state.propose(batch, timestamp);
    }
  }
}
