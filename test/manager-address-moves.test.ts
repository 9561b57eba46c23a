// Addresses that change without a restart, and two managers that move at once. Each node on a
// host of its own (network namespaces), managers given `--advertise-addr <interface>`.
//
// 1. A DHCP lease renewed onto another address while the daemons run: the first manager (the
//    leader) and a worker that listens on its interface get new addresses. The manager's new
//    address is recorded (ManagerStatus.Addr, Status.Addr, node.json), it stays Reachable (or
//    Leader), a write commits through it, and with another manager stopped the two left keep a
//    quorum. The worker's cluster port listens on its new address, and its Status.Addr follows.
// 2. Two of three managers killed, both moved, both restarted: the third still has their old
//    addresses and they have each other's old ones. The third learns where they are from their
//    Raft streams (authenticated by their certificates), so a leader is elected and writes
//    commit; then both entries are rewritten and every manager dials the new addresses.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
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
  interfaceOf,
  labelled,
  labelSeen,
  listeningOn,
  managersHealthy,
  moveHost,
  nextIp,
  nodeFile,
  PORT,
  poll,
} from './manager-address-support.ts';

const SKIP = namespacesAvailable() ? false : 'needs root and iproute2';

/** Three managers (node-1 initialises, with a 1 s heartbeat) on hosts of their own. */
async function threeManagers(t: TestContext, name: string) {
  const network = new TestNetwork();
  const cluster = daemonsForTest(t.after.bind(t), name, () => network.cleanup());
  cluster.daemonArgs = ['--docker', 'none'];
  const hosts: TestHost[] = [];
  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 3; i++) {
    const host = network.addHost(i);
    hosts.push(host);
    nodes.push(await cluster.add(i, PORT, { ip: host.ip, enter: network.enter(host) }));
  }
  const [n1, n2, n3] = nodes as [DaemonProcess, DaemonProcess, DaemonProcess];
  await cluster.ok(n1, [
    'swarm',
    'init',
    ...addressFlags(hosts[0]!),
    '--dispatcher-heartbeat',
    '1s',
  ]);
  const managerToken = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'manager'])).trim();
  for (const [index, node] of [n2, n3].entries()) {
    const flags = addressFlags(hosts[index + 1]!);
    await cluster.ok(node, ['swarm', 'join', '--token', managerToken, ...flags, n1.clusterAddr]);
  }
  await managersHealthy(cluster, n1, 3, 60_000);
  return { network, cluster, hosts, n1, n2, n3 };
}

test('a manager and a worker whose addresses change while they run follow them', {
  timeout: 300_000,
  skip: SKIP,
}, async (t) => {
  const { network, cluster, hosts, n1, n2, n3 } = await threeManagers(t, 'address-live');
  const h1 = hosts[0]!;
  const h4 = network.addHost(4);
  const worker = await cluster.add(4, PORT, { ip: h4.ip, enter: network.enter(h4) });
  const workerToken = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  // The worker listens on its interface only: its cluster port must move with the address.
  const device = interfaceOf(h4);
  await cluster.ok(worker, [
    'swarm',
    'join',
    '--token',
    workerToken,
    '--listen-addr',
    `${device}:${PORT}`,
    '--advertise-addr',
    device,
    n1.clusterAddr,
  ]);
  assert.deepEqual(listeningOn(h4, PORT), [`${h4.ip}:${PORT}`]);
  const before = await inspect(cluster, n2, 'node-1');
  assert.equal(before?.managerAddr, `${h1.ip}:${PORT}`);

  // The leader's lease is renewed onto another address; its daemon keeps running.
  const oldIp = h1.ip;
  const newIp = nextIp(oldIp, 101);
  moveHost(h1, n1, newIp);

  const managers = { moved: n1, others: [n2, n3] as [typeof n2, typeof n3] };
  await checkManagerMoved(cluster, managers, [n1, n2, n3, worker], {
    oldIp,
    newIp,
    timeoutMs: 90_000,
    label: 'moved-live',
  });
  assert.equal((await inspect(cluster, n2, 'node-1'))?.id, before?.id, 'the same node');
  assert.equal(nodeFile(n1)?.advertiseAddr, `${newIp}:${PORT}`, 'kept on disk');
  await checkQuorumNeedsMoved(cluster, managers, 'quorum-live');

  // The worker's lease changes too: its session reports the new address, and its cluster
  // port (given as an interface) listens there instead of the old one.
  const workerNew = nextIp(h4.ip, 104);
  moveHost(h4, worker, workerNew);
  await poll("the worker's new address", 90_000, async () => {
    const node = await inspect(cluster, n1, 'node-4');
    return node?.addr === workerNew && node.state === 'ready' ? true : undefined;
  });
  await poll("the worker's cluster port on its new address", 30_000, async () =>
    listeningOn(h4, PORT).join() === `${workerNew}:${PORT}` ? true : undefined,
  );
  assert.equal(nodeFile(worker)?.listenAddr, `${workerNew}:${PORT}`);
});

test('two managers that move at once find the cluster again', {
  timeout: 300_000,
  skip: SKIP,
}, async (t) => {
  const { cluster, hosts, n1, n2, n3 } = await threeManagers(t, 'address-two');
  const [h1, h2] = hosts as [TestHost, TestHost];
  const ids = await Promise.all(['node-1', 'node-2'].map((n) => inspect(cluster, n3, n)));

  // Both go down and come back on new addresses: the survivor alone has no quorum, and each
  // of the moved ones knows the other at its old address only.
  await cluster.kill(n1);
  await cluster.kill(n2);
  const moved = [
    { daemon: n1, host: h1, name: 'node-1', ip: nextIp(h1.ip, 101) },
    { daemon: n2, host: h2, name: 'node-2', ip: nextIp(h2.ip, 102) },
  ];
  for (const m of moved) moveHost(m.host, m.daemon, m.ip);
  await cluster.start(n1);
  await cluster.start(n2);

  await poll('a leader elected and a write committed', 90_000, async () =>
    (await labelled(cluster, n3, 'two-moved')) ? true : undefined,
  );
  await poll('both entries rewritten, as every manager sees them', 90_000, async () => {
    for (const via of [n1, n2, n3]) {
      for (const m of moved) {
        const node = await inspect(cluster, via, m.name);
        if (node?.managerAddr !== `${m.ip}:${PORT}` || node.addr !== m.ip) return undefined;
        if (node.state !== 'ready') return undefined;
      }
    }
    return true;
  });
  const after = await Promise.all(['node-1', 'node-2'].map((n) => inspect(cluster, n3, n)));
  assert.deepEqual(
    after.map((n) => n?.id),
    ids.map((n) => n?.id),
    'the same nodes, none joined again',
  );
  await managersHealthy(cluster, n3, 3, 60_000);
  // The moved managers reach each other: with the third stopped, they still commit.
  await cluster.kill(n3);
  await poll('a write committed by the two moved managers alone', 60_000, async () =>
    (await labelled(cluster, n1, 'moved-pair')) ? true : undefined,
  );
  await poll('the other moved manager to apply it', 30_000, async () =>
    (await labelSeen(cluster, n2)) === 'moved-pair' ? true : undefined,
  );
});
