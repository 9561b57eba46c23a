// Helpers of the tests of nodes whose addresses change (DHCP): hosts in network namespaces
// (src/testkit/netns.ts), an address moved on a host's interface, and what the cluster says
// of a node, read through the CLI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DaemonProcess,
  type DaemonProcesses,
  type TestHost,
  waitFor,
} from '../src/testkit/index.ts';

export const PORT = 2377;
/** Between checks that run the CLI (a process each): the machine is shared. */
const POLL_MS = 250;

export function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) {
  return waitFor(what, timeoutMs, check, POLL_MS);
}

/** The interface of `host` that holds its address (the host side of its veth pair). */
export function interfaceOf(host: TestHost): string {
  const out = execFileSync('ip', ['-n', host.namespace, '-o', '-4', 'addr', 'show'], {
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.includes(` ${host.ip}/`));
  const name = line?.split(/\s+/)[1];
  assert.ok(name, `no interface of ${host.namespace} holds ${host.ip}:\n${out}`);
  return name;
}

/**
 * Gives the host's interface another address in the same /24, as a new DHCP lease would
 * (the old one goes first: a lease replaces the address). Works whether the daemon runs.
 */
export function moveHost(host: TestHost, daemon: DaemonProcess, newIp: string): void {
  const device = interfaceOf(host);
  execFileSync('ip', ['-n', host.namespace, 'addr', 'del', `${host.ip}/24`, 'dev', device]);
  execFileSync('ip', ['-n', host.namespace, 'addr', 'add', `${newIp}/24`, 'dev', device]);
  host.ip = newIp;
  daemon.ip = newIp;
  daemon.clusterAddr = `${newIp}:${PORT}`;
}

/** Another address in the host's /24: its last byte replaced. */
export function nextIp(ip: string, last: number): string {
  return ip.replace(/\.\d+$/, `.${last}`);
}

/** `--advertise-addr <interface>`, listening on every address. */
export function addressFlags(host: TestHost): string[] {
  return ['--advertise-addr', interfaceOf(host), '--listen-addr', `0.0.0.0:${PORT}`];
}

/** What a node keeps on disk (node.json); null while it is being rewritten. */
export function nodeFile(
  daemon: DaemonProcess,
): { managers: string[]; advertiseAddr: string; listenAddr: string } | null {
  try {
    return JSON.parse(readFileSync(join(daemon.dataDir, 'node.json'), 'utf8'));
  } catch {
    return null; // being rewritten (renamed into place): read again
  }
}

/** The managers a node keeps on disk to reconnect to (node.json). */
export function knownManagers(daemon: DaemonProcess): string[] {
  return nodeFile(daemon)?.managers ?? [];
}

export async function inspect(cluster: DaemonProcesses, via: DaemonProcess, node: string) {
  const format = '{{.ID}} {{.Status.State}} {{.Status.Addr}} {{.ManagerStatus.Addr}}';
  const result = await cluster.cli(via, ['node', 'inspect', '-f', format, node]);
  const [id, state, addr, managerAddr] = result.stdout.trim().split(' ');
  return result.code === 0 ? { id, state, addr, managerAddr } : null;
}

/** MANAGER STATUS of each node as `via` lists it: hostname → Leader/Reachable/Unreachable. */
export async function managerStatuses(cluster: DaemonProcesses, via: DaemonProcess) {
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

/** Waits for one leader and every other manager reachable, as `via` lists them. */
export async function managersHealthy(
  cluster: DaemonProcesses,
  via: DaemonProcess,
  managers: number,
  timeoutMs: number,
): Promise<Map<string, string>> {
  return poll(`${managers} managers, one leading, the others reachable`, timeoutMs, async () => {
    const statuses = await managerStatuses(cluster, via);
    const values = [...(statuses?.values() ?? [])];
    const leaders = values.filter((s) => s === 'Leader').length;
    const reachable = values.filter((s) => s === 'Reachable').length;
    return leaders === 1 && reachable === managers - 1 ? statuses! : undefined;
  });
}

/** A write through `via` (a label on node-1); true once it committed. */
export async function labelled(cluster: DaemonProcesses, via: DaemonProcess, value: string) {
  const write = await cluster.cli(via, [
    'node',
    'update',
    '--label-add',
    `step=${value}`,
    'node-1',
  ]);
  return write.code === 0;
}

/** The label the last write set, as `via` reads it. */
export async function labelSeen(cluster: DaemonProcesses, via: DaemonProcess): Promise<string> {
  const label = await cluster.cli(via, [
    'node',
    'inspect',
    '-f',
    '{{ index .Spec.Labels "step" }}',
    'node-1',
  ]);
  return label.stdout.trim();
}

/** The addresses a host's processes listen on for TCP port `port` (ss in its namespace). */
export function listeningOn(host: TestHost, port: number): string[] {
  const out = execFileSync('ip', ['netns', 'exec', host.namespace, 'ss', '-Hltn'], {
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[3] ?? '')
    .filter((local) => local.endsWith(`:${port}`));
}

/** The three managers of these tests; node-1 (`moved`) is the one whose address changes. */
export interface Managers {
  moved: DaemonProcess;
  others: [DaemonProcess, DaemonProcess];
}

/**
 * node-1, moved from `oldIp` to `newIp`: every manager records it there and ready, it is
 * Reachable (or leads), a write through it commits, and every node in `everyone` names its
 * new address among the managers and not the old one.
 */
export async function checkManagerMoved(
  cluster: DaemonProcesses,
  { moved, others }: Managers,
  everyone: DaemonProcess[],
  addresses: { oldIp: string; newIp: string; timeoutMs: number; label: string },
): Promise<void> {
  const { oldIp, newIp, timeoutMs, label } = addresses;
  const [n2] = others;
  await poll(
    'every manager to record the moved manager at its new address',
    timeoutMs,
    async () => {
      const seen = await Promise.all(
        [moved, ...others].map((via) => inspect(cluster, via, 'node-1')),
      );
      return seen.every(
        (node) =>
          node?.managerAddr === `${newIp}:${PORT}` && node.addr === newIp && node.state === 'ready',
      )
        ? true
        : undefined;
    },
  );
  await poll('the moved manager to be reachable', 30_000, async () => {
    const status = (await managerStatuses(cluster, n2))?.get('node-1');
    return status === 'Reachable' || status === 'Leader' ? true : undefined;
  });
  await poll('a write through the moved manager to commit', 30_000, async () =>
    (await labelled(cluster, moved, label)) ? true : undefined,
  );
  await poll("every node's managers to name the new address, not the old", 30_000, async () =>
    everyone.every((node) => {
      const managers = knownManagers(node);
      return managers.includes(`${newIp}:${PORT}`) && !managers.includes(`${oldIp}:${PORT}`);
    })
      ? true
      : undefined,
  );
}

/**
 * Stops one of the other managers (the leader, unless node-1 leads): the quorum of the two
 * left needs node-1's vote at its new address. A write must commit and node-1 apply it.
 */
export async function checkQuorumNeedsMoved(
  cluster: DaemonProcesses,
  { moved, others }: Managers,
  label: string,
): Promise<void> {
  const [n2, n3] = others;
  const statuses = await managerStatuses(cluster, n2);
  const leaderName = [...(statuses?.entries() ?? [])].find(([, s]) => s === 'Leader')?.[0];
  const victim = leaderName === 'node-2' ? n2 : n3;
  const survivor = victim === n2 ? n3 : n2;
  await cluster.kill(victim);
  await poll('a write to commit with the moved manager in the quorum', 60_000, async () =>
    (await labelled(cluster, survivor, label)) ? true : undefined,
  );
  await poll('the moved manager to apply it', 30_000, async () =>
    (await labelSeen(cluster, moved)) === label ? true : undefined,
  );
}
