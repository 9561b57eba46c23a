// Randomized: many saves, snapshots, compactions, crashes (some in the middle of a call, via an
// injected I/O error) on MemFileSystem, each run checked against a model of what was durably
// saved. Seeded, so a failure replays: the message names the seed and the step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { type Entry, EntryType, type HardState, type Snapshot } from '../raft/types.ts';
import { StorageInvariantError } from './errors.ts';
import { type FaultyOperation, MemFileSystem } from './memfs.ts';
import { type LoadedState, RaftStorage, type RaftStorageOptions } from './raft-storage.ts';
import { seededRandom, testKey } from './test-support.ts';

type Change =
  | { kind: 'save'; hardState: HardState | null; entries: Entry[]; snapshot: Snapshot | null }
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'compact'; keepAfterIndex: number };

const FAULTS: FaultyOperation[] = ['write', 'fsync', 'fsyncDir', 'rename', 'unlink'];
const RECOVERY_FAULTS: FaultyOperation[] = ['truncate', 'unlink', 'fsyncDir'];
const SEEDS = 24;
const STEPS = 250;

function snapshotIndex(model: LoadedState): number {
  return model.snapshot?.metadata.index ?? 0;
}

function lastIndex(model: LoadedState): number {
  return model.entries.at(-1)?.index ?? snapshotIndex(model);
}

function termAt(model: LoadedState, index: number): number {
  if (index === snapshotIndex(model)) return model.snapshot?.metadata.term ?? 0;
  return model.entries[index - snapshotIndex(model) - 1]!.term;
}

/** The state a correct storage recovers after `change` is durable. */
function applyToModel(model: LoadedState, change: Change): LoadedState {
  switch (change.kind) {
    case 'compact':
      return model;
    case 'snapshot': {
      const index = change.snapshot.metadata.index;
      return {
        ...model,
        snapshot: change.snapshot,
        entries: model.entries.filter((entry) => entry.index > index),
      };
    }
    case 'save': {
      const snapshot = change.snapshot ?? model.snapshot;
      let entries = change.snapshot === null ? model.entries : [];
      const first = change.entries[0];
      if (first !== undefined) {
        const kept = first.index - (snapshot?.metadata.index ?? 0) - 1;
        entries = [...entries.slice(0, kept), ...change.entries];
      }
      return { hardState: change.hardState ?? model.hardState, snapshot, entries };
    }
  }
}

function applyToStorage(storage: RaftStorage, change: Change): void {
  switch (change.kind) {
    case 'compact':
      storage.compact(change.keepAfterIndex);
      break;
    case 'snapshot':
      storage.saveSnapshot(change.snapshot);
      break;
    case 'save':
      storage.save(change.hardState, change.entries, change.snapshot);
      break;
  }
}

/** A random change that keeps every Raft invariant, or null if none of the drawn kind fits. */
function randomChange(model: LoadedState, random: () => number): Change | null {
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const bytes = () => Uint8Array.from({ length: between(0, 120) }, () => between(0, 255));
  const run = (first: number, count: number, term: number): Entry[] =>
    Array.from({ length: count }, (_, k) => ({
      index: first + k,
      term,
      type: random() < 0.1 ? EntryType.ConfChange : EntryType.Normal,
      data: bytes(),
    }));
  const snapshot = (index: number, term: number): Snapshot => ({
    metadata: { index, term, conf: { voters: [1, 2, 3], learners: [], removed: [between(4, 9)] } },
    data: bytes(),
  });
  const { term, vote, commit } = model.hardState;
  const last = lastIndex(model);
  const draw = random();
  if (draw < 0.55) {
    const newTerm = term === 0 || random() < 0.15 ? term + 1 : term;
    const added = run(last + 1, between(0, 8), newTerm);
    const newCommit = between(commit, last + added.length);
    const newVote = newTerm === term ? vote : between(1, 3);
    return {
      kind: 'save',
      hardState: { term: newTerm, vote: newVote, commit: newCommit },
      entries: added,
      snapshot: null,
    };
  }
  if (draw < 0.7) {
    if (last <= commit) return null;
    const from = between(commit + 1, last);
    const added = run(from, between(1, 5), term + 1);
    const hardState = { term: term + 1, vote: between(1, 3), commit: between(commit, from - 1) };
    return { kind: 'save', hardState, entries: added, snapshot: null };
  }
  if (draw < 0.8) {
    if (commit <= snapshotIndex(model)) return null;
    const index = between(snapshotIndex(model) + 1, commit);
    return { kind: 'snapshot', snapshot: snapshot(index, termAt(model, index)) };
  }
  if (draw < 0.87) {
    const newTerm = Math.max(1, term + between(0, 1));
    const index = between(commit + 1, last + 10);
    const added = run(index + 1, between(0, 3), newTerm);
    const newVote = newTerm === term ? vote : between(1, 3);
    return {
      kind: 'save',
      hardState: { term: newTerm, vote: newVote, commit: index + between(0, added.length) },
      entries: added,
      snapshot: snapshot(index, newTerm),
    };
  }
  if (draw < 0.94) {
    return { kind: 'compact', keepAfterIndex: between(0, snapshotIndex(model) + 5) };
  }
  return {
    kind: 'save',
    hardState: { term, vote, commit: between(commit, last) },
    entries: [],
    snapshot: null,
  };
}

function runSeed(seed: number): void {
  const random = seededRandom(seed);
  const fs = new MemFileSystem();
  const options: RaftStorageOptions = {
    dir: '/node',
    fs,
    kek: seed % 3 === 0 ? testKey(seed) : null,
    segmentBytes: 700 + Math.floor(random() * 2000),
    keepEntries: seed % 2 === 0 ? 0 : 4,
  };
  let storage = RaftStorage.open(options);
  let model: LoadedState = storage.load();
  const where = (step: number, what: string) => `seed ${seed} step ${step}: ${what}`;
  const reload = (step: number, what: string): LoadedState => {
    if (random() < 0.3) {
      // Power fails again during recovery (e.g. while cutting off a torn tail).
      fs.failNext(RECOVERY_FAULTS[Math.floor(random() * RECOVERY_FAULTS.length)]!);
      try {
        RaftStorage.open(options).close();
      } catch {
        // the injected failure, or none fired
      }
      fs.clearFailures();
      fs.crash(random);
    }
    storage = RaftStorage.open(options);
    const state = storage.load();
    assert.ok(state.hardState.commit <= lastIndex(state), where(step, `${what}: commit`));
    return state;
  };

  for (let step = 0; step < STEPS; step++) {
    const draw = random();
    if (draw < 0.08) {
      fs.crash(random);
      const state = reload(step, 'crash');
      assert.deepEqual(state, model, where(step, 'crash lost or invented data'));
      continue;
    }
    if (draw < 0.12) {
      storage.close();
      assert.deepEqual(reload(step, 'reopen'), model, where(step, 'reopen'));
      continue;
    }
    const change = randomChange(model, random);
    if (change === null) continue;
    const after = applyToModel(model, change);
    if (draw < 0.2) {
      // A crash in the middle of the call: an I/O error stops it part way, then power fails.
      fs.failNext(FAULTS[Math.floor(random() * FAULTS.length)]!, Math.floor(random() * 3));
      let failed = false;
      try {
        applyToStorage(storage, change);
      } catch (error) {
        assert.ok(!(error instanceof StorageInvariantError), where(step, String(error)));
        failed = true;
      }
      fs.clearFailures();
      fs.crash(random);
      const state = reload(step, 'crash mid-call');
      if (isDeepStrictEqual(state, after)) {
        model = after;
      } else {
        assert.ok(failed, where(step, 'a call that returned was not durable'));
        assert.deepEqual(state, model, where(step, 'crash mid-call: neither before nor after'));
      }
      continue;
    }
    applyToStorage(storage, change);
    model = after;
  }
  storage.close();
  assert.deepEqual(reload(STEPS, 'final reopen'), model, where(STEPS, 'final reopen'));
}

test('random saves, snapshots and crashes recover exactly what was durably saved', () => {
  for (let seed = 1; seed <= SEEDS; seed++) runSeed(seed);
});
