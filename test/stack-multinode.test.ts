// A compose stack of locally built images over two hosts of their own (network namespaces, one
// Docker Engine and one Shoal daemon each), with a third namespace as the client:
// - `back` (2 replicas, one per node) serves a page rendered from its secret and its config,
//   with a healthcheck; `front` (2 replicas, published on 8080) answers each request by asking
//   `back` by its service name, so a request to either node's port goes front -> back, across
//   nodes too; `front` depends on `back` being healthy, and is created only once it is;
// - a new image tag for `back` rolls `back` alone (front's and worker's versions and tasks stay);
// - `--prune` removes `worker`, which the file no longer names;
// - `stack rm` leaves no service, network, secret or config in the API, no container on either
//   engine and no task file on either node.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { existingMemoryRoot, nodeFilesDir } from '../src/agent/worker/index.ts';
import type { Service, Task } from '../src/store/index.ts';
import { ensureBusyboxImage, TEST_BUSYBOX_IMAGE } from '../src/testkit/docker.ts';
import {
  type DaemonProcess,
  daemonsForTest,
  makeTempDir,
  namespacesAvailable,
  type TestHost,
  TestNetwork,
  waitFor,
} from '../src/testkit/index.ts';
import { buildImage, NamespacedDocker } from '../src/testkit/netns-docker.ts';
import { ClusterApi, running } from './services-support.ts';

const CLUSTER_PORT = 2377;
const PUBLISHED = 8080;
const STACK = 'demo';
const FIXTURES = join(import.meta.dirname, 'fixtures', 'stack-multinode');
const FRONT_IMAGE = 'shoal-test/stack-front:v1';
const backImage = (tag: string) => `shoal-test/stack-back:${tag}`;
const REQUEST_TIMEOUT_MS = 15_000;
const CONVERGE_MS = 180_000;

const fixture = (name: string) => ({ content: readFileSync(join(FIXTURES, name)), mode: 0o755 });

/** Both images on one engine; `back` under `tag`, its version file saying so. */
async function buildStackImages(engine: NamespacedDocker, tag: string): Promise<void> {
  await ensureBusyboxImage(engine.docker);
  await buildImage(
    engine.docker,
    backImage(tag),
    `FROM ${TEST_BUSYBOX_IMAGE}\nCOPY version /version\nCOPY serve.sh health.sh /\nEXPOSE 80\nCMD ["/serve.sh"]\n`,
    {
      version: { content: `${tag}\n` },
      'serve.sh': fixture('back-serve.sh'),
      'health.sh': fixture('back-health.sh'),
    },
  );
  await buildImage(
    engine.docker,
    FRONT_IMAGE,
    `FROM ${TEST_BUSYBOX_IMAGE}\nCOPY index.cgi /www/cgi-bin/index.cgi\nEXPOSE 80\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n`,
    { 'index.cgi': fixture('front-index.cgi') },
  );
}

function composeFile(backTag: string, withWorker: boolean): string {
  const worker = `  worker:
    image: ${TEST_BUSYBOX_IMAGE}
    command: ["sleep", "100000"]
    stop_grace_period: 1s
`;
  return `services:
  back:
    image: ${backImage(backTag)}
    healthcheck:
      test: ["CMD", "/health.sh"]
      interval: 1s
      timeout: 3s
      retries: 3
    secrets: [token]
    configs:
      - source: settings
        target: /etc/back/settings.ini
    stop_grace_period: 1s
    deploy:
      replicas: 2
      placement:
        max_replicas_per_node: 1
      update_config:
        parallelism: 1
        order: stop-first
  front:
    image: ${FRONT_IMAGE}
    ports: ["${PUBLISHED}:80"]
    stop_grace_period: 1s
    depends_on:
      back:
        condition: service_healthy
    deploy:
      replicas: 2
      placement:
        max_replicas_per_node: 1
${withWorker ? worker : ''}secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.ini
`;
}

interface Answer {
  front: string;
  backVersion: string;
  back: string;
  secret: string;
  config: string;
}

/** One HTTP request from the client host's namespace to `target` (host:port), with nc. */
function request(network: TestNetwork, client: TestHost, target: string): Promise<string> {
  const [host, port] = target.split(':') as [string, string];
  const [command, ...prefix] = network.enter(client);
  const script = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port}`;
  return new Promise((resolve) => {
    execFile(
      command!,
      [...prefix, 'busybox', 'sh', '-c', script],
      { timeout: REQUEST_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout, stderr) => resolve(error ? `failed: ${error.message} ${stderr}` : stdout),
    );
  });
}

/** front's answer, parsed; undefined (with the raw text in `problems`) when incomplete. */
function parseAnswer(raw: string, problems: string[]): Answer | undefined {
  const split = raw.indexOf('\r\n\r\n');
  const body = split < 0 ? '' : raw.slice(split + 4);
  const front = /^front (\S+)$/m.exec(body)?.[1];
  const back = /^back (\S+) (\S+)$/m.exec(body);
  const secret = /^secret (.*)$/m.exec(body)?.[1];
  const config = /^config (.*)$/m.exec(body)?.[1];
  if (!raw.startsWith('HTTP/1.1 200') || !front || !back || !secret || !config) {
    if (problems.length < 10) problems.push(JSON.stringify(raw.slice(0, 300)));
    return undefined;
  }
  return { front, backVersion: back[1]!, back: back[2]!, secret, config };
}

/** The 12-character hostname Docker gives a task's container. */
const hostnameOf = (task: Task) => task.Status.ContainerStatus?.ContainerID?.slice(0, 12) ?? '';

test('a compose stack over two hosts: deploy, one image rolls, prune, rm', {
  timeout: 900_000,
  skip: namespacesAvailable() ? false : 'needs root and iproute2',
}, async (t) => {
  const network = new TestNetwork();
  const engines: NamespacedDocker[] = [];
  const nodeIds: string[] = [];
  // One hook stops everything in order, failure or not: daemons (and their temp dirs), then
  // the engines (their containers first), then the namespaces, then the nodes' task files.
  let stopDaemons: () => Promise<void> = async () => {};
  const cluster = daemonsForTest((stop) => {
    stopDaemons = stop;
  }, 'stack-multinode');
  t.after(async () => {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void> | void) => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    await attempt(stopDaemons);
    for (const engine of engines) await attempt(() => engine.stop());
    await attempt(() => network.cleanup());
    const root = existingMemoryRoot();
    for (const id of nodeIds) {
      if (root !== undefined) rmSync(nodeFilesDir(root, id), { recursive: true, force: true });
    }
    if (errors.length > 0) throw errors[0];
  });

  const nodes: DaemonProcess[] = [];
  for (let i = 1; i <= 2; i++) {
    const host = network.addHost(i);
    const engine = new NamespacedDocker(host.namespace);
    engines.push(engine);
    await engine.start();
    await buildStackImages(engine, 'v1');
    cluster.daemonArgs = ['--docker', engine.socketPath];
    nodes.push(await cluster.add(i, CLUSTER_PORT, { ip: host.ip, enter: network.enter(host) }));
  }
  const client = network.addHost(3);
  const [n1, n2] = nodes as [DaemonProcess, DaemonProcess];
  await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  const joined = await cluster.joinSwarm(n2, token, n1.clusterAddr);
  assert.equal(joined.code, 0, joined.stderr);
  const api = new ClusterApi(n1);
  t.after(() => api.close());
  const listed = async <T>(path: string) => (await api.client.request('GET', path)).json<T[]>();
  nodeIds.push(...(await listed<{ ID: string }>('/nodes')).map((node) => node.ID));
  await waitFor('both nodes ready', 30_000, async () =>
    (await listed<{ Status: { State: string } }>('/nodes')).filter(
      (node) => node.Status.State === 'ready',
    ).length === 2
      ? true
      : undefined,
  );

  const dir = makeTempDir('shoal-stack-multinode-files-');
  const secret = `s3cret-${randomBytes(6).toString('hex')}`;
  const config = 'greeting=hello from the config';
  writeFileSync(join(dir, 'token.txt'), secret);
  writeFileSync(join(dir, 'settings.ini'), `${config}\n`);
  const compose = join(dir, 'compose.yml');
  const deploy = async (text: string, ...flags: string[]) => {
    writeFileSync(compose, text);
    const result = await cluster.cli(n1, ['stack', 'deploy', ...flags, '-c', compose, STACK]);
    assert.equal(result.code, 0, `stack deploy: ${result.stderr}\n${result.stdout}`);
    return result.stdout;
  };
  const services = () => listed<Service>('/services');
  const serviceNamed = async (name: string) =>
    (await services()).find((service) => service.Spec.Name === `${STACK}_${name}`);
  const mustFind = async (name: string) => {
    const found = await serviceNamed(name);
    assert.ok(found, `service ${STACK}_${name} exists`);
    return found;
  };
  const targets = nodes.map((node) => `${node.ip}:${PUBLISHED}`);
  const nodeOfHost = async () => {
    const map = new Map<string, string>();
    for (const task of await listed<Task>('/tasks')) map.set(hostnameOf(task), task.NodeID ?? '');
    return map;
  };

  /**
   * Requests to every node's port until, in one round, every answer is complete, carries the
   * secret and config and `version`, and the answers name every running front and back task
   * and at least one front -> back pair on different nodes.
   */
  const answersFromEveryNode = async (version: string) => {
    const front = await mustFind('front');
    const back = await mustFind('back');
    let problems: string[] = [];
    return waitFor(
      `answers of back ${version} through front on every node`,
      CONVERGE_MS,
      async () => {
        problems = [];
        const fronts = new Set(running(await api.tasks(front.ID)).map(hostnameOf));
        const backs = new Set(
          running(await api.tasks(back.ID))
            .filter((task) => task.Spec.ContainerSpec?.Image === backImage(version))
            .map(hostnameOf),
        );
        if (fronts.size !== 2 || backs.size !== 2) {
          problems.push(`running: ${fronts.size} front, ${backs.size} back ${version}`);
          return undefined;
        }
        const answers: Answer[] = [];
        for (let round = 0; round < 4; round++) {
          for (const target of targets) {
            const answer = parseAnswer(await request(network, client, target), problems);
            if (answer === undefined) return undefined;
            answers.push(answer);
          }
        }
        const where = await nodeOfHost();
        const crossed = answers.some((a) => where.get(a.front) !== where.get(a.back));
        const complete =
          answers.every(
            (a) => a.secret === secret && a.config === config && a.backVersion === version,
          ) &&
          [...fronts].every((h) => answers.some((a) => a.front === h)) &&
          [...backs].every((h) => answers.some((a) => a.back === h)) &&
          crossed;
        if (!complete) problems.push(JSON.stringify(answers));
        return complete ? answers : undefined;
      },
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last problems: ${problems.join(' | ')}`);
    });
  };

  const engineContainers = async (label?: string) => {
    const lists = await Promise.all(
      engines.map((engine) =>
        engine.docker.listContainers({
          all: true,
          ...(label ? { filters: { label: [label] } } : {}),
        }),
      ),
    );
    return lists.flat();
  };

  // 1. deploy: back first, front only once back's tasks are healthy.
  const first = await deploy(composeFile('v1', true));
  assert.match(
    first,
    /Creating service demo_back\nWaiting for demo_back \(service_healthy\)\nCreating service demo_front\n/,
  );
  const back = await mustFind('back');
  const front = await mustFind('front');
  const backTasks = await api.waitTasks(
    back.ID,
    'back running',
    (tasks) => running(tasks).length === 2,
    CONVERGE_MS,
  );
  assert.equal(new Set(running(backTasks).map((task) => task.NodeID)).size, 2, 'back spread');
  const healthyAt = Math.max(...running(backTasks).map((t) => Date.parse(t.Status.Timestamp)));
  const frontTasks = await api.waitTasks(
    front.ID,
    'front running',
    (tasks) => running(tasks).length === 2,
    CONVERGE_MS,
  );
  for (const task of frontTasks) {
    assert.ok(
      Date.parse(task.CreatedAt) >= healthyAt,
      `front task ${task.ID} created at ${task.CreatedAt}, before back was healthy at ${new Date(healthyAt).toISOString()}`,
    );
  }
  assert.ok(Date.parse(front.CreatedAt) >= healthyAt, 'front created after back was healthy');
  await answersFromEveryNode('v1');

  // 2. a new image tag for back: back alone rolls.
  for (const engine of engines) await buildStackImages(engine, 'v2');
  const before = new Map<string, { version: number; tasks: string[] }>();
  for (const name of ['front', 'worker']) {
    const service = await mustFind(name);
    const tasks = (await api.tasks(service.ID)).map((task) => task.ID).sort();
    before.set(name, { version: service.Version.Index, tasks });
  }
  const second = await deploy(composeFile('v2', true));
  assert.match(second, /Updating service demo_back \(id: \w+\)\n/);
  assert.doesNotMatch(second, /(Creating|Updating) service demo_(front|worker)/);
  await answersFromEveryNode('v2');
  const unchanged = async () => {
    for (const [name, was] of before) {
      const service = await mustFind(name);
      const tasks = (await api.tasks(service.ID)).map((task) => task.ID).sort();
      assert.equal(service.Version.Index, was.version, `${name}'s version`);
      assert.deepEqual(tasks, was.tasks, `${name}'s tasks`);
    }
  };
  await unchanged();

  // 3. --prune: worker is gone from the cluster and from both engines.
  const third = await deploy(composeFile('v2', false), '--prune');
  assert.match(third, /^Removing service demo_worker\n/);
  assert.doesNotMatch(third, /(Creating|Updating) service/);
  before.delete('worker');
  await unchanged();
  assert.equal(await serviceNamed('worker'), undefined);
  await waitFor('worker containers gone from both engines', 60_000, async () =>
    (await engineContainers('com.docker.swarm.service.name=demo_worker')).length === 0
      ? true
      : undefined,
  );

  // 4. stack rm: nothing of the stack left in the API, on the engines or in the task files.
  const removed = await cluster.cli(n1, ['stack', 'rm', STACK]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(
    removed.stdout,
    /Removing service demo_back\nRemoving service demo_front\nRemoving secret demo_token\nRemoving config demo_settings\nRemoving network demo_default\n/,
  );
  let left = '';
  await waitFor('the stack gone everywhere', 90_000, async () => {
    const [servicesLeft, secrets, configs, networks, tasks, containers, bridges] =
      await Promise.all([
        services(),
        listed<unknown>('/secrets'),
        listed<unknown>('/configs'),
        listed<{ Name: string }>('/networks'),
        listed<Task>('/tasks'),
        engineContainers(),
        // Each engine's bridge of the stack's network goes with the node's last task on it.
        Promise.all(engines.map((engine) => engine.docker.listNetworks())).then((lists) =>
          lists.flat().filter((network) => network.Name.startsWith('shoal-')),
        ),
      ]);
    const stackNetworks = networks.filter((network) => network.Name.startsWith(`${STACK}_`));
    const root = existingMemoryRoot();
    const files = nodeIds.flatMap((id) => {
      const nodeDir = root === undefined ? '' : nodeFilesDir(root, id);
      return nodeDir !== '' && existsSync(nodeDir) ? readdirSync(nodeDir) : [];
    });
    left = JSON.stringify({
      services: servicesLeft.length,
      secrets: secrets.length,
      configs: configs.length,
      networks: stackNetworks.map((network) => network.Name),
      tasks: tasks.length,
      containers: containers.map((container) => container.Names),
      bridges: bridges.map((network) => network.Name),
      files,
    });
    return servicesLeft.length +
      secrets.length +
      configs.length +
      stackNetworks.length +
      tasks.length +
      containers.length +
      bridges.length +
      files.length ===
      0
      ? true
      : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; left: ${left}`);
  });
  const again = await cluster.cli(n1, ['stack', 'rm', STACK]);
  assert.equal(again.stderr, `Nothing found in stack: ${STACK}\n`);
});
