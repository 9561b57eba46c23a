// The service scenarios every runtime must pass (the list: create, scale, restart per
// policy, global on drain, rolling update start-first, automatic rollback on a failing
// healthcheck, job completion, logs from two nodes, bad input), run by services-exec.test.ts
// and services-docker.test.ts on a cluster of three daemons.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MultiplexedStreamParser } from '../src/api/index.ts';
import type { ContainerSpec, Task } from '../src/store/index.ts';
import { type DaemonProcess, type DaemonProcesses, waitFor } from '../src/testkit/index.ts';
import { type ClusterApi, running } from './services-support.ts';

const MS = 1_000_000;

/** How a runtime spells the few programs the scenarios run. */
export interface ScenarioRuntime {
  name: string;
  sleep(seconds: number): ContainerSpec;
  shell(script: string): ContainerSpec;
  /** The seconds a sleep() spec sleeps. */
  sleptFor(spec: ContainerSpec | undefined): number;
  /** Whether the task's container or process is still there and running. */
  isRunning(task: Task): Promise<boolean>;
}

export async function runServiceScenarios(
  t: TestContext,
  cluster: DaemonProcesses,
  nodes: [DaemonProcess, DaemonProcess, DaemonProcess],
  api: ClusterApi,
  rt: ScenarioRuntime,
): Promise<void> {
  const [n1, n2] = nodes;
  await t.test(`${rt.name}: replicated: created, spread, scaled up and down`, async () => {
    const id = await api.create({
      Name: 'sleeper',
      TaskTemplate: { ContainerSpec: rt.sleep(1000) },
      Mode: { Replicated: { Replicas: 3 } },
    });
    const tasks = await api.waitTasks(id, '3 running tasks', (ts) => running(ts).length === 3);
    assert.equal(new Set(running(tasks).map((t) => t.NodeID)).size, 3, 'spread over 3 nodes');
    assert.deepEqual(
      running(tasks)
        .map((t) => t.Slot)
        .sort(),
      [1, 2, 3],
    );
    assert.ok(running(tasks).every((t) => (t.Status.ContainerStatus?.PID ?? 0) > 0));
    assert.equal(
      (await api.update(id, (s) => ({ ...s, Mode: { Replicated: { Replicas: 5 } } }))).status,
      200,
    );
    await api.waitTasks(id, '5 running tasks', (ts) => running(ts).length === 5);
    await api.update(id, (s) => ({ ...s, Mode: { Replicated: { Replicas: 1 } } }));
    await api.waitTasks(id, 'one task left', (ts) => ts.length === 1 && running(ts).length === 1);
    await api.remove(id);
    await api.waitTasks(id, 'no task left', (ts) => ts.length === 0);
  });

  await t.test(`${rt.name}: a failing task restarts per policy, then gives up`, async () => {
    const id = await api.create({
      Name: 'crasher',
      TaskTemplate: {
        ContainerSpec: rt.shell('exit 3'),
        RestartPolicy: { Condition: 'on-failure', Delay: 100 * MS, MaxAttempts: 2 },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const tasks = await api.waitTasks(
      id,
      '3 failed attempts, the last one not replaced',
      (ts) =>
        ts.length === 3 &&
        ts.every((t) => t.Status.State === 'failed' && t.DesiredState === 'shutdown'),
    );
    assert.deepEqual(
      tasks.map((t) => t.Status.Err),
      ['task: non-zero exit (3)', 'task: non-zero exit (3)', 'task: non-zero exit (3)'],
    );
    await api.remove(id);
  });

  await t.test(`${rt.name}: global: one per node, following a drain`, async () => {
    const id = await api.create({
      Name: 'everywhere',
      TaskTemplate: { ContainerSpec: rt.sleep(1000) },
      Mode: { Global: {} },
    });
    await api.waitTasks(id, 'a task on each node', (ts) => running(ts).length === 3);
    await cluster.ok(n1, ['node', 'update', '--availability', 'drain', 'node-3']);
    await api.waitTasks(id, 'none left on the drained node', (ts) => {
      const live = running(ts);
      return live.length === 2 && ts.some((t) => t.Status.State === 'shutdown');
    });
    await cluster.ok(n1, ['node', 'update', '--availability', 'active', 'node-3']);
    await api.waitTasks(id, 'back on node-3', (ts) => running(ts).length === 3);
    await api.remove(id);
  });

  await t.test(
    'rolling update, start-first, then automatic rollback on an unhealthy update',
    async () => {
      const id = await api.create({
        Name: 'rolling',
        TaskTemplate: { ContainerSpec: rt.sleep(1000) },
        Mode: { Replicated: { Replicas: 2 } },
        UpdateConfig: {
          Parallelism: 1,
          Order: 'start-first',
          Monitor: 500 * MS,
          FailureAction: 'rollback',
        },
        RollbackConfig: { Parallelism: 0, Monitor: 500 * MS },
      });
      await api.waitTasks(id, '2 running', (ts) => running(ts).length === 2);
      await api.update(id, (s) => ({
        ...s,
        TaskTemplate: {
          ...s.TaskTemplate,
          ContainerSpec: rt.sleep(2000),
        },
      }));
      await api.waitTasks(id, 'updated', (ts) => {
        const live = running(ts);
        return live.length === 2 && live.every((t) => rt.sleptFor(t.Spec.ContainerSpec) === 2000);
      });
      await waitForUpdateState(api, id, 'completed');

      await api.update(id, (s) => ({
        ...s,
        TaskTemplate: {
          ...s.TaskTemplate,
          ContainerSpec: {
            ...rt.sleep(3000),
            Healthcheck: {
              Test: ['CMD', '/bin/false'],
              Interval: 100 * MS,
              Timeout: 1000 * MS,
              Retries: 1,
            },
          },
        },
      }));
      await waitForUpdateState(api, id, 'rollback_completed');
      const service = await api.service(id);
      assert.match(service.UpdateStatus?.Message ?? '', /rollback completed/);
      assert.equal(rt.sleptFor(service.Spec.TaskTemplate.ContainerSpec), 2000);
      const tasks = await api.waitTasks(id, 'back on the previous spec', (ts) => {
        const live = running(ts);
        return live.length === 2 && live.every((t) => rt.sleptFor(t.Spec.ContainerSpec) === 2000);
      });
      assert.ok(tasks.some((t) => t.Status.Err === 'task: container unhealthy'));
      await api.remove(id);
    },
  );

  await t.test(`${rt.name}: the shoal CLI: create with progress, ls, ps, scale, rm`, async () => {
    const image = rt.sleep(1000);
    const args = [...(image.Args ?? [])];
    const created = await cluster.ok(n1, [
      'service',
      'create',
      '--name',
      'cli',
      '--replicas',
      '2',
      image.Image,
      ...args,
    ]);
    assert.match(created, /^\w{25}\n/);
    assert.match(created, /overall progress: 2 out of 2 tasks/);
    assert.match(created, /verify: Service converged/);
    const ls = await cluster.ok(n1, ['service', 'ls']);
    assert.match(ls, /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS\s*$/m);
    assert.match(ls, /^\w{12}\s+cli\s+replicated\s+2\/2\s+/m);
    const ps = await cluster.ok(n1, ['service', 'ps', 'cli']);
    assert.match(
      ps,
      /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS\s*$/m,
    );
    assert.equal(ps.match(/ cli\.[12] .* Running {2,}Running /g)?.length, 2, ps);
    const scaled = await cluster.ok(n1, ['service', 'scale', 'cli=3']);
    assert.match(scaled, /cli scaled to 3/);
    assert.match(scaled, /verify: Service converged/);
    assert.match(await cluster.ok(n1, ['service', 'ls', '--format', '{{.Replicas}}']), /^3\/3$/m);
    const bad = await cluster.cli(n1, [
      'service',
      'create',
      '--name',
      'bad',
      '--replicas',
      'x',
      image.Image,
    ]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid argument "x" for "--replicas" flag/);
    const conflict = await cluster.cli(n1, [
      'service',
      'create',
      '--name',
      'bad',
      '--constraint',
      'node.role=manager',
      image.Image,
    ]);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /constraint expected one operator from ==, !=/);
    assert.match(await cluster.ok(n1, ['service', 'rm', 'cli']), /^cli$/m);
  });

  await t.test(`${rt.name}: a replicated job runs to its completions`, async () => {
    const id = await api.create({
      Name: 'batch',
      TaskTemplate: { ContainerSpec: rt.shell('true') },
      Mode: { ReplicatedJob: { TotalCompletions: 4, MaxConcurrent: 2 } },
    });
    const tasks = await api.waitTasks(
      id,
      '4 completions',
      (ts) => ts.filter((t) => t.Status.State === 'complete').length === 4,
    );
    assert.ok(tasks.every((t) => t.DesiredState === 'complete'));
    await api.remove(id);
  });

  await t.test(`${rt.name}: logs of tasks on two nodes, merged in time order`, async () => {
    const id = await api.create({
      Name: 'talker',
      TaskTemplate: {
        ContainerSpec: {
          ...rt.shell('echo "hello from slot $SLOT"; echo "oops $SLOT" >&2; exec sleep 1000'),
          Env: ['SLOT={{.Task.Slot}}'],
        },
        Placement: { MaxReplicas: 1 },
      },
      Mode: { Replicated: { Replicas: 2 } },
    });
    const tasks = await api.waitTasks(id, '2 running', (ts) => running(ts).length === 2);
    assert.equal(new Set(running(tasks).map((t) => t.NodeID)).size, 2, 'on two nodes');
    const lines = await waitFor('both tasks to have printed', 20_000, async () => {
      const frames = await logFrames(api, id);
      return frames.filter((f) => f.stream === 1).length >= 2 ? frames : undefined;
    });
    const stdout = lines.filter((f) => f.stream === 1);
    assert.deepEqual(
      stdout
        .map((f) =>
          f.text
            .replace(/^.* com\.docker/, 'com.docker')
            .split(' ')
            .slice(1)
            .join(' '),
        )
        .sort(),
      ['hello from slot 1\n', 'hello from slot 2\n'],
    );
    const times = stdout.map((f) => f.text.split(' ')[0]!);
    assert.deepEqual([...times].sort(), times, 'in time order');
    assert.ok(
      stdout.every((f) =>
        /com\.docker\.swarm\.node\.id=\w+,com\.docker\.swarm\.service\.id=\w+,com\.docker\.swarm\.task\.id=\w+ /.test(
          f.text,
        ),
      ),
    );
    assert.equal(lines.filter((f) => f.stream === 2).length, 2, 'stderr too');
    const cli = await cluster.ok(n1, ['service', 'logs', 'talker']);
    assert.match(cli, /^talker\.1\.\w+@node-\d +\| hello from slot 1$/m);
    assert.match(cli, /^talker\.2\.\w+@node-\d +\| hello from slot 2$/m);
    // From a worker's point of view the API is refused, as docker's is.
    const fromWorker = await cluster.cli(n2, ['service', 'logs', 'talker']);
    assert.notEqual(fromWorker.code, 0);
    await api.remove(id);
  });

  await t.test(`${rt.name}: bad input is refused and nothing is stored`, async () => {
    const before = (await api.client.request('GET', '/services')).json<unknown[]>().length;
    const bad = await api.client.request('POST', '/services/create', {
      body: {
        Name: 'bad',
        TaskTemplate: {
          ContainerSpec: rt.shell('true'),
          Placement: { Constraints: ['node.role=manager'] },
        },
      },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text(), /constraint expected one operator from ==, !=/);
    const ports = await api.client.request('POST', '/services/create', {
      body: {
        Name: 'ports',
        TaskTemplate: { ContainerSpec: rt.shell('true') },
        EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 70000 }] },
      },
    });
    assert.equal(ports.status, 400);
    assert.match(ports.text(), /out of range/);
    assert.equal((await api.client.request('GET', '/services')).json<unknown[]>().length, before);

    const id = await api.create({
      Name: 'huge',
      TaskTemplate: {
        ContainerSpec: rt.sleep(1000),
        Resources: { Reservations: { MemoryBytes: 1024 ** 5 } },
      },
    });
    const [pending] = await api.waitTasks(
      id,
      'a pending task with a reason',
      (ts) => ts.length === 1 && (ts[0]!.Status.Err ?? '') !== '',
    );
    assert.equal(pending!.Status.State, 'pending');
    assert.match(pending!.Status.Err!, /no suitable node \(insufficient resources on 3 nodes\)/);
    const service = await api.service(id);
    const stale = await api.client.request('POST', `/services/${id}/update`, {
      query: { version: service.Version.Index - 1 },
      body: service.Spec,
    });
    assert.equal(stale.status, 409);
    assert.match(stale.text(), /update out of sequence/);
    await api.remove(id);
  });

  await t.test(`${rt.name}: a node that leaves the swarm takes its tasks down`, async () => {
    const n3 = nodes[2];
    const id = await api.create({
      Name: 'leaver',
      TaskTemplate: { ContainerSpec: rt.sleep(1000) },
      Mode: { Global: {} },
    });
    const tasks = await api.waitTasks(id, 'a task on each node', (ts) => running(ts).length === 3);
    const n3Id = (await cluster.ok(n3, ['info', '-f', '{{.Swarm.NodeID}}'])).trim();
    const onN3 = running(tasks).find((task) => task.NodeID === n3Id)!;
    assert.ok(await rt.isRunning(onN3), 'runs before the leave');
    await cluster.ok(n3, ['swarm', 'leave']);
    assert.equal(await rt.isRunning(onN3), false, 'stopped and removed by the leave');
    await api.remove(id);
  });
}

async function waitForUpdateState(api: ClusterApi, id: string, state: string): Promise<void> {
  let last = '';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const service = await api.service(id);
    last = `${service.UpdateStatus?.State}: ${service.UpdateStatus?.Message}`;
    if (service.UpdateStatus?.State === state) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`update state never became ${state}; last ${last}`);
}

async function logFrames(api: ClusterApi, id: string) {
  const response = await api.client.request('GET', `/services/${id}/logs`, {
    query: { stdout: 1, stderr: 1, details: 1, timestamps: 1 },
  });
  assert.equal(response.status, 200, response.text());
  const parser = new MultiplexedStreamParser();
  return parser.push(response.body).map((f) => ({ stream: f.stream, text: f.payload.toString() }));
}
