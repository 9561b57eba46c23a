// Autolock: a restarted manager cannot read its Raft data until the operator unlocks it.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { daemonsForTest, freePorts, waitFor } from '../src/testkit/index.ts';

test('an autolocked manager stays locked after a restart until unlocked', {
  timeout: 120_000,
}, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'autolock-test');
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  const init = await cluster.initSwarm(node, ['--autolock']);
  const key = /SWMKEY-1-\S+/.exec(init)?.[0];
  assert.ok(key, 'init prints the unlock key');
  assert.equal((await cluster.ok(node, ['swarm', 'unlock-key', '-q'])).trim(), key);
  assert.equal(existsSync(join(node.dataDir, 'raft/kek')), false, 'the key is not on disk');
  assert.equal(statSync(join(node.dataDir, 'raft')).mode & 0o777, 0o700);

  await cluster.kill(node);
  await cluster.start(node);
  assert.equal(
    (await cluster.ok(node, ['info', '-f', '{{.Swarm.LocalNodeState}}'])).trim(),
    'locked',
  );
  const locked = await cluster.cli(node, ['node', 'ls']);
  assert.equal(locked.code, 1);
  assert.match(locked.stderr, /Swarm is encrypted and needs to be unlocked/);
  const wrong = await cluster.cli(
    node,
    ['swarm', 'unlock'],
    'SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n',
  );
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /invalid key/);
  const garbage = await cluster.cli(node, ['swarm', 'unlock'], 'not-a-key\n');
  assert.match(garbage.stderr, /invalid key/);

  const unlocked = await cluster.cli(node, ['swarm', 'unlock'], `${key}\n`);
  assert.equal(unlocked.code, 0, unlocked.stderr);
  await waitFor('the manager to serve again', 20_000, async () => {
    const result = await cluster.cli(node, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    return result.code === 0 && result.stdout.includes('node-1 Ready') ? true : undefined;
  });
});

test('autolock turned on and off on a running swarm, and its key rotated', {
  timeout: 180_000,
}, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'autolock-toggle');
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  await cluster.initSwarm(node);
  const kekFile = join(node.dataDir, 'raft/kek');
  assert.ok(existsSync(kekFile), 'without autolock the key is kept on the node');
  const noKey = await cluster.cli(node, ['swarm', 'unlock-key', '--rotate']);
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /autolock is not turned on/);

  const updated = await cluster.ok(node, ['swarm', 'update', '--autolock=true']);
  const key = /SWMKEY-1-\S+/.exec(updated)?.[0];
  assert.ok(key, `update prints the new unlock key: ${updated}`);
  await waitFor('the key file to go', 10_000, async () => (existsSync(kekFile) ? undefined : true));
  const restartLocked = async () => {
    await cluster.kill(node);
    await cluster.start(node);
    return (await cluster.ok(node, ['info', '-f', '{{.Swarm.LocalNodeState}}'])).trim();
  };
  const unlock = async (unlockKey: string) => {
    const result = await cluster.cli(node, ['swarm', 'unlock'], `${unlockKey}\n`);
    assert.equal(result.code, 0, result.stderr);
    await waitFor('the manager to serve again', 20_000, async () => {
      const ls = await cluster.cli(node, ['node', 'ls', '-q']);
      return ls.code === 0 ? true : undefined;
    });
  };
  assert.equal(await restartLocked(), 'locked');
  await unlock(key);

  const rotated = await cluster.ok(node, ['swarm', 'unlock-key', '--rotate']);
  assert.match(rotated, /Successfully rotated manager unlock key/);
  const newKey = (await cluster.ok(node, ['swarm', 'unlock-key', '-q'])).trim();
  assert.match(newKey, /^SWMKEY-1-/);
  assert.notEqual(newKey, key);
  // The data key is rewrapped while the cluster object applies, before the API answers.
  assert.equal(await restartLocked(), 'locked');
  const old = await cluster.cli(node, ['swarm', 'unlock'], `${key}\n`);
  assert.equal(old.code, 1, 'the old key no longer unlocks');
  await unlock(newKey);

  await cluster.ok(node, ['swarm', 'update', '--autolock=false']);
  await waitFor('the key file to be back', 10_000, async () =>
    existsSync(kekFile) ? true : undefined,
  );
  assert.equal(await restartLocked(), 'active');
  const bad = await cluster.cli(node, ['swarm', 'update', '--autolock=maybe']);
  assert.equal(bad.code, 125);

  // swarm ca: the root certificate, and the node certificates' validity.
  assert.match(
    await cluster.ok(node, ['swarm', 'ca']),
    /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/,
  );
  await cluster.ok(node, ['swarm', 'ca', '--cert-expiry', '720h']);
  const expiry = await cluster.ok(node, [
    'info',
    '-f',
    '{{.Swarm.Cluster.Spec.CAConfig.NodeCertExpiry}}',
  ]);
  assert.equal(expiry.trim(), String(720 * 3600 * 1e9));
});
