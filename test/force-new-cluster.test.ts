// Quorum lost, then `swarm init --force-new-cluster` on the survivor: two of three managers
// are SIGKILLed, writes fail with a message that says how to recover, and the survivor
// becomes the only manager with all the state (services, nodes); it stays so across a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../src/testkit/index.ts';
import { ClusterApi, running, threeNodeCluster } from './services-support.ts';

test('a survivor recovers a cluster that lost its quorum', { timeout: 240_000 }, async (t) => {
  const { cluster, nodes } = await threeNodeCluster(t, 'force-new-cluster', {
    daemonArgs: ['--docker', 'none'],
    joinAs: 'manager',
  });
  const [n1, n2, n3] = nodes;
  await waitFor('three reachable managers', 30_000, async () => {
    const ls = await cluster.ok(n1, ['node', 'ls', '--format', '{{.ManagerStatus}}']);
    return ls
      .trim()
      .split('\n')
      .filter((s) => s === 'Leader' || s === 'Reachable').length === 3
      ? true
      : undefined;
  });
  const api = new ClusterApi(n1);
  t.after(async () => {
    await api.removeAll().catch(() => {});
    api.close();
  });
  const id = await api.create({
    Name: 'keeper',
    TaskTemplate: { ContainerSpec: { Image: 'exec:/bin/sleep', Args: ['1000'] } },
    Mode: { Replicated: { Replicas: 3 } },
  });
  await api.waitTasks(id, '3 running', (ts) => running(ts).length === 3);

  await cluster.kill(n2);
  await cluster.kill(n3);
  const refused = await waitFor('writes to fail without a quorum', 30_000, async () => {
    const result = await cluster.cli(n1, ['service', 'scale', '-d', 'keeper=2']);
    return result.code !== 0 ? result : undefined;
  });
  assert.match(refused.stderr, /force-new-cluster|quorum|leader/i);

  const recovered = await cluster.ok(n1, [
    'swarm',
    'init',
    '--force-new-cluster',
    '--advertise-addr',
    n1.clusterAddr,
  ]);
  assert.match(recovered, /Swarm initialized: current node \(\w{25}\) is now a manager\./);
  const listed = await cluster.ok(n1, [
    'node',
    'ls',
    '--format',
    '{{.Hostname}}|{{.ManagerStatus}}',
  ]);
  assert.deepEqual(listed.trim().split('\n').sort(), ['node-1|Leader', 'node-2|', 'node-3|']);
  assert.equal((await api.service(id)).Spec.Name, 'keeper', 'the state survived');
  assert.match(await cluster.ok(n1, ['service', 'scale', '-d', 'keeper=2']), /keeper scaled to 2/);
  await api.waitTasks(
    id,
    '2 running on the survivor',
    (ts) => {
      const live = running(ts);
      return !!(live.length === 2 && live.every((task) => task.NodeID === live[0]!.NodeID));
    },
    60_000,
  );

  await cluster.kill(n1);
  await cluster.start(n1);
  await waitFor('the recovered manager to lead again after a restart', 30_000, async () => {
    const result = await cluster.cli(n1, [
      'node',
      'ls',
      '--format',
      '{{.Hostname}}|{{.ManagerStatus}}',
    ]);
    return result.code === 0 && result.stdout.includes('node-1|Leader') ? true : undefined;
  });
  assert.match(await cluster.ok(n1, ['service', 'scale', '-d', 'keeper=1']), /keeper scaled to 1/);
});
