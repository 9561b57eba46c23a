// When each node last showed it is alive, and which nodes have been silent for longer than the
// grace period. Pure: the caller passes the time, so tests and the simulator drive it directly.
//
// A node is tracked from its first beat (or from a leader change) until it expires or is
// forgotten. expired() reports each expiry once and stops tracking the node: a node that beats
// again is tracked afresh. A silence shorter than the grace never expires a node, so a brief
// blip (a reconnect, a slow heartbeat) does not make it flap between ready and down.

/** Swarm's grace: a node is down after three heartbeat periods without a sign of life. */
export const DEFAULT_GRACE_MULTIPLIER = 3;
/** Nodes tracked at most; beats of further nodes are refused. */
export const DEFAULT_MAX_TRACKED_NODES = 100_000;

export interface HeartbeatsOptions {
  /** The heartbeat period nodes are asked to keep, in ms. */
  periodMs: number;
  /** Grace = periodMs × this. Default 3. */
  graceMultiplier?: number;
  /** Default 100,000. */
  maxNodes?: number;
}

export class Heartbeats {
  readonly periodMs: number;
  readonly graceMs: number;
  readonly maxNodes: number;
  /** Node ID → the time after which it counts as expired. */
  private readonly deadlines = new Map<string, number>();

  constructor(options: HeartbeatsOptions) {
    if (!(options.periodMs > 0)) throw new RangeError('heartbeat period must be positive');
    const multiplier = options.graceMultiplier ?? DEFAULT_GRACE_MULTIPLIER;
    if (!(multiplier >= 1)) throw new RangeError('grace multiplier must be at least 1');
    this.periodMs = options.periodMs;
    this.graceMs = options.periodMs * multiplier;
    this.maxNodes = options.maxNodes ?? DEFAULT_MAX_TRACKED_NODES;
  }

  /** How many nodes are tracked. */
  get size(): number {
    return this.deadlines.size;
  }

  has(nodeId: string): boolean {
    return this.deadlines.has(nodeId);
  }

  /**
   * A sign of life from the node at `now`: it expires only after a full grace from now (or
   * later, if a leader change gave it more). Returns false, tracking nothing, when the node is
   * new and maxNodes are already tracked.
   */
  beat(nodeId: string, now: number): boolean {
    const current = this.deadlines.get(nodeId);
    if (current === undefined && this.deadlines.size >= this.maxNodes) return false;
    const deadline = now + this.graceMs;
    if (current === undefined || deadline > current) this.deadlines.set(nodeId, deadline);
    return true;
  }

  /**
   * Nodes silent for longer than the grace at `now`. Each is reported once and no longer
   * tracked (until it beats again).
   */
  expired(now: number): string[] {
    const out: string[] = [];
    for (const [nodeId, deadline] of this.deadlines) {
      if (now > deadline) out.push(nodeId);
    }
    for (const nodeId of out) this.deadlines.delete(nodeId);
    return out;
  }

  forget(nodeId: string): void {
    this.deadlines.delete(nodeId);
  }

  /** Stops tracking every node (this manager stopped leading). */
  clear(): void {
    this.deadlines.clear();
  }

  /**
   * This manager just became the leader: it has heard from nobody yet, so the nodes the store
   * knows as alive get twice the grace to reconnect before they are declared down (as swarm
   * does). Nodes already tracked keep the later of their deadlines. Tracks at most maxNodes.
   */
  startAsNewLeader(nodeIds: Iterable<string>, now: number): void {
    const deadline = now + 2 * this.graceMs;
    for (const nodeId of nodeIds) {
      const current = this.deadlines.get(nodeId);
      if (current === undefined && this.deadlines.size >= this.maxNodes) continue;
      if (current === undefined || deadline > current) this.deadlines.set(nodeId, deadline);
    }
  }
}
