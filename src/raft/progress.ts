// The leader's view of each follower: how much of the log it holds and how to send it more.
import { invariant } from './invariant.ts';

export enum ProgressState {
  /** Unknown match: send one Append at a time and learn from the answer. */
  Probe = 'probe',
  /** Known match: stream Appends optimistically, bounded by the in-flight window. */
  Replicate = 'replicate',
  /** The follower needs a snapshot; chunks are sent one at a time. */
  Snapshot = 'snapshot',
}

export class Progress {
  match = 0;
  next: number;
  state = ProgressState.Probe;
  /** Probe: an Append is outstanding; wait for its answer or the next heartbeat answer. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  learner: boolean;
  /** Last index of each unacknowledged Append, oldest first (Replicate). */
  private inflight: number[] = [];
  /** Snapshot transfer: the index being sent and how many bytes the follower holds. */
  snapshotIndex = 0;
  snapshotOffset = 0;
  /** Ticks since the last snapshot chunk went out (resent when it stalls). */
  snapshotIdleTicks = 0;

  constructor(next: number, learner: boolean) {
    this.next = next;
    this.learner = learner;
  }

  becomeProbe(): void {
    // Coming back from a snapshot, continue after it; otherwise after what is known to match.
    if (this.state === ProgressState.Snapshot) {
      this.next = Math.max(this.match + 1, this.snapshotIndex + 1);
    } else {
      this.next = this.match + 1;
    }
    this.resetState(ProgressState.Probe);
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState(ProgressState.Replicate);
  }

  becomeSnapshot(index: number): void {
    this.resetState(ProgressState.Snapshot);
    this.snapshotIndex = index;
    this.snapshotOffset = 0;
    this.snapshotIdleTicks = 0;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.inflight = [];
    this.snapshotIndex = 0;
    this.snapshotOffset = 0;
  }

  /** An acknowledgement of `index`: returns whether it moved the match forward. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejected Append at `rejected` from a follower whose last index is `hint`. Returns false
   * when the rejection is stale (an answer to an older Append).
   */
  maybeDecrease(rejected: number, hint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), 1);
    this.probeSent = false;
    return true;
  }

  /** Records an Append whose last index is `lastIndex`. */
  sentEntries(lastIndex: number, count: number, maxInflight: number): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = lastIndex + 1;
        invariant(this.inflight.length < maxInflight, 'in-flight window overflow');
        this.inflight.push(lastIndex);
      }
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }

  /** Frees the in-flight slots acknowledged by `index`. */
  acknowledge(index: number): void {
    let freed = 0;
    while (freed < this.inflight.length && this.inflight[freed]! <= index) freed++;
    if (freed > 0) this.inflight.splice(0, freed);
  }

  /** A heartbeat answer proves the follower is alive: let one more Append through. */
  freeOneSlot(): void {
    if (this.inflight.length > 0) this.inflight.shift();
  }

  isPaused(maxInflight: number): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflight.length >= maxInflight;
      case ProgressState.Snapshot:
        return true;
    }
  }
}
