// Three managers on hosts of their own (network namespaces): the leader is cut off from the
// two others; the majority elects a new leader and keeps accepting writes, the isolated old
// leader steps down and refuses writes; once healed it follows the new leader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DaemonProcess,
  daemonsForTest,
  namespacesAvailable,
  TestNetwork,
  waitFor,
} from '../src/testkit/index.ts';

const PORT = 2377;

test('a partitioned leader steps down while the majority elects a new one', {
  timeout: 240_000,
  skip: namespacesAvailable() ? false : 'needs root and iproute2',
}, async (t) => {
  const network = new TestNetwork();
  const cluster = daemonsForTest(t.after.bind(t), 'partition-test', () => network.cleanup());
  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 3; i++) {
    const host = network.addHost(i);
    nodes.push(await cluster.add(i, PORT, { ip: host.ip, enter: network.enter(host) }));
  }
  const [n1, n2, n3] = nodes as [DaemonProcess, DaemonProcess, DaemonProcess];
  await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'manager'])).trim();
  for (const node of [n2, n3]) {
    const joined = await cluster.joinSwarm(node, token, n1.clusterAddr);
    assert.equal(joined.code, 0, joined.stderr);
  }
  const leaderOf = async (node: DaemonProcess) => {
    const out = await cluster.ok(node, [
      'node',
      'ls',
      '--format',
      '{{.Hostname}} {{.ManagerStatus}}',
    ]);
    return /(\S+) Leader/.exec(out)?.[1];
  };
  await waitFor('three voting managers agreeing on node-1 as leader', 30_000, async () => {
    const views = await Promise.all(nodes.map(leaderOf));
    const statuses = await cluster.ok(n1, ['node', 'ls', '--format', '{{.ManagerStatus}}']);
    const reachable = statuses.split('\n').filter((s) => s === 'Reachable').length;
    return views.every((v) => v === 'node-1') && reachable === 2 ? true : undefined;
  });

  network.partition(network.hosts[0]!, network.hosts[1]!);
  network.partition(network.hosts[0]!, network.hosts[2]!);

  await waitFor('the majority to elect a new leader and accept a write', 30_000, async () => {
    const leader = await leaderOf(n2);
    if (!leader || leader === 'node-1') return undefined;
    const write = await cluster.cli(n2, [
      'node',
      'update',
      '--label-add',
      'side=majority',
      'node-2',
    ]);
    return write.code === 0 ? true : undefined;
  });
  await waitFor('the isolated old leader to step down and refuse writes', 30_000, async () => {
    const write = await cluster.cli(n1, [
      'node',
      'update',
      '--label-add',
      'side=minority',
      'node-1',
    ]);
    const stepped = (await leaderOf(n1)) === undefined;
    return stepped && write.code !== 0 && /does not have a leader/.test(write.stderr)
      ? true
      : undefined;
  });

  network.heal();
  await waitFor('the old leader to follow the new one', 30_000, async () => {
    const [before, after] = [await leaderOf(n2), await leaderOf(n1)];
    return after !== undefined && after === before && after !== 'node-1' ? true : undefined;
  });
  // Knowing the new leader comes with its first heartbeat; the log follows: wait for it.
  const sideOf = async (node: string) =>
    (
      await cluster.ok(n1, ['node', 'inspect', '-f', '{{ index .Spec.Labels "side" }}', node])
    ).trim();
  await waitFor('the healed node to catch up with the majority', 30_000, async () =>
    (await sideOf('node-2')) === 'majority' ? true : undefined,
  );
  const minority = await sideOf('node-1');
  assert.equal(minority, '', 'nothing written on the minority side survived');
});
