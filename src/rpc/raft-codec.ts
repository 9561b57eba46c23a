// Raft messages <-> the protobuf form of proto/raft.proto.
//
// The proto mirrors src/raft/types.ts with the same (lowerCamelCase) field names and enum
// numbers, so the conversion is mostly a pass-through: entries and snapshot metadata are handed
// to the encoder as they are, and byte fields are never copied here. On the wire, zero/empty
// fields are left off (proto3 defaults); the decoder fills them back in. Decoded byte fields are
// Buffers that view the received frame.
import {
  EMPTY_BYTES,
  type Entry,
  type EntryType,
  type Message,
  type MessageType,
  type SnapshotMetadata,
} from '../raft/types.ts';
import { raftServiceDefinition } from './protos.ts';

/** A Message as handed to the protobuf encoder: absent fields are zero/empty. */
export interface WireMessageIn {
  type?: number;
  from?: number;
  to?: number;
  term?: number;
  index?: number;
  logTerm?: number;
  entries?: readonly WireEntry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  context?: Uint8Array;
  snapshot?: WireSnapshotMetadata;
  snapshotOffset?: number;
  snapshotSize?: number;
  chunk?: Uint8Array;
  transfer?: boolean;
}

export interface WireEntry {
  term: number;
  index: number;
  type: number;
  data: Uint8Array;
}

export interface WireConfState {
  voters: number[];
  learners: number[];
  removed: number[];
}

export interface WireSnapshotMetadata {
  index: number;
  term: number;
  conf: WireConfState | null;
}

/** A Message as the decoder returns it (loader option `defaults: true`: every field set). */
export interface WireMessageOut {
  type: number;
  from: number;
  to: number;
  term: number;
  index: number;
  logTerm: number;
  entries: WireEntry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
  snapshot: WireSnapshotMetadata | null;
  snapshotOffset: number;
  snapshotSize: number;
  chunk: Uint8Array;
  transfer: boolean;
}

export interface WireBatchIn {
  messages: WireMessageIn[];
}

export interface WireBatchOut {
  messages: WireMessageOut[];
}

/** The protobuf form of `m`, sharing its entries, snapshot metadata and byte arrays. */
export function messageToWire(m: Message): WireMessageIn {
  const w: WireMessageIn = { type: m.type, from: m.from, to: m.to };
  if (m.term !== 0) w.term = m.term;
  if (m.index !== 0) w.index = m.index;
  if (m.logTerm !== 0) w.logTerm = m.logTerm;
  if (m.entries.length > 0) w.entries = m.entries;
  if (m.commit !== 0) w.commit = m.commit;
  if (m.reject) w.reject = true;
  if (m.rejectHint !== 0) w.rejectHint = m.rejectHint;
  if (m.context.length > 0) w.context = m.context;
  if (m.snapshot !== null) w.snapshot = m.snapshot;
  if (m.snapshotOffset !== 0) w.snapshotOffset = m.snapshotOffset;
  if (m.snapshotSize !== 0) w.snapshotSize = m.snapshotSize;
  if (m.chunk.length > 0) w.chunk = m.chunk;
  if (m.transfer) w.transfer = true;
  return w;
}

function snapshotFromWire(s: WireSnapshotMetadata): SnapshotMetadata {
  const conf = s.conf ?? { voters: [], learners: [], removed: [] };
  return {
    index: s.index,
    term: s.term,
    conf: { voters: conf.voters, learners: conf.learners, removed: conf.removed },
  };
}

function bytes(b: Uint8Array): Uint8Array {
  return b.length === 0 ? EMPTY_BYTES : b;
}

/** The Message a decoded protobuf form stands for. Shares the decoded arrays and bytes. */
export function messageFromWire(w: WireMessageOut): Message {
  const entries = w.entries as Entry[];
  for (const e of entries) {
    e.type = e.type as EntryType;
    if (e.data.length === 0) e.data = EMPTY_BYTES;
  }
  return {
    type: w.type as MessageType,
    from: w.from,
    to: w.to,
    term: w.term,
    index: w.index,
    logTerm: w.logTerm,
    entries,
    commit: w.commit,
    reject: w.reject,
    rejectHint: w.rejectHint,
    context: bytes(w.context),
    snapshot: w.snapshot === null ? null : snapshotFromWire(w.snapshot),
    snapshotOffset: w.snapshotOffset,
    snapshotSize: w.snapshotSize,
    chunk: bytes(w.chunk),
    transfer: w.transfer,
  };
}

/** Fixed per-message and per-entry allowances covering tags, varints and length prefixes. */
const MESSAGE_OVERHEAD = 16 * 11 + 16;
const ENTRY_OVERHEAD = 4 * 11 + 8;

/**
 * An upper bound on the encoded size of `m` inside a MessageBatch, cheap enough to compute for
 * every message (used to keep batches under the gRPC message size limit).
 */
export function encodedSizeBound(m: Message): number {
  let size = MESSAGE_OVERHEAD + m.context.length + m.chunk.length;
  for (const e of m.entries) size += ENTRY_OVERHEAD + e.data.length;
  if (m.snapshot !== null) {
    const c = m.snapshot.conf;
    size += 40 + 11 * (c.voters.length + c.learners.length + c.removed.length);
  }
  return size;
}

/** Encodes messages as one MessageBatch (what the transport writes to a stream). */
export function encodeBatch(messages: readonly Message[]): Buffer {
  const batch: WireBatchIn = { messages: messages.map(messageToWire) };
  return raftServiceDefinition().Send!.requestSerialize(batch);
}

/** Decodes a MessageBatch. Byte fields of the result are views of `buf`. */
export function decodeBatch(buf: Buffer): Message[] {
  const batch = raftServiceDefinition().Send!.requestDeserialize(buf) as WireBatchOut;
  return batch.messages.map(messageFromWire);
}
