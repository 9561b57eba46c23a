// Raft's safety properties (figure 3 of the paper), checked as the simulation runs:
// election safety, log matching, leader completeness and state machine safety.
import { type Entry, type NodeId, type Raft, Role } from '../raft/index.ts';

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

interface Recorded {
  data: Uint8Array;
  previousTerm: number | undefined;
}

export class SafetyChecker {
  private leaders = new Map<number, NodeId>();
  private entries = new Map<string, Recorded>();
  /** Every applied entry by index: applied means committed. */
  readonly applied = new Map<number, Entry>();

  /** Election safety: at most one leader per term. */
  observeRole(raft: Raft): void {
    if (raft.role !== Role.Leader) return;
    const existing = this.leaders.get(raft.term);
    if (existing === undefined) {
      this.leaders.set(raft.term, raft.id);
      this.checkLeaderCompleteness(raft);
    } else if (existing !== raft.id) {
      throw new SafetyViolation(`two leaders in term ${raft.term}: ${existing} and ${raft.id}`);
    }
  }

  /**
   * Log matching: an (index, term) pair names one entry everywhere, and the entries before it
   * agree too (checked inductively through the term of the preceding entry).
   */
  observePersisted(raft: Raft, entries: Entry[]): void {
    for (const entry of entries) {
      const key = `${entry.index}:${entry.term}`;
      const previousTerm = raft.log.term(entry.index - 1);
      const recorded = this.entries.get(key);
      if (!recorded) {
        this.entries.set(key, { data: entry.data, previousTerm });
        continue;
      }
      if (!Buffer.from(recorded.data).equals(entry.data)) {
        throw new SafetyViolation(`node ${raft.id}: entry ${key} has different data elsewhere`);
      }
      const both = recorded.previousTerm !== undefined && previousTerm !== undefined;
      if (both && recorded.previousTerm !== previousTerm) {
        throw new SafetyViolation(
          `node ${raft.id}: entry ${key} follows term ${previousTerm}, elsewhere term ${recorded.previousTerm}`,
        );
      }
    }
  }

  /** State machine safety: no two nodes apply different entries at one index. */
  observeApplied(id: NodeId, entry: Entry): void {
    const existing = this.applied.get(entry.index);
    if (!existing) {
      this.applied.set(entry.index, entry);
      return;
    }
    if (existing.term !== entry.term || !Buffer.from(existing.data).equals(entry.data)) {
      throw new SafetyViolation(
        `node ${id} applied (${entry.index}, term ${entry.term}) where another applied term ${existing.term}`,
      );
    }
  }

  /** Leader completeness: a new leader's log holds every entry committed so far. */
  private checkLeaderCompleteness(raft: Raft): void {
    const first = raft.log.firstIndex();
    for (const [index, entry] of this.applied) {
      if (index < first) continue;
      if (raft.log.term(index) !== entry.term) {
        throw new SafetyViolation(
          `leader ${raft.id} of term ${raft.term} lacks committed entry ${index} (term ${entry.term})`,
        );
      }
    }
  }
}
