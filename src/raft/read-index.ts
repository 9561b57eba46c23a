// The leader's queue of ReadIndex requests (Raft thesis §6.4). A read registered at commit
// index i is safe once a quorum has answered a heartbeat sent after it was registered; an
// answer for a later request confirms every earlier one too, so one heartbeat serves a batch.
import { invariant } from './invariant.ts';
import type { NodeId } from './types.ts';

export interface PendingRead {
  key: string;
  requestId: Uint8Array;
  index: number;
  /** Who asked: the leader itself or a follower that forwarded the request. */
  from: NodeId;
  acks: Set<NodeId>;
}

export class ReadIndexQueue {
  private queue: PendingRead[] = [];
  private byKey = new Map<string, PendingRead>();
  /** The newest request not yet covered by a heartbeat. */
  unconfirmed: PendingRead | null = null;

  constructor(private readonly maxPending: number) {}

  get size(): number {
    return this.queue.length;
  }

  isFull(): boolean {
    return this.queue.length >= this.maxPending;
  }

  add(requestId: Uint8Array, index: number, from: NodeId, self: NodeId): PendingRead | null {
    const key = keyOf(requestId);
    if (this.byKey.has(key)) return null;
    invariant(!this.isFull(), 'read queue overflow');
    const read: PendingRead = { key, requestId, index, from, acks: new Set([self]) };
    this.queue.push(read);
    this.byKey.set(key, read);
    this.unconfirmed = read;
    return read;
  }

  /**
   * Records a heartbeat answer for `requestId`. When a quorum of voters has answered, returns
   * that request and every one registered before it, oldest first; otherwise [].
   */
  acknowledge(requestId: Uint8Array, from: NodeId, isConfirmed: (acks: Set<NodeId>) => boolean) {
    const read = this.byKey.get(keyOf(requestId));
    if (!read) return [];
    read.acks.add(from);
    if (!isConfirmed(read.acks)) return [];
    const position = this.queue.indexOf(read);
    const released = this.queue.splice(0, position + 1);
    for (const done of released) this.byKey.delete(done.key);
    if (this.unconfirmed && !this.byKey.has(this.unconfirmed.key)) this.unconfirmed = null;
    return released;
  }

  clear(): void {
    this.queue = [];
    this.byKey.clear();
    this.unconfirmed = null;
  }
}

function keyOf(requestId: Uint8Array): string {
  return Buffer.from(requestId.buffer, requestId.byteOffset, requestId.byteLength).toString('hex');
}
