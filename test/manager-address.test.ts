// A node whose address changed while its daemon was down (DHCP) keeps its place in the
// cluster without joining again. Three managers and a worker, each on a host of its own
// (network namespaces): the managers given `--advertise-addr <interface>`, the worker no
// address at all (it advertises the system's one address, detected). The first manager is
// stopped, its interface gets another address, and it starts again on the same data dir: the
// cluster records its new address (ManagerStatus.Addr, Status.Addr), it is Reachable, writes
// commit, and with another manager stopped the two left keep a quorum, so the moved one votes
// at its new address; every node's list of managers to reconnect to names the new address.
// The worker is moved the same way and shows its new Status.Addr.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DaemonProcess,
  daemonsForTest,
  namespacesAvailable,
  type TestHost,
  TestNetwork,
} from '../src/testkit/index.ts';
import {
  addressFlags,
  checkManagerMoved,
  checkQuorumNeedsMoved,
  inspect,
  managersHealthy,
  moveHost,
  PORT,
  poll,
} from './manager-address-support.ts';

test('a manager and a worker that come back on new addresses keep their places', {
  timeout: 300_000,
  skip: namespacesAvailable() ? false : 'needs root and iproute2',
}, async (t) => {
  const network = new TestNetwork();
  const cluster = daemonsForTest(t.after.bind(t), 'manager-address', () => network.cleanup());
  cluster.daemonArgs = ['--docker', 'none'];
  const hosts: TestHost[] = [];
  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 4; i++) {
    const host = network.addHost(i);
    hosts.push(host);
    nodes.push(await cluster.add(i, PORT, { ip: host.ip, enter: network.enter(host) }));
  }
  const [n1, n2, n3, worker] = nodes as [
    DaemonProcess,
    DaemonProcess,
    DaemonProcess,
    DaemonProcess,
  ];
  const [h1, , , h4] = hosts as [TestHost, TestHost, TestHost, TestHost];
  await cluster.ok(n1, ['swarm', 'init', ...addressFlags(h1), '--dispatcher-heartbeat', '1s']);
  const managerToken = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'manager'])).trim();
  const workerToken = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  for (const [index, node] of [n2, n3].entries()) {
    const flags = addressFlags(hosts[index + 1]!);
    await cluster.ok(node, ['swarm', 'join', '--token', managerToken, ...flags, n1.clusterAddr]);
  }
  // No address given: the worker's one address is detected, now and at each start.
  await cluster.ok(worker, ['swarm', 'join', '--token', workerToken, n1.clusterAddr]);
  assert.equal((await inspect(cluster, n1, 'node-4'))?.addr, h4.ip);
  await managersHealthy(cluster, n1, 3, 30_000);
  const before = await inspect(cluster, n2, 'node-1');
  assert.equal(before?.managerAddr, `${h1.ip}:${PORT}`, 'the interface was resolved at init');

  // The first manager (the leader) goes down; its interface gets another address meanwhile.
  const oldIp = h1.ip;
  const newIp = oldIp.replace(/\.\d+$/, '.101');
  await cluster.kill(n1);
  moveHost(h1, n1, newIp);
  await cluster.start(n1);

  const managers = { moved: n1, others: [n2, n3] as [typeof n2, typeof n3] };
  await checkManagerMoved(cluster, managers, [n1, n2, n3, worker], {
    oldIp,
    newIp,
    timeoutMs: 60_000,
    label: 'moved',
  });
  const after = await inspect(cluster, n2, 'node-1');
  assert.equal(after?.id, before?.id, 'the same node, not a new one joined');
  const swarmNodes = (await cluster.ok(n3, ['node', 'ls', '-q'])).trim().split('\n');
  assert.equal(swarmNodes.length, 4, 'nobody joined again');
  await checkQuorumNeedsMoved(cluster, managers, 'quorum');

  // The worker moves too: its session reports the new address.
  const workerOld = h4.ip;
  const workerNew = workerOld.replace(/\.\d+$/, '.104');
  await cluster.kill(worker);
  moveHost(h4, worker, workerNew);
  await cluster.start(worker);
  await poll("the worker's new address", 60_000, async () => {
    const node = await inspect(cluster, n1, 'node-4');
    return node?.addr === workerNew && node.state === 'ready' ? true : undefined;
  });
});
