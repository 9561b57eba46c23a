// Conformance: the stock docker CLI drives a Shoal cluster through the Docker Engine API. Three
// daemons on loopback (exec runtime, no engine needed); every step checks the output or exit
// code a docker user relies on. node-1 also serves the API on TCP with TLS.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type DaemonProcess,
  type DaemonProcesses,
  daemonsForTest,
  freePorts,
  makeTempDir,
  waitFor,
} from '../src/testkit/index.ts';
import { DockerCli, dockerCliAvailable } from './docker-cli-support.ts';

const skip = dockerCliAvailable() ? false : 'no docker CLI at /usr/local/bin/docker';

/** `docker node ls` rows as {hostname, status, manager} by hostname. */
async function nodeRows(docker: DockerCli, daemon: DaemonProcess) {
  const out = await docker.ok(daemon, [
    'node',
    'ls',
    '--format',
    '{{.Hostname}}|{{.Status}}|{{.Availability}}|{{.ManagerStatus}}|{{.Self}}',
  ]);
  const rows = new Map<
    string,
    { status: string; availability: string; manager: string; self: boolean }
  >();
  for (const line of out.trim().split('\n')) {
    const [hostname, status, availability, manager, self] = line.split('|');
    rows.set(hostname!, {
      status: status!,
      availability: availability!,
      manager: manager!,
      self: self === 'true',
    });
  }
  return rows;
}

async function startCluster(cluster: DaemonProcesses, tlsPort: number) {
  const [port] = await freePorts(1);
  cluster.daemonArgs = ['--docker', 'none', '--tls-listen', `127.0.0.1:${tlsPort}`];
  const n1 = await cluster.add(1, port!);
  cluster.daemonArgs = ['--docker', 'none'];
  const n2 = await cluster.add(2, port!);
  const n3 = await cluster.add(3, port!);
  return [n1, n2, n3] as const;
}

test('the docker CLI drives a Shoal cluster', { skip, timeout: 600_000 }, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'docker-cli');
  const docker = new DockerCli();
  const [tlsPort] = await freePorts(1);
  const [n1, n2, n3] = await startCluster(cluster, tlsPort!);
  const startedAt = Math.floor(Date.now() / 1000) - 1;

  await t.test('version, info and negotiation before a swarm exists', async () => {
    assert.equal(
      (await docker.ok(n1, ['version', '--format', '{{.Server.APIVersion}}'])).trim(),
      '1.41',
    );
    assert.equal(
      (await docker.ok(n1, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim(),
      'inactive',
    );
    const pinned = await docker.ok(n1, ['version', '--format', '{{.Client.APIVersion}}'], {
      env: { DOCKER_API_VERSION: '1.30' },
    });
    assert.equal(pinned.trim(), '1.30');
    const tooNew = await docker.fails(n1, ['info'], { env: { DOCKER_API_VERSION: '1.99' } });
    assert.match(
      tooNew.stderr,
      /client version 1\.99 is too new\. Maximum supported API version is 1\.41/,
    );
    const notManager = await docker.fails(n1, ['node', 'ls']);
    assert.match(notManager.stderr, /This node is not a swarm manager/);
  });

  let workerToken = '';
  let managerToken = '';
  await t.test('swarm init, join-token, join', async () => {
    const init = await docker.ok(n1, [
      'swarm',
      'init',
      '--advertise-addr',
      n1.clusterAddr,
      '--listen-addr',
      n1.clusterAddr,
      '--dispatcher-heartbeat',
      '1s',
    ]);
    assert.match(init, /Swarm initialized: current node \([a-z0-9]{25}\) is now a manager\./);
    assert.match(init, new RegExp(`docker swarm join --token SWMTKN-1-\\S+ ${n1.clusterAddr}`));
    workerToken = (await docker.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
    managerToken = (await docker.ok(n1, ['swarm', 'join-token', '-q', 'manager'])).trim();
    assert.match(workerToken, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    assert.notEqual(workerToken, managerToken);
    const shown = await docker.ok(n1, ['swarm', 'join-token', 'manager']);
    assert.match(shown, /To add a manager to this swarm, run the following command:/);
    assert.ok(shown.includes(managerToken));

    const join = (node: DaemonProcess, token: string) =>
      docker.ok(node, [
        'swarm',
        'join',
        '--token',
        token,
        '--advertise-addr',
        node.clusterAddr,
        '--listen-addr',
        node.clusterAddr,
        n1.clusterAddr,
      ]);
    assert.equal((await join(n2, workerToken)).trim(), 'This node joined a swarm as a worker.');
    assert.equal((await join(n3, managerToken)).trim(), 'This node joined a swarm as a manager.');
    const again = await docker.fails(n2, ['swarm', 'join', '--token', workerToken, n1.clusterAddr]);
    assert.match(again.stderr, /This node is already part of a swarm/);
  });

  await t.test('node ls, inspect, update', async () => {
    const rows = await waitFor(
      'three ready nodes, two managers',
      30_000,
      async () => {
        const found = await nodeRows(docker, n1);
        const ready = [...found.values()].filter((row) => row.status === 'Ready').length;
        return ready === 3 && found.get('node-3')?.manager === 'Reachable' ? found : undefined;
      },
      200,
    );
    assert.equal(rows.get('node-1')?.manager, 'Leader');
    assert.equal(rows.get('node-1')?.self, true);
    assert.equal(rows.get('node-2')?.manager, '');
    const table = await docker.ok(n1, ['node', 'ls']);
    assert.match(
      table.split('\n')[0]!,
      /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION$/,
    );
    assert.match(table, /\s\*\s+node-1\s+Ready\s+Active\s+Leader/);

    assert.equal(
      (await docker.ok(n1, ['node', 'inspect', 'self', '--format', '{{.Spec.Role}}'])).trim(),
      'manager',
    );
    const pretty = await docker.ok(n1, ['node', 'inspect', '--pretty', 'node-2']);
    assert.match(pretty, /Hostname:\s+node-2/);
    assert.match(pretty, /Availability:\s+Active/);
    const missing = await docker.fails(n1, ['node', 'inspect', 'no-such-node']);
    assert.match(missing.stderr, /no-such-node/);

    assert.equal(
      (
        await docker.ok(n1, [
          'node',
          'update',
          '--availability',
          'drain',
          '--label-add',
          'zone=a',
          'node-2',
        ])
      ).trim(),
      'node-2',
    );
    const updated = await docker.ok(n1, [
      'node',
      'inspect',
      'node-2',
      '--format',
      '{{.Spec.Availability}} {{index .Spec.Labels "zone"}}',
    ]);
    assert.equal(updated.trim(), 'drain a');
    await docker.ok(n1, ['node', 'update', '--availability', 'active', 'node-2']);
  });

  await t.test('node promote and demote', async () => {
    assert.equal(
      (await docker.ok(n1, ['node', 'promote', 'node-2'])).trim(),
      'Node node-2 promoted to a manager in the swarm.',
    );
    await waitFor(
      'node-2 to be a reachable manager',
      60_000,
      async () =>
        (await nodeRows(docker, n1)).get('node-2')?.manager === 'Reachable' ? true : undefined,
      200,
    );
    assert.equal(
      (await docker.ok(n1, ['node', 'demote', 'node-2'])).trim(),
      'Manager node-2 demoted in the swarm.',
    );
    await waitFor(
      'node-2 to be a worker again',
      60_000,
      async () => ((await nodeRows(docker, n1)).get('node-2')?.manager === '' ? true : undefined),
      200,
    );
    const managers = await docker.ok(n1, [
      'info',
      '--format',
      '{{.Swarm.Managers}} {{.Swarm.Nodes}}',
    ]);
    assert.equal(managers.trim(), '2 3');
  });

  await t.test(
    'service create attached: progress until converged, no registry needed',
    async () => {
      const created = await docker.run(n1, [
        'service',
        'create',
        '--name',
        'web',
        '--replicas',
        '2',
        'exec:/bin/sleep',
        '600',
      ]);
      assert.equal(created.code, 0, created.stderr);
      const lines = created.stdout.trim().split('\n');
      assert.match(lines[0]!, /^[a-z0-9]{25}$/);
      assert.match(created.stdout, /overall progress: 2 out of 2 tasks/);
      assert.match(created.stdout, /verify: Service \S+ converged/);
      // exec images have no digest to pin: no warning about a registry.
      assert.doesNotMatch(created.stderr, /could not be accessed on a registry/);
      const image = await docker.ok(n1, [
        'service',
        'inspect',
        'web',
        '--format',
        '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      ]);
      assert.equal(image.trim(), 'exec:/bin/sleep');
    },
  );

  await t.test('service create -d, ls, ps, inspect', async () => {
    const id = (
      await docker.ok(n1, [
        'service',
        'create',
        '-d',
        '--name',
        'talker',
        '--restart-condition',
        'none',
        'exec:/bin/sh',
        '-c',
        'echo hello-from-task; echo oops >&2; exec sleep 600',
      ])
    ).trim();
    assert.match(id, /^[a-z0-9]{25}$/);
    const listed = await waitFor(
      'both services to run',
      30_000,
      async () => {
        const out = await docker.ok(n1, [
          'service',
          'ls',
          '--format',
          '{{.Name}} {{.Replicas}} {{.Mode}}',
        ]);
        return out.includes('web 2/2 replicated') && out.includes('talker 1/1 replicated')
          ? out
          : undefined;
      },
      200,
    );
    assert.ok(listed);
    const table = await docker.ok(n1, ['service', 'ls']);
    assert.match(table.split('\n')[0]!, /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS$/);
    const ps = await docker.ok(n1, [
      'service',
      'ps',
      'web',
      '--format',
      '{{.Name}} {{.DesiredState}} {{.CurrentState}}',
    ]);
    const rows = ps.trim().split('\n');
    assert.equal(rows.length, 2);
    for (const row of rows) assert.match(row, /^web\.[12] Running Running /);
    const quiet = await docker.ok(n1, [
      'service',
      'ps',
      '-q',
      '--filter',
      'desired-state=running',
      'web',
    ]);
    assert.equal(quiet.trim().split('\n').length, 2);
    assert.equal(
      (
        await docker.ok(n1, [
          'service',
          'inspect',
          'web',
          '--format',
          '{{.Spec.Mode.Replicated.Replicas}}',
        ])
      ).trim(),
      '2',
    );
    const pretty = await docker.ok(n1, ['service', 'inspect', '--pretty', 'web']);
    assert.match(pretty, /Name:\s+web/);
    assert.match(pretty, /Replicas:\s+2/);
    // `docker inspect` without a type skips the engine's object kinds this node has none of.
    const generic = await docker.ok(n1, ['inspect', '--format', '{{.Spec.Name}}', 'web']);
    assert.equal(generic.trim(), 'web');
    const missing = await docker.fails(n1, ['service', 'inspect', 'no-such-service']);
    assert.match(missing.stderr, /no such service: no-such-service/i);
  });

  await t.test('service logs: every line, with task and node', async () => {
    const logs = await waitFor(
      'the task to have logged',
      30_000,
      async () => {
        const out = await docker.run(n1, ['service', 'logs', 'talker']);
        return out.stdout.includes('hello-from-task') && out.stderr.includes('oops')
          ? out
          : undefined;
      },
      200,
    );
    assert.match(logs.stdout, /^talker\.1\.[a-z0-9]{12}@node-[123]\s+\| hello-from-task$/m);
    assert.match(logs.stderr, /^talker\.1\.[a-z0-9]{12}@node-[123]\s+\| oops$/m);
    const raw = await docker.ok(n1, ['service', 'logs', '--raw', 'talker']);
    assert.equal(raw.trim(), 'hello-from-task');
    const task = (await docker.ok(n1, ['service', 'ps', '-q', 'talker'])).trim();
    const byTask = await docker.ok(n1, ['service', 'logs', '--no-task-ids', task]);
    assert.match(byTask, /^talker\.1@node-[123]\s+\| hello-from-task$/m);
  });

  await t.test('service scale, update, rollback', async () => {
    const scaled = await docker.run(n1, ['service', 'scale', 'web=3']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.match(scaled.stdout, /^web scaled to 3$/m);
    assert.match(scaled.stdout, /verify: Service web converged/);
    const rows = await docker.ok(n1, [
      'service',
      'ps',
      '-q',
      '--filter',
      'desired-state=running',
      'web',
    ]);
    assert.equal(rows.trim().split('\n').length, 3);

    assert.equal(
      (await docker.ok(n1, ['service', 'update', '-d', '--args', '900', 'web'])).trim(),
      'web',
    );
    const args = await docker.ok(n1, [
      'service',
      'inspect',
      'web',
      '--format',
      '{{index .Spec.TaskTemplate.ContainerSpec.Args 0}} {{index .PreviousSpec.TaskTemplate.ContainerSpec.Args 0}}',
    ]);
    assert.equal(args.trim(), '900 600');
    await waitFor(
      'the update to complete',
      60_000,
      async () => {
        const state = await docker.ok(n1, [
          'service',
          'inspect',
          'web',
          '--format',
          '{{.UpdateStatus.State}}',
        ]);
        return state.trim() === 'completed' ? true : undefined;
      },
      200,
    );
    assert.equal((await docker.ok(n1, ['service', 'rollback', '-d', 'web'])).trim(), 'web');
    const back = await docker.ok(n1, [
      'service',
      'inspect',
      'web',
      '--format',
      '{{index .Spec.TaskTemplate.ContainerSpec.Args 0}}',
    ]);
    assert.equal(back.trim(), '600');
    const taken = await docker.fails(n1, [
      'service',
      'create',
      '-d',
      '--name',
      'web',
      'exec:/bin/true',
    ]);
    assert.match(taken.stderr, /already exists/);
  });

  await t.test('swarm update and unlock-key', async () => {
    const electionTick = async () =>
      (
        await docker.ok(n1, ['info', '--format', '{{.Swarm.Cluster.Spec.Raft.ElectionTick}}'])
      ).trim();
    const ticksBefore = await electionTick();
    assert.equal(
      (await docker.ok(n1, ['swarm', 'update', '--task-history-limit', '3'])).trim(),
      'Swarm updated.',
    );
    const limit = await docker.ok(n1, [
      'info',
      '--format',
      '{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}',
    ]);
    assert.equal(limit.trim(), '3');
    // The fields the update left out (zero values) keep their values, as dockerd merges them.
    assert.equal(await electionTick(), ticksBefore);
    const locked = await docker.ok(n1, ['swarm', 'update', '--autolock=true']);
    assert.match(locked, /SWMKEY-1-\S+/);
    const key = (await docker.ok(n1, ['swarm', 'unlock-key', '-q'])).trim();
    assert.ok(locked.includes(key));
    const rotated = (await docker.ok(n1, ['swarm', 'unlock-key', '--rotate', '-q'])).trim();
    assert.match(rotated, /^SWMKEY-1-/);
    assert.notEqual(rotated, key);
    await docker.ok(n1, ['swarm', 'update', '--autolock=false']);
    const none = await docker.fails(n1, ['swarm', 'unlock-key']);
    assert.match(none.stderr, /no unlock key is set/);
    const tooShort = await docker.fails(n1, ['swarm', 'update', '--cert-expiry', '10m']);
    assert.match(tooShort.stderr, /minimum certificate expiry time is: 1h0m0s/);
    const rotatedToken = await docker.ok(n1, ['swarm', 'join-token', '--rotate', '-q', 'worker']);
    assert.notEqual(rotatedToken.trim(), workerToken);
  });

  await t.test('secret and config create, ls, inspect, rm', async () => {
    for (const kind of ['secret', 'config']) {
      const name = `app_${kind}`;
      const id = (await docker.ok(n1, [kind, 'create', name, '-'], { input: 'value\n' })).trim();
      assert.match(id, /^[a-z0-9]{25}$/);
      const listed = await docker.ok(n1, [kind, 'ls', '--format', '{{.Name}}']);
      assert.match(listed, new RegExp(`^${name}$`, 'm'));
      const inspected = await docker.ok(n1, [
        kind,
        'inspect',
        '--format',
        '{{.ID}} {{.Spec.Name}}',
        name,
      ]);
      assert.equal(inspected.trim(), `${id} ${name}`);
      assert.equal((await docker.ok(n1, [kind, 'rm', name])).trim(), name);
      const gone = await docker.fails(n1, [kind, 'inspect', name]);
      assert.notEqual(gone.code, 0);
    }
  });

  await t.test('events: the past with --since/--until, and live', async () => {
    const live = docker.stream(n1, [
      'events',
      '--filter',
      'type=service',
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
    ]);
    t.after(() => live.stop());
    // The stream is open once a request reaches the daemon; create until the event shows.
    await docker.ok(n1, ['service', 'create', '-d', '--name', 'evented', 'exec:/bin/sleep', '600']);
    await waitFor('the live create event', 20_000, async () =>
      live.lines().includes('service create evented') ? true : undefined,
    );
    await docker.ok(n1, ['service', 'rm', 'evented']);
    await waitFor('the live remove event', 20_000, async () =>
      live.lines().includes('service remove evented') ? true : undefined,
    );
    assert.ok(
      live.lines().every((line) => line.startsWith('service ')),
      live.lines().join('\n'),
    );
    await live.stop();

    const until = Math.floor(Date.now() / 1000) + 1;
    const past = await docker.ok(n1, [
      'events',
      '--since',
      String(startedAt),
      '--until',
      String(until),
      '--format',
      '{{.Scope}} {{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
    ]);
    assert.match(past, /^swarm service create web$/m);
    assert.match(past, /^swarm service update web$/m);
    assert.match(past, /^swarm node update node-2$/m);
    assert.match(past, /^swarm secret create app_secret$/m);
    assert.match(past, /^swarm config remove app_config$/m);
    const scaled = await docker.ok(n1, [
      'events',
      '--since',
      String(startedAt),
      '--until',
      String(until),
      '--filter',
      'service=web',
      '--filter',
      'event=update',
      '--format',
      '{{index .Actor.Attributes "replicas.old"}}>{{index .Actor.Attributes "replicas.new"}}',
    ]);
    assert.match(scaled, /^2>3$/m);
    const bad = await docker.fails(n1, ['events', '--filter', 'scope=planet', '--until', '0s']);
    assert.match(bad.stderr, /invalid filter 'scope=planet'/);
  });

  await t.test('engine endpoints on a node without an engine: a clear error', async () => {
    const ps = await docker.fails(n1, ['ps']);
    assert.match(ps.stderr, /not supported on this node/);
    assert.match(ps.stderr, /without a Docker Engine/);
  });

  await t.test('the TLS port: docker --tlsverify with a client certificate', async () => {
    const dir = makeTempDir('shoal-client-cert-');
    const issued = await cluster.ok(n1, [
      'ca',
      'issue-client',
      '--out',
      dir,
      '--name',
      'tester',
      '--force',
    ]);
    assert.match(issued, /Client certificate for tester written/);
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) assert.ok(existsSync(join(dir, file)));
    const host = `tcp://127.0.0.1:${tlsPort}`;
    await waitFor(
      'the TLS listener',
      20_000,
      async () => {
        const result = await docker.run(
          null,
          [
            '--tlsverify',
            '--tlscacert',
            join(dir, 'ca.pem'),
            '--tlscert',
            join(dir, 'cert.pem'),
            '--tlskey',
            join(dir, 'key.pem'),
            'version',
          ],
          { host },
        );
        return result.code === 0 ? true : undefined;
      },
      200,
    );
    const nodes = await docker.ok(null, ['node', 'ls', '--format', '{{.Hostname}}'], {
      host,
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
    });
    assert.deepEqual(nodes.trim().split('\n').sort(), ['node-1', 'node-2', 'node-3']);
    const anonymous = await docker.fails(
      null,
      ['--tlsverify', '--tlscacert', join(dir, 'ca.pem'), 'node', 'ls'],
      { host },
    );
    assert.match(anonymous.stderr, /certificate required|bad certificate/);
    const plain = await docker.fails(null, ['node', 'ls'], { host });
    assert.notEqual(plain.code, 0);
  });

  await t.test('swarm leave and node rm', async () => {
    const refused = await docker.fails(n3, ['swarm', 'leave']);
    assert.match(
      refused.stderr,
      /You are attempting to leave the swarm on a node that is participating as a manager/,
    );
    assert.equal((await docker.ok(n2, ['swarm', 'leave'])).trim(), 'Node left the swarm.');
    assert.equal(
      (await docker.ok(n2, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim(),
      'inactive',
    );
    const notDown = await docker.run(n1, ['node', 'rm', 'node-2']);
    if (notDown.code !== 0) assert.match(notDown.stderr, /is not down and can't be removed/);
    await waitFor(
      'node-2 to be down',
      30_000,
      async () => {
        const rows = await nodeRows(docker, n1);
        return !rows.has('node-2') || rows.get('node-2')?.status === 'Down' ? true : undefined;
      },
      200,
    );
    if (notDown.code !== 0)
      assert.equal((await docker.ok(n1, ['node', 'rm', 'node-2'])).trim(), 'node-2');
    assert.ok(!(await nodeRows(docker, n1)).has('node-2'));
    const managerRm = await docker.fails(n1, ['node', 'rm', 'node-3']);
    assert.match(managerRm.stderr, /must be demoted to worker before removal/);
  });

  await t.test('service rm', async () => {
    assert.deepEqual((await docker.ok(n1, ['service', 'rm', 'web', 'talker'])).trim().split('\n'), [
      'web',
      'talker',
    ]);
    const missing = await docker.fails(n1, ['service', 'rm', 'web']);
    assert.match(missing.stderr, /service web not found/);
    await waitFor(
      'every task to be gone',
      60_000,
      async () => {
        const tasks = await docker.run(n1, ['service', 'ls', '-q']);
        return tasks.stdout.trim() === '' ? true : undefined;
      },
      200,
    );
  });
});
