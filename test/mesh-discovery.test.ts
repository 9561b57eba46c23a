// Service discovery across hosts: two hosts of their own (network namespaces), each with its own
// Docker Engine and Shoal daemon. On an overlay network, a container on node-1 reaches the
// service `back` whose tasks run on node-2 by its name (the virtual IP, balanced over both
// tasks) and by `tasks.back` (the tasks' own addresses), through node-1's DNS server and mesh
// and the tunnel between the nodes; names outside the cluster still resolve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import type { Task } from '../src/store/index.ts';
import { ensureBusyboxImage, TEST_BUSYBOX_IMAGE } from '../src/testkit/docker.ts';
import {
  type DaemonProcess,
  daemonsForTest,
  namespacesAvailable,
  TestNetwork,
  waitFor,
} from '../src/testkit/index.ts';
import { buildImage, NamespacedDocker } from '../src/testkit/netns-docker.ts';
import { ClusterApi, running } from './services-support.ts';

const PORT = 2377;
const WEB_IMAGE = 'shoal-test/busybox-web:latest';
const HTTPD = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www';

/** busybox with EXPOSE 80, as web images declare their port. */
async function ensureWebImage(docker: Dockerode): Promise<void> {
  await ensureBusyboxImage(docker);
  await buildImage(docker, WEB_IMAGE, `FROM ${TEST_BUSYBOX_IMAGE}\nEXPOSE 80\n`);
}

async function execIn(docker: Dockerode, container: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(container).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
  });
  // Demultiplex Docker's stream frames (8-byte headers).
  const data = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= data.length; ) {
    const length = data.readUInt32BE(i + 4);
    out += data.subarray(i + 8, i + 8 + length).toString();
    i += 8 + length;
  }
  return out.trim();
}

test('containers find services on other hosts by name', {
  timeout: 400_000,
  skip: namespacesAvailable() ? false : 'needs root and iproute2',
}, async (t) => {
  const network = new TestNetwork();
  const engines: NamespacedDocker[] = [];
  const cluster = daemonsForTest(t.after.bind(t), 'mesh-discovery', () => network.cleanup());
  t.after(async () => {
    for (const engine of engines) await engine.stop();
  });
  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 2; i++) {
    const host = network.addHost(i);
    const engine = new NamespacedDocker(host.namespace);
    engines.push(engine);
    await engine.start();
    await ensureWebImage(engine.docker);
    cluster.daemonArgs = ['--docker', engine.socketPath];
    nodes.push(await cluster.add(i, PORT, { ip: host.ip, enter: network.enter(host) }));
  }
  const [n1, n2] = nodes as [DaemonProcess, DaemonProcess];
  await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  const joined = await cluster.joinSwarm(n2, token, n1.clusterAddr);
  assert.equal(joined.code, 0, joined.stderr);
  const api = new ClusterApi(n1);
  t.after(() => api.close());
  try {
    await cluster.ok(n1, ['network', 'create', '-d', 'overlay', 'app']);
    const back = await api.create({
      Name: 'back',
      TaskTemplate: {
        ContainerSpec: { Image: WEB_IMAGE, Command: ['sh', '-c', HTTPD] },
        Placement: { Constraints: ['node.hostname==node-2'] },
        Networks: [{ Target: 'app' }],
      },
      Mode: { Replicated: { Replicas: 2 } },
    });
    const front = await api.create({
      Name: 'front',
      TaskTemplate: {
        ContainerSpec: { Image: TEST_BUSYBOX_IMAGE, Command: ['sleep', '100000'] },
        Placement: { Constraints: ['node.hostname==node-1'] },
        Networks: [{ Target: 'app' }],
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const backTasks = await api.waitTasks(
      back,
      'back running',
      (ts) => running(ts).length === 2,
      120_000,
    );
    const [frontTask] = await api.waitTasks(
      front,
      'front running',
      (ts) => running(ts).length === 1,
      120_000,
    );
    const container = frontTask!.Status.ContainerStatus!.ContainerID!;
    const docker = engines[0]!.docker;
    const hostnames = new Set(
      running(backTasks).map((task: Task) =>
        task.Status.ContainerStatus!.ContainerID!.slice(0, 12),
      ),
    );

    const get = async (host: string) => {
      // busybox's wget crashes in this static build; nc resolves and connects fine.
      const answer = await execIn(docker, container, [
        'sh',
        '-c',
        `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 80`,
      ]);
      const split = answer.indexOf('\r\n\r\n');
      return split < 0 ? `no answer: ${answer}` : answer.slice(split + 4).trim();
    };
    let last = new Set<string>();
    const seen = await waitFor('both back tasks by name', 60_000, async () => {
      const answers = new Set<string>();
      for (let i = 0; i < 6; i++) answers.add(await get('back'));
      last = answers;
      return [...hostnames].every((h) => answers.has(h)) ? answers : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; answers: ${[...last].join(' | ')}`);
    });
    assert.equal(seen.size, 2);

    const lookup = await execIn(docker, container, ['nslookup', 'tasks.back']);
    const addresses = backTasks
      .flatMap((task) => task.NetworksAttachments ?? [])
      .filter((a) => a.Network.Spec.Name === 'app')
      .map((a) => a.Addresses[0]!.split('/')[0]!);
    assert.equal(addresses.length, 2);
    for (const address of addresses) assert.ok(lookup.includes(address), lookup);
    for (const address of addresses) {
      const body = await get(address);
      assert.ok(hostnames.has(body), `${address} answered ${body}`);
    }
    const vip = await execIn(docker, container, ['nslookup', 'back']);
    const service = await api.service(back);
    const appVip = service.Endpoint?.VirtualIPs?.map((v) => v.Addr.split('/')[0]!) ?? [];
    assert.ok(
      appVip.some((ip) => vip.includes(ip)),
      vip,
    );
  } finally {
    await api.removeAll();
  }
});
