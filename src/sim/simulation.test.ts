// The deterministic simulator: 500 seeds must find no violation, a seed must replay exactly,
// and deliberately broken variants must be caught (so a green run means something).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftLog } from '../raft/log.ts';
import { Raft } from '../raft/raft.ts';
import { MemFileSystem } from '../storage/index.ts';
import { runSeeds } from './run-seeds.ts';
import { Simulation } from './simulation.ts';

const SEEDS = Number(process.env.SHOAL_SIM_SEEDS ?? 500);
const timing = { faultyMs: 4000, quietMs: 3000 };

test(`${SEEDS} simulated seeds keep every safety property and stay linearizable`, async () => {
  const summary = await runSeeds({ start: 1, count: SEEDS, ...timing });
  const failed = summary.failures.map((f) => `seed ${f.seed}: ${f.error?.split('\n')[0]}`);
  assert.deepEqual(failed, [], `replay with: npm run sim -- --seed N --trace`);
  assert.equal(summary.done, SEEDS);
  // The runs must exercise what they claim to: faults happened and work got done.
  assert.ok(summary.totals.crashes > SEEDS, `crashes: ${summary.totals.crashes}`);
  assert.ok(summary.totals.membershipChanges > SEEDS / 2, 'membership changes happened');
  assert.ok(summary.totals.operations > SEEDS * 200, 'clients did work');
});

test('a seed replays exactly', () => {
  const a = new Simulation({ seed: 42, ...timing }).run();
  const b = new Simulation({ seed: 42, ...timing }).run();
  assert.deepEqual(a, b);
  assert.ok(a.ok);
});

/** Runs seeds with a bug patched in and expects the simulator to catch it. */
function catches(patch: () => () => void, seeds = 30): string[] {
  const restore = patch();
  try {
    const errors: string[] = [];
    for (let seed = 1; seed <= seeds && errors.length < 3; seed++) {
      const result = new Simulation({ seed, ...timing }).run();
      if (!result.ok) errors.push(result.error ?? '');
    }
    return errors;
  } finally {
    restore();
  }
}

function replaceMethod(target: object, name: string, replacement: unknown): () => void {
  const original = Object.getOwnPropertyDescriptor(target, name)!;
  Object.defineProperty(target, name, { ...original, value: replacement });
  return () => Object.defineProperty(target, name, original);
}

test('catches a broken election restriction (votes for any log)', () => {
  const errors = catches(() => replaceMethod(RaftLog.prototype, 'isUpToDate', () => true));
  assert.ok(errors.length > 0, 'no violation found');
  assert.match(errors.join('\n'), /SafetyViolation/);
});

test('catches stale reads (reads served without confirming leadership)', () => {
  const errors = catches(() =>
    replaceMethod(Raft.prototype, 'readIndex', function (this: Raft, requestId: Uint8Array) {
      (this as unknown as { readStates: unknown[] }).readStates.push({
        index: this.log.committed,
        requestId,
      });
      return true;
    }),
  );
  assert.ok(errors.length > 0, 'no violation found');
  assert.match(errors.join('\n'), /not linearizable/);
});

test('catches a disk that acknowledges writes it never made durable', () => {
  const errors = catches(() => replaceMethod(MemFileSystem.prototype, 'fsync', () => {}));
  assert.ok(errors.length > 0, 'no violation found');
});
