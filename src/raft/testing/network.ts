// An in-memory cluster for scenario tests of the Raft core: nodes with a trivial durable
// store, a message queue, and controls to isolate, cut and drop. Deterministic: messages are
// delivered in send order and time only moves when a test ticks.
import { Random } from '../../sim/random.ts';
import { invariant } from '../invariant.ts';
import { Raft } from '../raft.ts';
import {
  DEFAULT_CONFIG,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Snapshot,
} from '../types.ts';

export interface TestNode {
  raft: Raft;
  /** What is durable: survives restart(). */
  disk: { hardState: HardState; snapshot: Snapshot | null; entries: Entry[] };
  /** Normal entries applied, in order (data decoded as UTF-8; empty entries skipped). */
  applied: string[];
  readStates: ReadState[];
}

export type MessageFilter = (m: Message) => boolean;

const MAX_ROUNDS = 10_000;

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  private queue: Message[] = [];
  private isolated = new Set<NodeId>();
  private cuts = new Set<string>();
  private dropFilters: MessageFilter[] = [];
  private readonly random: Random;
  readonly delivered: Message[] = [];

  constructor(
    voters: NodeId[],
    private readonly overrides: Partial<RaftConfig> = {},
    seed = 1,
  ) {
    this.random = new Random(seed);
    for (const id of voters) this.addNode(id, voters);
  }

  /** Adds a node; with `voters` it is a founding member, without it a blank joiner. */
  addNode(id: NodeId, voters: NodeId[] | null): TestNode {
    const node: TestNode = {
      raft: null as unknown as Raft,
      disk: { hardState: { term: 0, vote: 0, commit: 0 }, snapshot: null, entries: [] },
      applied: [],
      readStates: [],
    };
    node.raft = new Raft(this.config(id), {
      hardState: { term: 0, vote: 0, commit: 0 },
      snapshot: null,
      entries: [],
      bootstrap: voters ? { voters, learners: [], removed: [] } : null,
    });
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): TestNode {
    const node = this.nodes.get(id);
    invariant(node, `no node ${id}`);
    return node;
  }

  raft(id: NodeId): Raft {
    return this.node(id).raft;
  }

  /** Restarts a node from its durable state; what it had in memory only is lost. */
  restart(id: NodeId): void {
    const node = this.node(id);
    const { hardState, snapshot, entries } = node.disk;
    node.raft = new Raft(this.config(id), {
      hardState: { ...hardState },
      snapshot,
      entries: [...entries],
      bootstrap: null,
    });
    node.applied = [];
    node.readStates = [];
  }

  /** Ticks a node until its election timer fires (at most twice the election timeout). */
  electionTimeout(id: NodeId): void {
    const raft = this.raft(id);
    const term = raft.term;
    const role = raft.role;
    const max = 2 * (this.overrides.electionTicks ?? DEFAULT_CONFIG.electionTicks);
    for (let i = 0; i < max && raft.term === term && raft.role === role; i++) {
      raft.tick();
      this.processReadies();
    }
  }

  /** Ticks every node `count` times, delivering messages after each tick. */
  tickAll(count: number): void {
    for (let i = 0; i < count; i++) {
      for (const node of this.nodes.values()) node.raft.tick();
      this.stabilize();
    }
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}-${b}`);
    this.cuts.add(`${b}-${a}`);
  }

  drop(filter: MessageFilter): void {
    this.dropFilters.push(filter);
  }

  heal(): void {
    this.isolated.clear();
    this.cuts.clear();
    this.dropFilters = [];
  }

  /** Processes readies and delivers messages until nothing moves. */
  stabilize(): void {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      this.processReadies();
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliver(m);
    }
    throw new Error('network did not stabilize');
  }

  /** Delivers only the queued messages matching `filter` (others stay queued). */
  deliverOnly(filter: MessageFilter): void {
    this.processReadies();
    const keep: Message[] = [];
    for (const m of this.queue) {
      if (filter(m)) this.deliver(m);
      else keep.push(m);
    }
    this.queue = keep;
    this.processReadies();
  }

  /** Runs an election to its end but delivers nothing else (the new term stays uncommitted). */
  electOnly(id: NodeId): void {
    const electionTraffic = new Set([
      MessageType.PreVote,
      MessageType.PreVoteResponse,
      MessageType.Vote,
      MessageType.VoteResponse,
    ]);
    this.electionTimeout(id);
    for (let round = 0; round < 10; round++) this.deliverOnly((m) => electionTraffic.has(m.type));
  }

  pending(): Message[] {
    this.processReadies();
    return [...this.queue];
  }

  leader(): NodeId | null {
    let found: NodeId | null = null;
    for (const [id, node] of this.nodes) {
      if (node.raft.status().role !== 'leader') continue;
      if (found === null || node.raft.term > this.raft(found).term) found = id;
    }
    return found;
  }

  propose(id: NodeId, text: string) {
    const result = this.raft(id).propose(new TextEncoder().encode(text));
    this.processReadies();
    return result;
  }

  processReadies(): void {
    for (const node of this.nodes.values()) {
      for (let i = 0; i < MAX_ROUNDS && node.raft.hasReady(); i++) this.handleReady(node);
    }
  }

  private handleReady(node: TestNode): void {
    const ready = node.raft.ready();
    const disk = node.disk;
    if (ready.snapshot) {
      disk.snapshot = ready.snapshot;
      disk.entries = disk.entries.filter((e) => e.index > ready.snapshot!.metadata.index);
    }
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!.index;
      disk.entries = disk.entries.filter((e) => e.index < first).concat(ready.entries);
    }
    if (ready.hardState) disk.hardState = { ...ready.hardState };
    this.queue.push(...ready.messages);
    if (ready.snapshot) {
      node.applied = decodeSnapshot(ready.snapshot.data);
    }
    for (const entry of ready.committed) {
      if (entry.type === EntryType.Normal && entry.data.length > 0) {
        node.applied.push(new TextDecoder().decode(entry.data));
      }
    }
    node.readStates.push(...ready.readStates);
    node.raft.advance(ready);
  }

  private deliver(m: Message): void {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return;
    if (this.cuts.has(`${m.from}-${m.to}`)) return;
    if (this.dropFilters.some((f) => f(m))) return;
    const target = this.nodes.get(m.to);
    if (!target) return;
    this.delivered.push(m);
    target.raft.step(m);
  }

  private config(id: NodeId): RaftConfig {
    return { ...DEFAULT_CONFIG, ...this.overrides, id, random: () => this.random.next() };
  }
}

/** The scenario state machine's snapshot: the applied strings, newline separated. */
export function encodeSnapshot(applied: string[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(applied));
}

function decodeSnapshot(data: Uint8Array): string[] {
  return data.length === 0 ? [] : JSON.parse(new TextDecoder().decode(data));
}

export function isType(type: MessageType): MessageFilter {
  return (m) => m.type === type;
}
