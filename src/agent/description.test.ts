import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeNode, type HostFacts } from './description.ts';

const host = (arch: string, platform = 'linux'): HostFacts => ({
  hostname: () => 'box',
  arch: () => arch,
  platform: () => platform,
  cpuCount: () => 4,
  totalmem: () => 8 * 1024 ** 3,
});

test('describes the machine as Docker names it', () => {
  assert.deepEqual(describeNode({ version: '0.1.0' }, host('x64')), {
    Hostname: 'box',
    Platform: { Architecture: 'x86_64', OS: 'linux' },
    Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 1024 ** 3 },
    Engine: { EngineVersion: '0.1.0', Labels: {} },
  });
  assert.equal(describeNode({ version: 'v' }, host('arm64')).Platform.Architecture, 'aarch64');
  assert.equal(describeNode({ version: 'v' }, host('arm')).Platform.Architecture, 'armv7l');
  assert.equal(describeNode({ version: 'v' }, host('riscv64')).Platform.Architecture, 'riscv64');
  assert.equal(describeNode({ version: 'v' }, host('x64', 'win32')).Platform.OS, 'windows');
  const named = describeNode({ version: 'v', hostname: 'given', labels: { a: 'b' } }, host('x64'));
  assert.equal(named.Hostname, 'given');
  assert.deepEqual(named.Engine.Labels, { a: 'b' });
});

test('reads this machine by default', () => {
  const d = describeNode({ version: '0.1.0' });
  assert.ok(d.Hostname.length > 0);
  assert.ok(d.Resources.NanoCPUs >= 1e9 && d.Resources.NanoCPUs % 1e9 === 0);
  assert.ok(d.Resources.MemoryBytes > 0);
  if (process.arch === 'x64') assert.equal(d.Platform.Architecture, 'x86_64');
  if (process.arch === 'arm64') assert.equal(d.Platform.Architecture, 'aarch64');
});
