// Conformance with a Docker Engine on the node: the docker CLI pointed at Shoal reaches the
// engine's own endpoints through Shoal (run, exec with stdin, logs, ps, system df: plain,
// streamed and upgraded connections), `docker info` counts and `docker events` carry the
// engine's containers and images, and services run as containers with swarm's labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dockerClient,
  ensureBusyboxImage,
  ensureDockerEngine,
  TEST_BUSYBOX_IMAGE,
} from '../src/testkit/docker.ts';
import { daemonsForTest, freePorts, waitFor } from '../src/testkit/index.ts';
import { DockerCli, dockerCliAvailable } from './docker-cli-support.ts';

test('the docker CLI reaches the node engine through Shoal', { timeout: 300_000 }, async (t) => {
  if (!dockerCliAvailable()) return t.skip('no docker CLI at /usr/local/bin/docker');
  const engine = await ensureDockerEngine();
  if ('unavailable' in engine) return t.skip(engine.unavailable);
  await ensureBusyboxImage(dockerClient(engine));
  const cluster = daemonsForTest(t.after.bind(t), 'docker-cli-engine');
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  const docker = new DockerCli();
  const container = `shoal-proxy-test-${process.pid}`;
  t.after(async () => {
    await docker.run(node, ['rm', '-f', container]);
  });

  await t.test('run, exec with stdin, logs, ps, system df', async () => {
    const ran = await docker.ok(node, [
      'run',
      '--rm',
      TEST_BUSYBOX_IMAGE,
      'echo',
      'hello-through-shoal',
    ]);
    assert.equal(ran.trim(), 'hello-through-shoal');
    await docker.ok(node, [
      'run',
      '-d',
      '--name',
      container,
      TEST_BUSYBOX_IMAGE,
      'sh',
      '-c',
      'echo started; exec sleep 600',
    ]);
    const piped = await docker.ok(node, ['exec', '-i', container, 'cat'], {
      input: 'piped-through-shoal\n',
    });
    assert.equal(piped.trim(), 'piped-through-shoal');
    const failed = await docker.run(node, ['exec', container, 'sh', '-c', 'exit 7']);
    assert.equal(failed.code, 7);
    await waitFor('the container output', 10_000, async () =>
      (await docker.ok(node, ['logs', container])).includes('started') ? true : undefined,
    );
    const names = await docker.ok(node, ['ps', '--format', '{{.Names}}']);
    assert.match(names, new RegExp(`^${container}$`, 'm'));
    assert.match(await docker.ok(node, ['system', 'df']), /^Images\s+\d+/m);
    const missing = await docker.fails(node, [
      'inspect',
      '--type',
      'container',
      'no-such-container',
    ]);
    assert.match(missing.stderr, /No such container: no-such-container/);
  });

  await t.test("info counts and events are the engine's too", async () => {
    const direct = { host: `unix://${engine.socketPath}` };
    const format = '{{.Images}} {{.Driver}}';
    const before = (await docker.ok(null, ['info', '--format', format], direct)).trim();
    const through = (await docker.ok(node, ['info', '--format', format])).trim();
    const after = (await docker.ok(null, ['info', '--format', format], direct)).trim();
    // Other tests may add images meanwhile: Shoal's answer is one of the engine's.
    assert.ok([before, after].includes(through), `${through} vs ${before} / ${after}`);
    const running = await docker.ok(node, ['info', '--format', '{{.ContainersRunning}}']);
    assert.ok(Number(running) >= 1, 'the test container runs');
    assert.equal(
      (await docker.ok(node, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim(),
      'inactive',
    );

    const name = `shoal-events-test-${process.pid}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const live = docker.stream(node, [
      'events',
      '--filter',
      'type=container',
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
    ]);
    t.after(() => live.stop());
    // The stream is open once the engine's part is connected: run until the events show.
    await waitFor('the live container events', 60_000, async () => {
      await docker.ok(node, ['run', '--rm', '--name', name, TEST_BUSYBOX_IMAGE, 'true']);
      return live.lines().includes(`container destroy ${name}`) ? true : undefined;
    });
    assert.ok(live.lines().includes(`container start ${name}`), live.lines().join('\n'));
    await live.stop();
    const past = await docker.ok(node, [
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Scope}} {{.Action}}',
    ]);
    const actions = past.trim().split('\n');
    assert.ok(actions.includes('local start'), past);
    assert.ok(actions.indexOf('local create') < actions.indexOf('local destroy'), past);
  });

  await t.test(
    'a service of a local image: created without a registry, run as containers',
    async () => {
      await cluster.initSwarm(node);
      const created = await docker.run(node, [
        'service',
        'create',
        '--name',
        'bb',
        '--replicas',
        '2',
        TEST_BUSYBOX_IMAGE,
        'sleep',
        '600',
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /verify: Service \S+ converged/);
      // A locally imported image has no registry digest: docker warns and keeps the name.
      assert.match(created.stderr, /could not be accessed on a registry to record\s+its digest/);
      const image = await docker.ok(node, [
        'service',
        'inspect',
        'bb',
        '--format',
        '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      ]);
      assert.equal(image.trim(), TEST_BUSYBOX_IMAGE);
      const labelled = await docker.ok(node, [
        'ps',
        '--filter',
        'label=com.docker.swarm.service.name=bb',
        '--format',
        '{{.Label "com.docker.swarm.task.name"}}',
      ]);
      assert.equal(labelled.trim().split('\n').length, 2);
      await docker.ok(node, ['service', 'rm', 'bb']);
      await waitFor(
        'the service containers to go',
        60_000,
        async () => {
          const left = await docker.ok(node, [
            'ps',
            '-aq',
            '--filter',
            'label=com.docker.swarm.service.name=bb',
          ]);
          return left.trim() === '' ? true : undefined;
        },
        200,
      );
      await docker.ok(node, ['swarm', 'leave', '--force']);
    },
  );
});
