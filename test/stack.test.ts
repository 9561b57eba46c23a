// `shoal stack` against a real daemon (exec runtime, one node): deploy with depends_on, secrets
// and configs; a redeploy that changes one service updates only that one; --prune; stack rm
// leaves nothing; a broken compose file creates nothing and names its place.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Service } from '../src/store/index.ts';
import { daemonsForTest, freePorts, waitFor } from '../src/testkit/index.ts';
import { ClusterApi, running } from './services-support.ts';

const STACK = (sleepSeconds: number, withWorker = true) => `
services:
  back:
    image: exec:/bin/sleep
    command: ["600"]
    healthcheck:
      test: ["CMD", "/bin/true"]
      interval: 1s
    secrets: [token]
    configs: [settings]
  front:
    image: exec:/bin/sleep
    command: ["${sleepSeconds}"]
    depends_on:
      back:
        condition: service_healthy
${
  withWorker
    ? `  worker:
    image: exec:/bin/sleep
    command: ["600"]
`
    : ''
}secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.ini
`;

test('stack deploy, update, prune and rm on a real daemon', { timeout: 240_000 }, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'stack');
  cluster.daemonArgs = ['--docker', 'none'];
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  await cluster.initSwarm(node, ['--dispatcher-heartbeat', '1s']);
  const api = new ClusterApi(node);
  t.after(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'shoal-stack-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token.txt'), 's3cret');
  writeFileSync(join(dir, 'settings.ini'), '[app]\n');
  const compose = join(dir, 'compose.yml');
  const deploy = async (text: string, ...flags: string[]) => {
    writeFileSync(compose, text);
    return cluster.cli(node, ['stack', 'deploy', '-d', ...flags, '-c', compose, 'demo']);
  };
  const services = async () => (await api.client.request('GET', '/services')).json<Service[]>();
  const byName = async (name: string) => (await services()).find((s) => s.Spec.Name === name)!;

  const first = await deploy(STACK(600));
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Creating network demo_default\n/);
  assert.match(first.stdout, /Creating secret demo_token\n/);
  assert.match(first.stdout, /Creating config demo_settings\n/);
  assert.match(
    first.stdout,
    /Creating service demo_back\nWaiting for demo_back \(service_healthy\)\nCreating service demo_front\n/,
  );
  const back = await byName('demo_back');
  await api.waitTasks(back.ID, 'back running', (tasks) => running(tasks).length === 1);

  const ls = await cluster.ok(node, ['stack', 'ls']);
  assert.match(ls, /^NAME\s+SERVICES\ndemo\s+3\n$/);
  const listed = await cluster.ok(node, ['stack', 'services', '--format', '{{.Name}}', 'demo']);
  assert.equal(listed, 'demo_back\ndemo_front\ndemo_worker\n');
  const ps = await cluster.ok(node, ['stack', 'ps', '--format', '{{.Name}}', 'demo']);
  assert.match(ps, /demo_back\.1/);

  // Only front changes: only front is updated.
  const versions = new Map((await services()).map((s) => [s.Spec.Name, s.Version.Index]));
  const second = await deploy(STACK(500));
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Updating service demo_front \(id: \w+\)\n/);
  assert.doesNotMatch(second.stdout, /(Creating|Updating) service demo_(back|worker)/);
  assert.equal((await byName('demo_back')).Version.Index, versions.get('demo_back'));
  assert.equal((await byName('demo_worker')).Version.Index, versions.get('demo_worker'));
  assert.deepEqual((await byName('demo_front')).Spec.TaskTemplate.ContainerSpec?.Args, ['500']);

  // --prune removes the service the file no longer names.
  const third = await deploy(STACK(500, false), '--prune');
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /^Removing service demo_worker\n/);
  assert.equal(await byName('demo_worker'), undefined);

  // A broken file: the error names its place, and nothing changes.
  const broken = await deploy(
    STACK(400).replace('  front:\n', '  front:\n    deploy:\n      replicas: many\n'),
  );
  assert.equal(broken.code, 1);
  assert.match(
    broken.stderr,
    /compose\.yml:\d+:\d+: services\.front\.deploy\.replicas: must be an integer/,
  );
  assert.deepEqual((await byName('demo_front')).Spec.TaskTemplate.ContainerSpec?.Args, ['500']);

  // stack rm: services, secrets, configs and networks all gone.
  const removed = await cluster.cli(node, ['stack', 'rm', 'demo']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(
    removed.stdout,
    /Removing service demo_back\nRemoving service demo_front\nRemoving secret demo_token\nRemoving config demo_settings\nRemoving network demo_default\n/,
  );
  const left = async (path: string) => (await api.client.request('GET', path)).json<unknown[]>();
  await waitFor('the stack to be gone', 30_000, async () => {
    const counts = await Promise.all(['/services', '/secrets', '/configs'].map(left));
    const networks = (await left('/networks')) as { Name: string }[];
    return counts.every((list) => list.length === 0) &&
      !networks.some((network) => network.Name.startsWith('demo_'))
      ? true
      : undefined;
  });
  const nothing = await cluster.cli(node, ['stack', 'rm', 'demo']);
  assert.equal(nothing.stderr, 'Nothing found in stack: demo\n');
  await api.removeAll();
});
