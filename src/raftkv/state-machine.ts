// The key-value state machine replicated by the Raft demo, the simulator and the benchmark.
// Commands are binary: [kind u8][request id: u8 length + bytes][key: u16 length + bytes]
// [value: u32 length + bytes]. Snapshots are the whole map, in the same length-prefixed form.
import { type Entry, invariant } from '../raft/index.ts';
import type { ReplicatedStateMachine } from '../replica/index.ts';

export enum CommandKind {
  Put = 1,
  Append = 2,
}

export interface KvCommand {
  kind: CommandKind;
  requestId: string;
  key: string;
  value: Uint8Array;
}

const MAX_REQUEST_ID_BYTES = 255;
const MAX_KEY_BYTES = 65_535;

export function encodeCommand(command: KvCommand): Uint8Array {
  const requestId = Buffer.from(command.requestId, 'utf8');
  const key = Buffer.from(command.key, 'utf8');
  invariant(requestId.length <= MAX_REQUEST_ID_BYTES, 'request id too long');
  invariant(key.length <= MAX_KEY_BYTES, 'key too long');
  const out = Buffer.allocUnsafe(
    1 + 1 + requestId.length + 2 + key.length + 4 + command.value.length,
  );
  let offset = out.writeUInt8(command.kind, 0);
  offset = out.writeUInt8(requestId.length, offset);
  offset += requestId.copy(out, offset);
  offset = out.writeUInt16BE(key.length, offset);
  offset += key.copy(out, offset);
  offset = out.writeUInt32BE(command.value.length, offset);
  out.set(command.value, offset);
  return out;
}

export function decodeCommand(data: Uint8Array): KvCommand {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const kind = buffer.readUInt8(0);
  invariant(kind === CommandKind.Put || kind === CommandKind.Append, `bad command kind ${kind}`);
  let offset = 1;
  const requestIdLength = buffer.readUInt8(offset);
  offset += 1;
  const requestId = buffer.toString('utf8', offset, offset + requestIdLength);
  offset += requestIdLength;
  const keyLength = buffer.readUInt16BE(offset);
  offset += 2;
  const key = buffer.toString('utf8', offset, offset + keyLength);
  offset += keyLength;
  const valueLength = buffer.readUInt32BE(offset);
  offset += 4;
  invariant(offset + valueLength === buffer.length, 'command length mismatch');
  return { kind, requestId, key, value: buffer.subarray(offset, offset + valueLength) };
}

export class KvStateMachine implements ReplicatedStateMachine {
  private readonly values = new Map<string, Uint8Array>();

  /** Applies one committed command and returns its request id. */
  apply(entry: Entry): string {
    const command = decodeCommand(entry.data);
    if (command.kind === CommandKind.Put) {
      this.values.set(command.key, command.value);
    } else {
      const existing = this.values.get(command.key);
      this.values.set(
        command.key,
        existing ? Buffer.concat([existing, command.value]) : Buffer.from(command.value),
      );
    }
    return command.requestId;
  }

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  get size(): number {
    return this.values.size;
  }

  snapshot(): Uint8Array {
    const parts: Buffer[] = [];
    for (const [key, value] of [...this.values].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const keyBytes = Buffer.from(key, 'utf8');
      const header = Buffer.allocUnsafe(6);
      header.writeUInt16BE(keyBytes.length, 0);
      header.writeUInt32BE(value.length, 2);
      parts.push(header, keyBytes, Buffer.from(value));
    }
    return Buffer.concat(parts);
  }

  restore(data: Uint8Array): void {
    this.values.clear();
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    while (offset < buffer.length) {
      const keyLength = buffer.readUInt16BE(offset);
      const valueLength = buffer.readUInt32BE(offset + 2);
      offset += 6;
      const key = buffer.toString('utf8', offset, offset + keyLength);
      offset += keyLength;
      this.values.set(key, Buffer.from(buffer.subarray(offset, offset + valueLength)));
      offset += valueLength;
    }
    invariant(offset === buffer.length, 'snapshot length mismatch');
  }

  /** A canonical digest-friendly form, for comparing replicas. */
  fingerprint(): string {
    return Buffer.from(this.snapshot()).toString('base64');
  }
}
