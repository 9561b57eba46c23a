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
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type DaemonProcess,
  type DaemonProcesses,
  daemonsForTest,
  namespacesAvailable,
  type TestHost,
  TestNetwork,
  waitFor,
} from '../src/testkit/index.ts';

const PORT = 2377;
/** Between checks that run the CLI (a process each): the machine is shared. */
const POLL_MS = 250;

function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) {
  return waitFor(what, timeoutMs, check, POLL_MS);
}

/** The interface of `host` that holds its address (the host side of its veth pair). */
function interfaceOf(host: TestHost): string {
  const out = execFileSync('ip', ['-n', host.namespace, '-o', '-4', 'addr', 'show'], {
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.includes(` ${host.ip}/`));
  const name = line?.split(/\s+/)[1];
  assert.ok(name, `no interface of ${host.namespace} holds ${host.ip}:\n${out}`);
  return name;
}

/** Gives the host's interface another address in the same /24, as a new DHCP lease would. */
function moveHost(host: TestHost, daemon: DaemonProcess, newIp: string): void {
  const device = interfaceOf(host);
  execFileSync('ip', ['-n', host.namespace, 'addr', 'del', `${host.ip}/24`, 'dev', device]);
  execFileSync('ip', ['-n', host.namespace, 'addr', 'add', `${newIp}/24`, 'dev', device]);
  host.ip = newIp;
  daemon.ip = newIp;
  daemon.clusterAddr = `${newIp}:${PORT}`;
}

function addressFlags(host: TestHost): string[] {
  return ['--advertise-addr', interfaceOf(host), '--listen-addr', `0.0.0.0:${PORT}`];
}

/** The managers a node keeps on disk to reconnect to (node.json). */
function knownManagers(daemon: DaemonProcess): string[] {
  try {
    return (
      JSON.parse(readFileSync(join(daemon.dataDir, 'node.json'), 'utf8')) as {
        managers: string[];
      }
    ).managers;
  } catch {
    return []; // being rewritten (renamed into place): read again
  }
}

async function inspect(cluster: DaemonProcesses, via: DaemonProcess, node: string) {
  const format = '{{.ID}} {{.Status.State}} {{.Status.Addr}} {{.ManagerStatus.Addr}}';
  const result = await cluster.cli(via, ['node', 'inspect', '-f', format, node]);
  const [id, state, addr, managerAddr] = result.stdout.trim().split(' ');
  return result.code === 0 ? { id, state, addr, managerAddr } : null;
}

/** MANAGER STATUS of each node as `via` lists it: hostname → Leader/Reachable/Unreachable. */
async function managerStatuses(cluster: DaemonProcesses, via: DaemonProcess) {
  const result = await cluster.cli(via, [
    'node',
    'ls',
    '--format',
    '{{.Hostname}} {{.ManagerStatus}}',
  ]);
  if (result.code !== 0) return null;
  const statuses = new Map<string, string>();
  for (const line of result.stdout.trim().split('\n')) {
    const [name, status] = line.split(' ');
    if (name && status) statuses.set(name, status);
  }
  return statuses;
}

async function labelled(cluster: DaemonProcesses, via: DaemonProcess, value: string) {
  const write = await cluster.cli(via, [
    'node',
    'update',
    '--label-add',
    `step=${value}`,
    'node-1',
  ]);
  return write.code === 0;
}

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
  await poll('three managers, one leading, the others reachable', 30_000, async () => {
    const statuses = await managerStatuses(cluster, n1);
    const values = [...(statuses?.values() ?? [])];
    const leaders = values.filter((s) => s === 'Leader').length;
    const reachable = values.filter((s) => s === 'Reachable').length;
    return leaders === 1 && reachable === 2 ? true : undefined;
  });
  const before = await inspect(cluster, n2, 'node-1');
  assert.equal(before?.managerAddr, `${h1.ip}:${PORT}`, 'the interface was resolved at init');

  // The first manager (the leader) goes down; its interface gets another address meanwhile.
  const oldIp = h1.ip;
  const newIp = oldIp.replace(/\.\d+$/, '.101');
  await cluster.kill(n1);
  moveHost(h1, n1, newIp);
  await cluster.start(n1);

  await poll('the cluster to record the moved manager at its new address', 60_000, async () => {
    const seen = await Promise.all([n1, n2, n3].map((via) => inspect(cluster, via, 'node-1')));
    return seen.every(
      (node) =>
        node?.managerAddr === `${newIp}:${PORT}` && node.addr === newIp && node.state === 'ready',
    )
      ? seen
      : undefined;
  });
  const after = await inspect(cluster, n2, 'node-1');
  assert.equal(after?.id, before?.id, 'the same node, not a new one joined');
  await poll('the moved manager to be reachable', 30_000, async () => {
    const status = (await managerStatuses(cluster, n2))?.get('node-1');
    return status === 'Reachable' || status === 'Leader' ? true : undefined;
  });
  await poll('a write through the moved manager to commit', 30_000, async () =>
    (await labelled(cluster, n1, 'moved')) ? true : undefined,
  );
  const swarmNodes = (await cluster.ok(n3, ['node', 'ls', '-q'])).trim().split('\n');
  assert.equal(swarmNodes.length, 4, 'nobody joined again');
  await poll("every node's managers to name the new address, not the old", 30_000, async () =>
    [n1, n2, n3, worker].every((node) => {
      const managers = knownManagers(node);
      return managers.includes(`${newIp}:${PORT}`) && !managers.includes(`${oldIp}:${PORT}`);
    })
      ? true
      : undefined,
  );

  // Another manager goes: the quorum of the two left needs the moved one's vote. Stop the
  // leader if it is not the moved manager, so that an election must reach it.
  const statuses = await managerStatuses(cluster, n2);
  const leaderName = [...(statuses?.entries() ?? [])].find(([, s]) => s === 'Leader')?.[0];
  const victim = leaderName === 'node-3' ? n3 : leaderName === 'node-2' ? n2 : n3;
  const survivor = victim === n2 ? n3 : n2;
  await cluster.kill(victim);
  await poll('a write to commit with the moved manager in the quorum', 60_000, async () =>
    (await labelled(cluster, survivor, 'quorum')) ? true : undefined,
  );
  await poll('the moved manager to apply it', 30_000, async () => {
    const label = await cluster.cli(n1, [
      'node',
      'inspect',
      '-f',
      '{{ index .Spec.Labels "step" }}',
      'node-1',
    ]);
    return label.stdout.trim() === 'quorum' ? true : undefined;
  });

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
