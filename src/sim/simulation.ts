// A whole cluster in one process, driven by one seed: message delay, loss, duplication and
// reordering; symmetric and asymmetric partitions; crashes with torn writes; failed fsyncs;
// membership changes; leadership transfers; and clients whose history must be linearizable.
import {
  type ConfChange,
  ConfChangeType,
  EMPTY_BYTES,
  type Message,
  type NodeId,
  Role,
} from '../raft/index.ts';
import { CommandKind, encodeCommand } from '../raftkv/state-machine.ts';
import { EventQueue } from './event-queue.ts';
import { type KvInput, type KvOutput, kvModel } from './kv-model.ts';
import { checkLinearizability, type Operation } from './linearizability.ts';
import { Random } from './random.ts';
import { SafetyChecker, SafetyViolation } from './safety.ts';
import { SimNode } from './sim-node.ts';

export interface SimulationOptions {
  seed: number;
  /** Virtual time with faults, then a quiet period to check liveness and convergence. */
  faultyMs: number;
  quietMs: number;
  trace?: (line: string) => void;
}

export interface SimulationResult {
  seed: number;
  ok: boolean;
  error?: string;
  operations: number;
  committed: number;
  elections: number;
  crashes: number;
  membershipChanges: number;
  events: number;
}

const TICK_MS = 10;
const ELECTION_TICKS = 10;
const CLIENT_TIMEOUT_MS = 600;
const MAX_EVENTS = 2_000_000;

interface NetworkConditions {
  lossRate: number;
  duplicateRate: number;
  delayMinMs: number;
  delayMaxMs: number;
}

export class Simulation {
  private readonly random: Random;
  private readonly events = new EventQueue();
  private readonly safety = new SafetyChecker();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly blocked = new Set<string>();
  private readonly history: Operation<KvInput, KvOutput>[] = [];
  private network: NetworkConditions;
  private nextNodeId: NodeId;
  private faultsOn = true;
  private clientsOn = true;
  private nextRequest = 0;
  private stats = { crashes: 0, membershipChanges: 0, elections: 0 };
  private lastLeaderTerm = 0;
  private readonly keys = ['x', 'y', 'z'];

  constructor(private readonly options: SimulationOptions) {
    this.random = new Random(options.seed);
    const founders = this.random.chance(0.5) ? [1, 2, 3] : [1, 2, 3, 4, 5];
    this.nextNodeId = founders.length + 1;
    this.network = this.randomNetwork();
    const kek = this.random.chance(0.5) ? Buffer.alloc(32, 7) : null;
    for (const id of founders) this.addNode(id, founders, kek);
  }

  run(): SimulationResult {
    const { faultyMs, quietMs } = this.options;
    let error: string | undefined;
    let processed = 0;
    try {
      for (const node of this.nodes.values()) this.startTicking(node);
      for (let client = 0; client < 4; client++)
        this.events.after(client, () => this.clientLoop(client));
      this.events.after(this.random.int(50, 300), () => this.nemesis());
      this.events.at(faultyMs, () => this.calm());
      // Clients stop early enough for every member to catch up before the final comparison.
      this.events.at(faultyMs + quietMs / 2, () => {
        this.clientsOn = false;
      });
      const end = faultyMs + quietMs;
      while (this.events.runNext(end)) {
        if (++processed > MAX_EVENTS) throw new Error('event budget exhausted');
      }
      this.checkConverged();
      this.checkHistory();
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
      if (!(caught instanceof SafetyViolation) && caught instanceof Error && caught.stack) {
        error += `\n${caught.stack}`;
      }
    }
    return {
      seed: this.options.seed,
      ok: error === undefined,
      ...(error ? { error } : {}),
      operations: this.history.length,
      committed: this.safety.applied.size,
      elections: this.stats.elections,
      crashes: this.stats.crashes,
      membershipChanges: this.stats.membershipChanges,
      events: processed,
    };
  }

  // ---- nodes and network -------------------------------------------------------------------

  private addNode(id: NodeId, founders: NodeId[] | null, kek: Uint8Array | null): SimNode {
    const node = new SimNode(
      {
        id,
        founders,
        config: {
          electionTicks: ELECTION_TICKS,
          heartbeatTicks: 1,
          maxMessageBytes: this.random.pick([64, 1024, 64 * 1024]),
          maxInflightMessages: this.random.pick([1, 4, 64]),
          snapshotChunkBytes: this.random.pick([16, 256, 4096]),
        },
        snapshotEveryEntries: this.random.pick([8, 40, 1000]),
        keepEntriesAfterSnapshot: this.random.pick([0, 5, 50]),
        kek,
        send: (messages) => {
          for (const m of messages) this.send(m);
        },
        onStorageFailure: (failed) => {
          this.trace(`storage failure stops ${failed.id}`);
          this.events.after(this.random.int(100, 1000), () => this.restart(failed));
        },
      },
      this.random.fork(),
      this.safety,
    );
    node.start();
    this.nodes.set(id, node);
    return node;
  }

  private startTicking(node: SimNode): void {
    const phase = this.random.int(0, TICK_MS - 1);
    const loop = () => {
      if (!this.nodes.has(node.id)) return;
      if (node.alive) {
        node.tick();
        this.noteLeader(node);
      }
      this.events.after(TICK_MS, loop);
    };
    this.events.after(phase, loop);
  }

  private noteLeader(node: SimNode): void {
    if (node.alive && node.raft.role === Role.Leader && node.raft.term > this.lastLeaderTerm) {
      this.lastLeaderTerm = node.raft.term;
      this.stats.elections++;
      this.trace(`node ${node.id} leads term ${node.raft.term}`);
    }
  }

  private send(m: Message): void {
    const { lossRate, duplicateRate, delayMinMs, delayMaxMs } = this.network;
    if (this.faultsOn && this.random.chance(lossRate)) return;
    const copies = this.faultsOn && this.random.chance(duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.random.int(delayMinMs, delayMaxMs);
      this.events.after(delay, () => this.deliver(m));
    }
  }

  private deliver(m: Message): void {
    if (this.blocked.has(`${m.from}>${m.to}`)) return;
    const target = this.nodes.get(m.to);
    if (!target?.alive) return;
    target.step(m);
    this.noteLeader(target);
  }

  private randomNetwork(): NetworkConditions {
    const delayMinMs = this.random.int(0, 3);
    return {
      lossRate: this.random.pick([0, 0.01, 0.05, 0.2]),
      duplicateRate: this.random.pick([0, 0.01, 0.05]),
      delayMinMs,
      delayMaxMs: delayMinMs + this.random.pick([1, 5, 20, 60]),
    };
  }

  // ---- clients -----------------------------------------------------------------------------

  private clientLoop(client: number): void {
    if (!this.clientsOn) return;
    const targets = [...this.nodes.values()].filter((n) => n.alive);
    if (targets.length === 0) {
      this.events.after(20, () => this.clientLoop(client));
      return;
    }
    const leader = targets.find((n) => n.raft.role === Role.Leader);
    const node = leader && this.random.chance(0.7) ? leader : this.random.pick(targets);
    const key = this.random.pick(this.keys);
    const requestId = `c${client}-${this.nextRequest++}`;
    const roll = this.random.next();
    const input: KvInput =
      roll < 0.4
        ? { kind: 'get', key }
        : roll < 0.7
          ? { kind: 'put', key, value: requestId }
          : { kind: 'append', key, value: `${requestId};` };
    const operation: Operation<KvInput, KvOutput> = {
      clientId: client,
      input,
      output: undefined,
      callTime: this.events.now,
      returnTime: Number.POSITIVE_INFINITY,
    };
    let finished = false;
    const finish = (recorded: boolean) => {
      if (finished) return;
      finished = true;
      if (recorded) this.history.push(operation);
      node.forget(requestId);
      this.events.after(this.random.int(0, 5), () => this.clientLoop(client));
    };
    // No answer in time: the outcome stays unknown (it may still take effect).
    this.events.after(CLIENT_TIMEOUT_MS, () => finish(true));
    if (input.kind === 'get') {
      node.read(requestId, key, (outcome) => {
        if (finished) return;
        if (outcome === 'refused') return finish(false);
        operation.output = { value: outcome.value };
        operation.returnTime = this.events.now;
        finish(true);
      });
    } else {
      const command = encodeCommand({
        kind: input.kind === 'put' ? CommandKind.Put : CommandKind.Append,
        requestId,
        key,
        value: Buffer.from(input.value),
      });
      node.write(requestId, command, (outcome) => {
        if (finished) return;
        // A refused proposal never entered the log: it did not happen.
        if (outcome === 'refused') return finish(false);
        operation.output = {};
        operation.returnTime = this.events.now;
        finish(true);
      });
    }
  }

  // ---- faults ------------------------------------------------------------------------------

  private nemesis(): void {
    if (!this.faultsOn) return;
    const roll = this.random.next();
    if (roll < 0.2) this.crashSomeone();
    else if (roll < 0.4) this.partition();
    else if (roll < 0.5) this.heal();
    else if (roll < 0.6) this.transferLeadership();
    else if (roll < 0.75) this.changeMembership();
    else if (roll < 0.85) this.network = this.randomNetwork();
    else if (roll < 0.9) this.failAnFsync();
    this.events.after(this.random.int(50, 600), () => this.nemesis());
  }

  private crashSomeone(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    if (alive.length === 0) return;
    const node = this.random.pick(alive);
    this.trace(`crash ${node.id}`);
    node.crash();
    this.stats.crashes++;
    this.events.after(this.random.int(20, 1500), () => this.restart(node));
  }

  private restart(node: SimNode): void {
    if (node.alive || !this.nodes.has(node.id)) return;
    this.trace(`restart ${node.id}`);
    node.start();
    this.noteLeader(node);
  }

  private partition(): void {
    const ids = [...this.nodes.keys()];
    const kind = this.random.next();
    if (kind < 0.4) {
      const isolated = this.random.pick(ids);
      this.trace(`isolate ${isolated}`);
      for (const other of ids) this.cut(isolated, other, true);
    } else if (kind < 0.7) {
      const side = new Set(ids.filter(() => this.random.chance(0.5)));
      this.trace(`split {${[...side]}} | rest`);
      for (const a of side) for (const b of ids) if (!side.has(b)) this.cut(a, b, true);
    } else {
      const a = this.random.pick(ids);
      const b = this.random.pick(ids);
      this.trace(`one-way cut ${a}>${b}`);
      this.cut(a, b, false);
    }
  }

  private cut(a: NodeId, b: NodeId, bothWays: boolean): void {
    if (a === b) return;
    this.blocked.add(`${a}>${b}`);
    if (bothWays) this.blocked.add(`${b}>${a}`);
  }

  private heal(): void {
    this.trace('heal');
    this.blocked.clear();
  }

  private leader(): SimNode | undefined {
    return [...this.nodes.values()].find((n) => n.alive && n.raft.role === Role.Leader);
  }

  private transferLeadership(): void {
    const leader = this.leader();
    if (!leader) return;
    const target = this.random.pick(leader.raft.status().voters);
    this.trace(`transfer ${leader.id} -> ${target}`);
    leader.transferLeadership(target);
  }

  private changeMembership(): void {
    const leader = this.leader();
    if (!leader) return;
    const status = leader.raft.status();
    let change: ConfChange;
    if (status.learners.length > 0) {
      change = this.conf(ConfChangeType.AddVoter, status.learners[0]!);
    } else if (status.voters.length < 5 && (status.voters.length <= 3 || this.random.chance(0.5))) {
      const id = this.nextNodeId++;
      this.addNode(id, null, null);
      this.startTicking(this.nodes.get(id)!);
      change = this.conf(ConfChangeType.AddLearner, id);
    } else {
      const candidates = status.voters.filter((id) => id !== leader.id);
      change = this.conf(ConfChangeType.RemoveNode, this.random.pick(candidates));
    }
    const result = leader.proposeConfChange(change);
    this.trace(`conf change ${ConfChangeType[change.type]} ${change.nodeId}: ${result?.ok}`);
    if (result?.ok) this.stats.membershipChanges++;
    this.retireRemovedNodes();
  }

  private conf(type: ConfChangeType, nodeId: NodeId): ConfChange {
    return { type, nodeId, context: EMPTY_BYTES };
  }

  /** A node whose removal is committed is shut down for good; its id is never reused. */
  private retireRemovedNodes(): void {
    const leader = this.leader();
    if (!leader) return;
    for (const id of leader.raft.status().removed) {
      const node = this.nodes.get(id);
      if (!node) continue;
      node.stop();
      this.nodes.delete(id);
      this.trace(`retire ${id}`);
    }
  }

  private failAnFsync(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    if (alive.length === 0) return;
    const node = this.random.pick(alive);
    node.fs.failNextFsync();
    this.trace(`next fsync fails on ${node.id}`);
  }

  /** End of the faulty period: heal everything, restart everyone, keep the network clean. */
  private calm(): void {
    this.trace('calm');
    this.faultsOn = false;
    this.blocked.clear();
    this.network = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 3 };
    for (const node of this.nodes.values()) {
      if (!node.alive) this.restart(node);
    }
  }

  // ---- final checks ------------------------------------------------------------------------

  /** Liveness after calm: one leader, and every member applied the same state. */
  private checkConverged(): void {
    this.retireRemovedNodes();
    const leader = this.leader();
    if (!leader) throw new Error('no leader after the quiet period (liveness)');
    const members = new Set([...leader.raft.status().voters, ...leader.raft.status().learners]);
    const commit = leader.raft.log.committed;
    for (const id of members) {
      const node = this.nodes.get(id);
      if (!node?.alive) throw new Error(`member ${id} is not running after the quiet period`);
      if (node.raft.log.applied < commit) {
        throw new Error(`member ${id} applied ${node.raft.log.applied} of ${commit} (liveness)`);
      }
      if (node.fingerprint() !== leader.fingerprint()) {
        throw new SafetyViolation(`member ${id} state differs from the leader's`);
      }
    }
  }

  private checkHistory(): void {
    const result = checkLinearizability(kvModel, this.history, { maxSteps: 5_000_000 });
    if (result.result === 'illegal') {
      throw new SafetyViolation(
        `client history not linearizable (key partition ${result.partition}):\n  ${result.longestPrefix.join('\n  ')}`,
      );
    }
    if (result.result === 'unknown') throw new Error(`linearizability unknown: ${result.reason}`);
  }

  private trace(line: string): void {
    this.options.trace?.(`${String(this.events.now).padStart(6)}ms ${line}`);
  }
}
