// The in-memory Raft log: a compaction point, the entries after it, and how far they are
// durable (stable), committed and applied. It never touches the disk: entries past `stable`
// are handed out in a Ready for the application to persist.
import { invariant } from './invariant.ts';
import type { Entry, Snapshot } from './types.ts';

export class RaftLog {
  /** Index and term of the last entry dropped by compaction (0/0 for a log never compacted). */
  private offsetIndex: number;
  private offsetTerm: number;
  /** entries[i].index === offsetIndex + 1 + i */
  private entries: Entry[];
  /** Highest index known to be durable. */
  stable: number;
  committed: number;
  applied: number;

  constructor(offsetIndex: number, offsetTerm: number, entries: Entry[]) {
    this.offsetIndex = offsetIndex;
    this.offsetTerm = offsetTerm;
    this.entries = entries;
    for (let i = 0; i < entries.length; i++) {
      invariant(entries[i]!.index === offsetIndex + 1 + i, 'log entries are not contiguous');
    }
    this.stable = this.lastIndex();
    this.committed = offsetIndex;
    this.applied = offsetIndex;
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.term : this.offsetTerm;
  }

  /** The term of the entry at `index`, or undefined when compacted away or not yet written. */
  term(index: number): number | undefined {
    if (index === this.offsetIndex) return this.offsetTerm;
    if (index < this.offsetIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.offsetIndex - 1]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: is a candidate's log at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  entry(index: number): Entry | undefined {
    if (index <= this.offsetIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.offsetIndex - 1];
  }

  /** Entries in [lo, hi], at most `maxBytes` of data but always at least one. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    invariant(lo > this.offsetIndex, `slice(${lo}) reaches compacted entries`);
    const end = Math.min(hi, this.lastIndex());
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = lo; index <= end; index++) {
      const entry = this.entries[index - this.offsetIndex - 1]!;
      bytes += entry.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  /** Appends entries that follow the log (the leader's own proposals). */
  append(entries: Entry[]): void {
    for (const entry of entries) {
      invariant(entry.index === this.lastIndex() + 1, 'append leaves a gap');
      this.entries.push(entry);
    }
  }

  /**
   * A follower's Append (Raft figure 2, AppendEntries receiver rules 2–5). Returns the index
   * of the last new entry, or null when the log does not contain (prevIndex, prevTerm).
   */
  tryAppend(prevIndex: number, prevTerm: number, commit: number, entries: Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.index <= this.offsetIndex) continue;
      const existing = this.term(entry.index);
      if (existing === entry.term) continue;
      invariant(entry.index > this.committed, `conflict at committed index ${entry.index}`);
      if (existing !== undefined) this.truncateFrom(entry.index);
      this.append(entries.slice(i));
      break;
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  private truncateFrom(index: number): void {
    this.entries.length = index - this.offsetIndex - 1;
    if (this.stable >= index) this.stable = index - 1;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    invariant(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Entries past `stable`: what the next Ready asks the application to persist. */
  unstableEntries(): Entry[] {
    return this.stable >= this.lastIndex()
      ? []
      : this.entries.slice(this.stable - this.offsetIndex);
  }

  /** Committed entries not yet applied, at most `max` of them. */
  nextCommitted(max: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = Math.min(this.committed, lo + max - 1);
    if (hi < lo) return [];
    return this.entries.slice(lo - this.offsetIndex - 1, hi - this.offsetIndex);
  }

  /** Drops entries at or below `index` (they are covered by a snapshot). */
  compact(index: number): void {
    if (index <= this.offsetIndex) return;
    invariant(index <= this.applied, `compact(${index}) beyond applied ${this.applied}`);
    const term = this.term(index)!;
    this.entries = this.entries.slice(index - this.offsetIndex);
    this.offsetIndex = index;
    this.offsetTerm = term;
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    invariant(index > this.committed, 'restoring a snapshot at or below the commit index');
    this.entries = [];
    this.offsetIndex = index;
    this.offsetTerm = term;
    this.committed = index;
    this.stable = index;
  }
}
