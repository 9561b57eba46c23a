// What a simulated node has saved, as a model: after a crash, storage must give back every
// entry and hard state it acknowledged as durable, whatever the crash tore.
import type { Entry, HardState, Ready, Snapshot } from '../raft/index.ts';
import type { LoadedState } from '../storage/index.ts';
import { SafetyViolation } from './safety.ts';

export class DurableModel {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  /** The commit index of the last synced save: an unsynced commit-only update may be lost. */
  private syncedCommit = 0;
  private snapshot: Snapshot['metadata'] | null = null;
  private entries: Entry[] = [];
  /** After a failed save, its hard state and entries from this index on may be on disk or not. */
  private unacknowledgedFrom: number | null = null;

  /** A Ready was saved and acknowledged (fsynced when it had to be). */
  saved(ready: Ready): void {
    if (ready.snapshot) {
      // The log restarts after a snapshot from the leader: everything before is dropped.
      this.snapshot = ready.snapshot.metadata;
      this.entries = [];
    }
    if (ready.entries.length > 0) {
      // The model's entries are contiguous: a conflicting suffix is cut at its position.
      const first = ready.entries[0]!.index;
      const start = this.entries[0]?.index ?? first;
      this.entries.length = Math.max(0, Math.min(this.entries.length, first - start));
      for (const entry of ready.entries) this.entries.push(entry);
    }
    if (ready.hardState) {
      this.hardState = { ...ready.hardState };
      if (ready.mustSync) this.syncedCommit = ready.hardState.commit;
    }
  }

  snapshotSaved(snapshot: Snapshot): void {
    if (!this.snapshot || this.snapshot.index < snapshot.metadata.index) {
      this.snapshot = snapshot.metadata;
    }
  }

  /** A save failed: what it wrote may or may not have reached the disk. */
  saveFailed(ready: Ready | null): void {
    const first = !ready || ready.snapshot ? 0 : (ready.entries[0]?.index ?? Infinity);
    this.unacknowledgedFrom = Math.min(this.unacknowledgedFrom ?? first, first);
  }

  /** Compares what storage recovered with what was acknowledged, then adopts it. */
  checkRecovered(id: number, loaded: LoadedState): void {
    const where = `node ${id} after restart`;
    const exact = this.unacknowledgedFrom === null;
    const uncertainFrom = this.unacknowledgedFrom ?? Number.POSITIVE_INFINITY;
    this.unacknowledgedFrom = null;
    const hs = loaded.hardState;
    const sameHardState =
      hs.term === this.hardState.term &&
      hs.vote === this.hardState.vote &&
      hs.commit >= Math.min(this.syncedCommit, this.hardState.commit) &&
      hs.commit <= this.hardState.commit;
    if ((exact && !sameHardState) || hs.term < this.hardState.term) {
      throw new SafetyViolation(
        `${where}: hard state ${JSON.stringify(hs)} != saved ${JSON.stringify(this.hardState)}`,
      );
    }
    const snapshotIndex = loaded.snapshot?.metadata.index ?? 0;
    if (exact && snapshotIndex !== (this.snapshot?.index ?? 0)) {
      throw new SafetyViolation(
        `${where}: snapshot ${snapshotIndex} != saved ${this.snapshot?.index}`,
      );
    }
    const expected = this.entries.filter((e) => e.index > snapshotIndex && e.index < uncertainFrom);
    const recovered = loaded.entries.filter((e) => e.index < uncertainFrom);
    if (expected.length !== recovered.length) {
      throw new SafetyViolation(
        `${where}: ${recovered.length} entries recovered, ${expected.length} saved`,
      );
    }
    for (let i = 0; i < expected.length; i++) {
      const a = expected[i]!;
      const b = recovered[i]!;
      if (a.index !== b.index || a.term !== b.term || !Buffer.from(a.data).equals(b.data)) {
        throw new SafetyViolation(`${where}: entry ${a.index} differs from what was saved`);
      }
    }
    this.hardState = { ...hs };
    this.syncedCommit = hs.commit;
    this.snapshot = loaded.snapshot?.metadata ?? null;
    this.entries = [...loaded.entries]; // a copy: the Raft log holds the loaded array itself
  }
}
