// The managers' store as the state machine Raft replicates: every committed entry is one
// store batch. The outcome of a batch (applied, or refused on a version conflict) is kept
// for its proposer, which is waiting on the request id.
import type { Entry } from '../raft/index.ts';
import type { ReplicatedStateMachine } from '../replica/index.ts';
import { type ApplyResult, Store } from '../store/index.ts';

/** Outcomes kept for proposers that have not collected theirs yet. */
const MAX_KEPT_OUTCOMES = 10_000;

export class StoreStateMachine implements ReplicatedStateMachine {
  store = new Store();
  private readonly outcomes = new Map<string, ApplyResult>();

  apply(entry: Entry): string | null {
    const result = this.store.applyEncoded(entry.index, entry.data);
    if (result.requestId === undefined) return null;
    if (this.outcomes.size >= MAX_KEPT_OUTCOMES) {
      // Oldest first: a proposer that gave up long ago no longer needs its outcome.
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) this.outcomes.delete(oldest);
    }
    this.outcomes.set(result.requestId, result);
    return result.requestId;
  }

  /** The outcome of a proposal applied here, handed out once. */
  takeOutcome(requestId: string): ApplyResult | undefined {
    const outcome = this.outcomes.get(requestId);
    this.outcomes.delete(requestId);
    return outcome;
  }

  snapshot(): Uint8Array {
    return this.store.snapshot();
  }

  restore(data: Uint8Array): void {
    this.store.replaceState(data);
  }
}
