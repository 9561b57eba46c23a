// Binary form of a ConfChange carried in a log entry: [type u8][nodeId f64][context...].
import { type ConfChange, ConfChangeType } from './types.ts';

const HEADER_BYTES = 9;

export function encodeConfChange(change: ConfChange): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + change.context.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, change.type);
  view.setFloat64(1, change.nodeId);
  out.set(change.context, HEADER_BYTES);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < HEADER_BYTES) throw new Error(`conf change too short: ${data.length} bytes`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = view.getUint8(0);
  if (!(type in ConfChangeType)) throw new Error(`unknown conf change type ${type}`);
  const nodeId = view.getFloat64(1);
  if (!Number.isSafeInteger(nodeId) || nodeId <= 0) throw new Error(`bad node id ${nodeId}`);
  return { type, nodeId, context: data.slice(HEADER_BYTES) };
}
