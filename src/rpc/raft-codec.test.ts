import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EMPTY_BYTES, EntryType, emptyMessage, type Message, MessageType } from '../raft/types.ts';
import { kvProtoDescriptor, raftProtoDescriptor } from './proto-descriptors.generated.ts';
import { decodeBatch, encodeBatch, encodedSizeBound } from './raft-codec.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Plain data for comparison: Buffers and Uint8Arrays with the same bytes compare equal. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

function roundTrip(messages: Message[]): Message[] {
  return decodeBatch(encodeBatch(messages));
}

test('generated proto descriptors are up to date with proto/*.proto', () => {
  const result = spawnSync(process.execPath, [join(root, 'scripts/gen-proto.mjs'), '--check'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(kvProtoDescriptor.nested.shoal.nested.kv.nested.KV);
  assert.ok(raftProtoDescriptor.nested.shoal.nested.raft.nested.Raft);
});

test('proto enums have the numbers of src/raft/types.ts', () => {
  const raft = raftProtoDescriptor.nested.shoal.nested.raft.nested;
  const snake = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  const check = (tsEnum: object, protoValues: Record<string, number>, prefix: string) => {
    const tsPairs = Object.entries(tsEnum).filter(([, v]) => typeof v === 'number');
    assert.equal(tsPairs.length, Object.keys(protoValues).length);
    for (const [name, value] of tsPairs) {
      assert.equal(protoValues[`${prefix}${snake(name)}`], value, name);
    }
  };
  check(MessageType, raft.MessageType.values, 'MESSAGE_TYPE_');
  check(EntryType, raft.EntryType.values, 'ENTRY_TYPE_');
});

test('every message field survives a round trip', () => {
  const full: Message = {
    type: MessageType.Snapshot,
    from: 3,
    to: 2 ** 40 + 7,
    term: 2 ** 53 - 1,
    index: 123456789012,
    logTerm: 41,
    entries: [
      { term: 41, index: 123456789013, type: EntryType.Normal, data: bytes(100, 1) },
      { term: 42, index: 123456789014, type: EntryType.ConfChange, data: bytes(7, 2) },
      { term: 42, index: 123456789015, type: EntryType.Normal, data: EMPTY_BYTES },
    ],
    commit: 99,
    reject: true,
    rejectHint: 77,
    context: bytes(16, 3),
    snapshot: {
      index: 5000,
      term: 40,
      conf: { voters: [1, 2, 3], learners: [9], removed: [4, 2 ** 50] },
    },
    snapshotOffset: 1 << 20,
    snapshotSize: 3 << 20,
    chunk: bytes(4096, 4),
    transfer: true,
  };
  const [back] = roundTrip([full]);
  assert.deepEqual(normalize(back!), normalize(full));
});

test('zero fields are left off the wire and come back as zero/empty', () => {
  const m = emptyMessage(MessageType.Heartbeat, 1, 2, 0);
  const encoded = encodeBatch([m]);
  // MessageBatch tag+len, then Message: type, from, to (3 bytes of tag+varint each, less for 0).
  assert.ok(encoded.length <= 10, `heartbeat encodes to ${encoded.length} bytes`);
  const [back] = decodeBatch(encoded);
  assert.deepEqual(back, m);
  assert.equal(back!.context, EMPTY_BYTES);
  assert.equal(back!.snapshot, null);
});

test('snapshot metadata with an empty membership round-trips', () => {
  const m = emptyMessage(MessageType.Snapshot, 1, 2, 3);
  m.snapshot = { index: 0, term: 0, conf: { voters: [], learners: [], removed: [] } };
  const [back] = roundTrip([m]);
  assert.deepEqual(back!.snapshot, m.snapshot);
});

test('a batch keeps order and decoded bytes view the frame without copies', () => {
  const messages: Message[] = [];
  for (let i = 0; i < 50; i++) {
    const m = emptyMessage(MessageType.Append, 1, 2, 7);
    m.index = i;
    m.entries = [{ term: 7, index: i + 1, type: EntryType.Normal, data: bytes(256, i) }];
    messages.push(m);
  }
  const frame = encodeBatch(messages);
  const back = decodeBatch(frame);
  assert.deepEqual(back.map(normalize), messages.map(normalize));
  const data = back[10]!.entries[0]!.data;
  assert.equal(data.buffer, frame.buffer, 'entry data shares the frame memory');
});

test('encodedSizeBound is an upper bound on the encoded size', () => {
  const samples: Message[] = [];
  const big = emptyMessage(MessageType.Append, 2 ** 52, 2 ** 52 + 1, 2 ** 52);
  big.index = 2 ** 52;
  big.logTerm = 2 ** 52;
  big.commit = 2 ** 52;
  big.rejectHint = 2 ** 52;
  big.reject = true;
  big.transfer = true;
  big.context = bytes(300, 1);
  big.chunk = bytes(70000, 2);
  big.snapshotOffset = 2 ** 52;
  big.snapshotSize = 2 ** 52;
  big.snapshot = {
    index: 2 ** 52,
    term: 2 ** 52,
    conf: { voters: [2 ** 52, 2 ** 52], learners: [2 ** 52], removed: [2 ** 52] },
  };
  big.entries = Array.from({ length: 20 }, (_, i) => ({
    term: 2 ** 52,
    index: 2 ** 52 + i,
    type: EntryType.ConfChange,
    data: bytes(i * 1000, i),
  }));
  samples.push(big, emptyMessage(MessageType.Vote, 1, 2, 3));
  for (const m of samples) {
    assert.ok(encodeBatch([m]).length <= encodedSizeBound(m));
  }
  assert.ok(encodeBatch(samples).length <= samples.reduce((s, m) => s + encodedSizeBound(m), 0));
});
