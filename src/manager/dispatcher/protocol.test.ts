import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostOf, isUnspecifiedHost, parseNodeDescription, peerHost } from './protocol.ts';

test('the host part of an address', () => {
  assert.equal(hostOf('10.0.0.2:2377'), '10.0.0.2');
  assert.equal(hostOf('node1:2377'), 'node1');
  assert.equal(hostOf('[fd00::1]:2377'), 'fd00::1');
  assert.equal(hostOf('fd00::1'), 'fd00::1');
  assert.equal(hostOf('10.0.0.2'), '10.0.0.2');
  assert.equal(hostOf(''), '');
  assert.equal(hostOf('ipv4:10.0.0.3:5000'), '10.0.0.3');
  assert.ok(isUnspecifiedHost(hostOf('0.0.0.0:2377')));
  assert.ok(isUnspecifiedHost(hostOf('[::]:2377')));
  assert.ok(!isUnspecifiedHost('10.0.0.2'));
  assert.equal(peerHost('127.0.0.1:5555'), '127.0.0.1');
  assert.equal(peerHost('::1:5555'), '::1');
  assert.equal(peerHost('::ffff:10.1.2.3:5555'), '10.1.2.3');
});

test('a node description keeps only the known fields and is checked', () => {
  const valid = {
    Hostname: 'a',
    Platform: { Architecture: 'x86_64', OS: 'linux' },
    Resources: { NanoCPUs: 2e9, MemoryBytes: 1024 },
    Engine: { EngineVersion: '0.1.0', Labels: { z: 'y' } },
    Extra: 'dropped',
  };
  const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
  const parsed = parseNodeDescription(bytes(valid));
  assert.deepEqual(parsed, {
    Hostname: 'a',
    Platform: { Architecture: 'x86_64', OS: 'linux' },
    Resources: { NanoCPUs: 2e9, MemoryBytes: 1024 },
    Engine: { EngineVersion: '0.1.0', Labels: { z: 'y' } },
  });
  assert.throws(() => parseNodeDescription(Buffer.from('{')), /not JSON/);
  assert.throws(() => parseNodeDescription(bytes([])), /must be an object/);
  assert.throws(() => parseNodeDescription(bytes({ ...valid, Hostname: 3 })), /Hostname/);
  assert.throws(
    () => parseNodeDescription(bytes({ ...valid, Resources: { NanoCPUs: -1, MemoryBytes: 1 } })),
    /Resources/,
  );
  assert.throws(
    () =>
      parseNodeDescription(bytes({ ...valid, Engine: { EngineVersion: 'x', Labels: { a: 1 } } })),
    /Labels/,
  );
  assert.throws(() => parseNodeDescription(Buffer.alloc(70_000, 32)), /over/);
});
