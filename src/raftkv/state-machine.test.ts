import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntryType } from '../raft/index.ts';
import { CommandKind, decodeCommand, encodeCommand, KvStateMachine } from './state-machine.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (data: Uint8Array) => ({ term: 1, index: 1, type: EntryType.Normal, data });

test('commands round-trip through their binary form', () => {
  const command = { kind: CommandKind.Append, requestId: 'c1-7', key: 'kéy', value: bytes('v') };
  const decoded = decodeCommand(encodeCommand(command));
  assert.equal(decoded.kind, command.kind);
  assert.equal(decoded.requestId, command.requestId);
  assert.equal(decoded.key, command.key);
  assert.deepEqual([...decoded.value], [...command.value]);
});

test('put replaces, append concatenates, and a snapshot restores the same map', () => {
  const machine = new KvStateMachine();
  machine.apply(
    entry(encodeCommand({ kind: CommandKind.Put, requestId: 'a', key: 'k', value: bytes('1') })),
  );
  machine.apply(
    entry(encodeCommand({ kind: CommandKind.Append, requestId: 'b', key: 'k', value: bytes('2') })),
  );
  machine.apply(
    entry(encodeCommand({ kind: CommandKind.Append, requestId: 'c', key: 'n', value: bytes('x') })),
  );
  assert.equal(Buffer.from(machine.get('k')!).toString(), '12');
  const copy = new KvStateMachine();
  copy.restore(machine.snapshot());
  assert.equal(copy.fingerprint(), machine.fingerprint());
  assert.equal(Buffer.from(copy.get('n')!).toString(), 'x');
});

test('a truncated command is refused rather than half-applied', () => {
  const data = encodeCommand({
    kind: CommandKind.Put,
    requestId: 'a',
    key: 'k',
    value: bytes('12'),
  });
  assert.throws(() => decodeCommand(data.subarray(0, data.length - 1)));
});
