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
