// The routing mesh between hosts of their own (network namespaces, one daemon each): a service
// of 3 replicas on the 2 workers, published on 8080, answers on every node's address; when one
// node's tasks die, traffic shifts to the others; a rolling update under a steady client fails
// no request.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Task } from '../src/store/index.ts';
import {
  type DaemonProcess,
  type DaemonProcesses,
  daemonsForTest,
  namespacesAvailable,
  TestNetwork,
  waitFor,
} from '../src/testkit/index.ts';
import { echoContainer } from './mesh-support.ts';
import { ClusterApi, running } from './services-support.ts';

const PORT = 2377;
const PUBLISHED = 8080;
const LOAD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/http-load.mjs');

interface LoadSummary {
  ok: number;
  failed: number;
  answers: Record<string, number>;
  errors: string[];
}

/** A client in `enter`'s namespace sending requests round robin to the targets until stopped. */
class Load {
  private readonly child: ChildProcess;
  private output = '';
  private readonly exited: Promise<void>;

  constructor(enter: string[], targets: string[], env: Record<string, string> = {}) {
    const [command, ...args] = [...enter, process.execPath, LOAD, ...targets];
    this.child = spawn(command!, args, {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    this.child.stdout!.on('data', (chunk) => {
      this.output += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Waits for it to finish on its own (COUNT requests). */
  async result(): Promise<LoadSummary> {
    await this.exited;
    return JSON.parse(this.output) as LoadSummary;
  }

  async stop(): Promise<LoadSummary> {
    this.child.stdin!.end();
    return this.result();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

async function cluster3(t: TestContext) {
  const network = new TestNetwork();
  const cluster = daemonsForTest(t.after.bind(t), 'mesh-netns', () => network.cleanup());
  cluster.daemonArgs = ['--docker', 'none'];
  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 3; i++) {
    const host = network.addHost(i);
    nodes.push(await cluster.add(i, PORT, { ip: host.ip, enter: network.enter(host) }));
  }
  const [n1, n2, n3] = nodes as [DaemonProcess, DaemonProcess, DaemonProcess];
  await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  for (const node of [n2, n3]) {
    const joined = await cluster.joinSwarm(node, token, n1.clusterAddr);
    assert.equal(joined.code, 0, joined.stderr);
  }
  return { cluster, network, nodes: [n1, n2, n3] as const };
}

test('the routing mesh across hosts', {
  timeout: 300_000,
  skip: namespacesAvailable() ? false : 'needs root and iproute2',
}, async (t) => {
  const { cluster, network, nodes } = await cluster3(t);
  const api = new ClusterApi(nodes[0]);
  const loads: Load[] = [];
  t.after(() => {
    for (const load of loads) load.kill();
    api.close();
  });
  try {
    await scenarios(t, { cluster, network, nodes, api, loads });
  } finally {
    await api.removeAll();
  }
});

async function scenarios(
  t: TestContext,
  env: {
    cluster: DaemonProcesses;
    network: TestNetwork;
    nodes: readonly DaemonProcess[];
    api: ClusterApi;
    loads: Load[];
  },
) {
  const { network, nodes, api, loads } = env;
  const client = network.enter(network.hosts[0]!);
  const targets = nodes.map((node) => `${node.ip}:${PUBLISHED}`);
  const id = await api.create({
    Name: 'web',
    TaskTemplate: {
      ContainerSpec: { ...echoContainer(['NAME=v1-{{.Task.Slot}}']), StopGracePeriod: 5e9 },
      Placement: { Constraints: ['node.role==worker'] },
    },
    Mode: { Replicated: { Replicas: 3 } },
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', Delay: 0 },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: PUBLISHED }] },
  });
  const placed = await api.waitTasks(
    id,
    '3 running replicas',
    (tasks) => running(tasks).length === 3,
  );
  const workers = new Set(running(placed).map((task) => task.NodeID));
  assert.equal(workers.size, 2, 'spread over the two workers');

  await t.test('every node answers and reaches all replicas', async () => {
    const summary = await waitFor('all replicas from every node', 20_000, async () => {
      const load = new Load(client, targets, { COUNT: '30' });
      const result = await load.result();
      return result.failed === 0 && Object.keys(result.answers).length === 3 ? result : undefined;
    });
    assert.deepEqual(Object.keys(summary.answers).sort(), ['v1-1', 'v1-2', 'v1-3']);
  });

  await t.test('a node losing its tasks: traffic shifts to the others', async () => {
    const tasks = running(await api.tasks(id));
    const victim = tasks[0]!.NodeID!;
    const killed = tasks.filter((task) => task.NodeID === victim);
    for (const task of killed) process.kill(task.Status.ContainerStatus!.PID!, 'SIGKILL');
    await api.waitTasks(id, 'the killed tasks to fail', (now: Task[]) =>
      killed.every((k) => now.find((task) => task.ID === k.ID)?.Status.State === 'failed'),
    );
    // After the health transition, nothing fails while replacements come up.
    const load = new Load(client, targets);
    loads.push(load);
    await api.waitTasks(id, '3 running again', (now) => running(now).length === 3);
    const summary = await load.stop();
    assert.equal(summary.failed, 0, JSON.stringify(summary.errors));
    assert.ok(summary.ok > 0);
  });

  await t.test('a rolling update under load fails no request', async () => {
    const load = new Load(client, targets);
    loads.push(load);
    const updated = await api.update(id, (spec) => ({
      ...spec,
      TaskTemplate: {
        ...spec.TaskTemplate,
        ContainerSpec: {
          ...spec.TaskTemplate.ContainerSpec!,
          Env: ['NAME=v2-{{.Task.Slot}}', 'DELAY_MS=20'],
        },
      },
    }));
    assert.equal(updated.status, 200, updated.text());
    await api.waitTasks(
      id,
      'the update to finish',
      (now) =>
        running(now).length === 3 &&
        running(now).every((task) => task.Spec.ContainerSpec?.Env?.[0]?.startsWith('NAME=v2')),
      90_000,
    );
    // Let the client see the new replicas answer.
    const summary = await load.stop();
    assert.equal(summary.failed, 0, JSON.stringify(summary.errors));
    const names = Object.keys(summary.answers);
    assert.ok(
      names.some((name) => name.startsWith('v1-')),
      names.join(),
    );
    assert.ok(
      names.some((name) => name.startsWith('v2-')),
      names.join(),
    );
  });
}
