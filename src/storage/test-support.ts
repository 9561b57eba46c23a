// Helpers shared by the storage tests (not part of the public surface).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Entry, EntryType, type Snapshot } from '../raft/types.ts';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function entry(index: number, term: number, text = `entry ${index}@${term}`): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

/** Entries first..last (inclusive), all of `term`. */
export function entries(first: number, last: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let index = first; index <= last; index++) out.push(entry(index, term));
  return out;
}

export function snapshotAt(index: number, term: number, text = `state at ${index}`): Snapshot {
  return {
    metadata: { index, term, conf: { voters: [1, 2, 3], learners: [4], removed: [] } },
    data: new TextEncoder().encode(text),
  };
}

export function testKey(fill: number): Uint8Array {
  return new Uint8Array(32).fill(fill);
}

/** A fresh directory under the OS temp dir; call the returned function to remove it. */
export function temporaryDirectory(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'shoal-storage-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Whether `needle` occurs anywhere in `haystack`. */
export function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  const bytes = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  return bytes.includes(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}
