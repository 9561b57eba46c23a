// Conformance: the stock docker CLI deploys and removes stacks on Shoal, and drives networks,
// secrets, configs and services that use them. `docker stack deploy` parses the compose file
// itself and calls /networks, /secrets, /configs, /distribution and /services, so each step
// checks what a docker user relies on. One daemon, exec runtime (no engine needed); exec
// images are written `exec.shoal/PATH` in compose files, since the CLI refuses `exec:PATH`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { daemonsForTest, freePorts, makeTempDir, waitFor } from '../src/testkit/index.ts';
import { DockerCli, dockerCliAvailable } from './docker-cli-support.ts';

const skip = dockerCliAvailable() ? false : 'no docker CLI at /usr/local/bin/docker';

const COMPOSE = `
version: "3.8"
services:
  web:
    image: exec.shoal/bin/sleep
    command: ["600"]
    networks: [front, back]
    secrets:
      - source: token
        target: token.txt
    configs:
      - source: conf
        target: /etc/app.conf
    deploy:
      replicas: 2
      labels:
        tier: web
  worker:
    image: exec.shoal/bin/sh
    command: ["-c", "echo worker-up; exec sleep 600"]
    environment:
      GREETING: hello
networks:
  front:
    driver: overlay
    attachable: true
  back:
    ipam:
      config:
        - subnet: 10.77.0.0/24
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    file: ./app.conf
`;

const SMALL_COMPOSE = `
version: "3.8"
services:
  one:
    image: exec.shoal/bin/sleep
    command: ["600"]
    deploy:
      update_config:
        monitor: 1s
`;

const EXEC_FORM_COMPOSE = `
version: "3.8"
services:
  raw:
    image: exec:/bin/sleep
`;

test('the docker CLI deploys stacks, networks, secrets and configs', {
  skip,
  timeout: 600_000,
}, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'docker-cli-stack');
  cluster.daemonArgs = ['--docker', 'none'];
  const docker = new DockerCli();
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  const files = makeTempDir('shoal-stack-files-');
  writeFileSync(join(files, 'stack.yml'), COMPOSE);
  writeFileSync(join(files, 'small.yml'), SMALL_COMPOSE);
  writeFileSync(join(files, 'exec-form.yml'), EXEC_FORM_COMPOSE);
  writeFileSync(join(files, 'token.txt'), 's3cret\n');
  writeFileSync(join(files, 'app.conf'), 'level=1\n');
  await docker.ok(node, [
    'swarm',
    'init',
    '--advertise-addr',
    node.clusterAddr,
    '--listen-addr',
    node.clusterAddr,
  ]);

  await t.test('network create, ls, inspect, rm', async () => {
    const id = (
      await docker.ok(node, [
        'network',
        'create',
        '-d',
        'overlay',
        '--attachable',
        '--subnet',
        '10.90.0.0/24',
        'appnet',
      ])
    ).trim();
    assert.match(id, /^[a-z0-9]{25}$/);
    const table = await docker.ok(node, ['network', 'ls']);
    assert.match(table.split('\n')[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.match(table, new RegExp(`^${id.slice(0, 12)}\\s+appnet\\s+overlay\\s+swarm$`, 'm'));
    assert.match(table, /^\w{12}\s+ingress\s+overlay\s+swarm$/m);
    const filtered = await docker.ok(node, [
      'network',
      'ls',
      '--filter',
      'name=app',
      '--format',
      '{{.Name}}',
    ]);
    assert.equal(filtered.trim(), 'appnet');
    const inspected = await docker.ok(node, [
      'network',
      'inspect',
      'appnet',
      '--format',
      '{{.Id}} {{.Driver}} {{.Scope}} {{.Attachable}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}',
    ]);
    assert.equal(inspected.trim(), `${id} overlay swarm true 10.90.0.0/24 10.90.0.1`);

    const overlapping = await docker.fails(node, [
      'network',
      'create',
      '-d',
      'overlay',
      '--subnet',
      '10.90.0.128/25',
      'other',
    ]);
    assert.equal(overlapping.code, 1);
    assert.match(overlapping.stderr, /Pool overlaps with other one on this address space/);
    const taken = await docker.fails(node, ['network', 'create', '-d', 'overlay', 'appnet']);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /network with name appnet already exists/);
    const missing = await docker.fails(node, ['network', 'inspect', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /network nope not found/);
    const notRemoved = await docker.fails(node, ['network', 'rm', 'nope']);
    assert.match(notRemoved.stderr, /network nope not found/);
    const names = await docker.ok(node, ['network', 'ls', '--format', '{{.Name}}']);
    assert.deepEqual(names.trim().split('\n').sort(), ['appnet', 'ingress'], 'nothing half-made');
  });

  await t.test('service create with --secret, --config and --network', async () => {
    await docker.ok(node, ['secret', 'create', 'db_pass', '-'], { input: 'pw\n' });
    await docker.ok(node, ['config', 'create', 'app.conf', '-'], { input: 'c=1\n' });
    const created = await docker.ok(node, [
      'service',
      'create',
      '-d',
      '--name',
      'svc',
      '--secret',
      'db_pass',
      '--secret',
      'source=db_pass,target=alt,mode=0400',
      '--config',
      'source=app.conf,target=/etc/app.conf',
      '--network',
      'appnet',
      'exec:/bin/sleep',
      '600',
    ]);
    assert.match(created.trim(), /^[a-z0-9]{25}$/);
    const field = async (template: string) =>
      (await docker.ok(node, ['service', 'inspect', 'svc', '--format', template])).trim();
    const secrets = await field(
      '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}:{{.File.Name}}:{{.File.Mode}} {{end}}',
    );
    assert.deepEqual(secrets.split(' ').sort(), [
      'db_pass:alt:-r--------',
      'db_pass:db_pass:-r--r--r--',
    ]);
    assert.equal(
      await field(
        '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}}:{{.File.Name}}{{end}} ' +
          '{{len .Spec.TaskTemplate.Networks}} {{.Spec.EndpointSpec.Mode}}',
      ),
      'app.conf:/etc/app.conf 1 vip',
    );
    const vip = await docker.ok(node, [
      'service',
      'inspect',
      'svc',
      '--format',
      '{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}',
    ]);
    assert.match(vip.trim(), /^10\.90\.0\.\d+\/24$/);
    await waitFor(
      'the task to run',
      30_000,
      async () => {
        const ps = await docker.ok(node, ['service', 'ps', 'svc', '--format', '{{.CurrentState}}']);
        return ps.startsWith('Running') ? true : undefined;
      },
      200,
    );

    const inUse = await docker.fails(node, ['network', 'rm', 'appnet']);
    assert.match(inUse.stderr, /network appnet \(\w+\) is in use by service svc/);
    const secretInUse = await docker.fails(node, ['secret', 'rm', 'db_pass']);
    assert.match(secretInUse.stderr, /secret 'db_pass' is in use by the following service: svc/);
    const missingSecret = await docker.fails(node, [
      'service',
      'create',
      '-d',
      '--name',
      'bad',
      '--secret',
      'nope',
      'exec:/bin/true',
    ]);
    assert.match(missingSecret.stderr, /secret not found: nope/);
    assert.equal((await docker.ok(node, ['service', 'rm', 'svc'])).trim(), 'svc');
    // Right after its service, as `docker stack rm` does: the stopping task does not hold it.
    assert.equal((await docker.ok(node, ['network', 'rm', 'appnet'])).trim(), 'appnet');
    assert.equal((await docker.ok(node, ['secret', 'rm', 'db_pass'])).trim(), 'db_pass');
    assert.equal((await docker.ok(node, ['config', 'rm', 'app.conf'])).trim(), 'app.conf');
  });

  const taskIds = async (stack: string) =>
    (await docker.ok(node, ['stack', 'ps', '-q', '--filter', 'desired-state=running', stack]))
      .trim()
      .split('\n')
      .sort();

  await t.test('stack deploy: networks, secrets, configs, services', async () => {
    const deployed = await docker.run(node, ['stack', 'deploy', '-c', 'stack.yml', 'blog'], {
      cwd: files,
    });
    assert.equal(deployed.code, 0, deployed.stderr);
    const lines = deployed.stdout.trim().split('\n');
    assert.deepEqual(lines.filter((line) => line.startsWith('Creating network')).sort(), [
      'Creating network blog_back',
      'Creating network blog_default',
      'Creating network blog_front',
    ]);
    assert.ok(lines.includes('Creating secret blog_token'), deployed.stdout);
    assert.ok(lines.includes('Creating config blog_conf'), deployed.stdout);
    assert.ok(lines.includes('Creating service blog_web'), deployed.stdout);
    assert.ok(lines.includes('Creating service blog_worker'), deployed.stdout);
    // exec images have no digest to pin: no registry warning.
    assert.doesNotMatch(deployed.stderr, /could not be accessed on a registry/);

    const stacks = await docker.ok(node, ['stack', 'ls']);
    assert.match(stacks.split('\n')[0]!, /^NAME\s+SERVICES$/);
    assert.match(stacks, /^blog\s+2$/m);
    await waitFor(
      'the stack services to converge',
      60_000,
      async () => {
        const out = await docker.ok(node, [
          'stack',
          'services',
          'blog',
          '--format',
          '{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}}',
        ]);
        return out.trim() ===
          'blog_web replicated 2/2 exec:/bin/sleep\nblog_worker replicated 1/1 exec:/bin/sh'
          ? true
          : undefined;
      },
      200,
    );
    const services = await docker.ok(node, ['stack', 'services', 'blog']);
    assert.match(services.split('\n')[0]!, /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS$/);
    const ps = await docker.ok(node, [
      'stack',
      'ps',
      'blog',
      '--format',
      '{{.Name}} {{.Node}} {{.DesiredState}}',
    ]);
    assert.deepEqual(ps.trim().split('\n').sort(), [
      'blog_web.1 node-1 Running',
      'blog_web.2 node-1 Running',
      'blog_worker.1 node-1 Running',
    ]);

    const web = await docker.ok(node, [
      'service',
      'inspect',
      'blog_web',
      '--format',
      '{{index .Spec.Labels "com.docker.stack.namespace"}} {{index .Spec.Labels "com.docker.stack.image"}} ' +
        '{{index .Spec.Labels "tier"}} {{range .Spec.TaskTemplate.Networks}}{{index .Aliases 0}} {{end}}' +
        '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}:{{.File.Name}} {{end}}' +
        '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}}:{{.File.Name}}{{end}}',
    ]);
    assert.equal(
      web.trim(),
      'blog exec.shoal/bin/sleep web web web blog_token:token.txt blog_conf:/etc/app.conf',
    );
    const back = await docker.ok(node, [
      'network',
      'inspect',
      'blog_back',
      '--format',
      '{{index .Labels "com.docker.stack.namespace"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}',
    ]);
    assert.equal(back.trim(), 'blog 10.77.0.0/24');
    const front = await docker.ok(node, [
      'network',
      'inspect',
      'blog_front',
      '--format',
      '{{.Attachable}}',
    ]);
    assert.equal(front.trim(), 'true');
    const secret = await docker.ok(node, [
      'secret',
      'inspect',
      'blog_token',
      '--format',
      '{{index .Spec.Labels "com.docker.stack.namespace"}}',
    ]);
    assert.equal(secret.trim(), 'blog');
    const config = await docker.ok(node, [
      'config',
      'inspect',
      'blog_conf',
      '--format',
      '{{printf "%s" .Spec.Data}}',
    ]);
    assert.equal(config.trim(), 'level=1');
    const logs = await waitFor(
      'the worker output',
      30_000,
      async () => {
        const out = await docker.run(node, ['service', 'logs', '--raw', 'blog_worker']);
        return out.stdout.includes('worker-up') ? out.stdout : undefined;
      },
      200,
    );
    assert.equal(logs.trim(), 'worker-up');
  });

  await t.test('stack deploy again: services updated in place, tasks kept', async () => {
    const before = await taskIds('blog');
    const again = await docker.run(
      node,
      ['stack', 'deploy', '-c', 'stack.yml', '--prune', 'blog'],
      { cwd: files },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      again.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/ \(id: \w+\)$/, ''))
        .sort(),
      ['Updating service blog_web', 'Updating service blog_worker'],
    );
    assert.deepEqual(await taskIds('blog'), before);
  });

  await t.test('stack deploy --detach=false waits for convergence', async () => {
    const waited = await docker.run(
      node,
      ['stack', 'deploy', '--detach=false', '-c', 'small.yml', 'tiny'],
      { cwd: files },
    );
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /Creating network tiny_default/);
    assert.match(waited.stdout, /overall progress: 1 out of 1 tasks/);
    assert.match(waited.stdout, /verify: Service \w+ converged/);
  });

  await t.test(
    'the CLI refuses exec:PATH in a compose file; exec.shoal/PATH is the way',
    async () => {
      const refused = await docker.fails(node, ['stack', 'deploy', '-c', 'exec-form.yml', 'raw'], {
        cwd: files,
      });
      assert.match(refused.stderr, /invalid reference format/);
      const tagged = await docker.fails(node, [
        'service',
        'create',
        '-d',
        '--name',
        'tagged',
        'exec.shoal/bin/sleep:1.0',
      ]);
      assert.match(tagged.stderr, /takes no tag or digest \(write exec\.shoal\/bin\/sleep\)/);
    },
  );

  await t.test('stack rm: services, secrets, configs and networks, at once', async () => {
    const removed = await docker.run(node, ['stack', 'rm', 'blog', 'tiny']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(
      removed.stdout
        .trim()
        .split('\n')
        .filter((line) => line.includes('blog'))
        .sort(),
      [
        'Removing config blog_conf',
        'Removing network blog_back',
        'Removing network blog_default',
        'Removing network blog_front',
        'Removing secret blog_token',
        'Removing service blog_web',
        'Removing service blog_worker',
      ],
    );
    assert.doesNotMatch(removed.stderr, /Failed to remove/);
    assert.equal((await docker.ok(node, ['stack', 'ls', '--format', '{{.Name}}'])).trim(), '');
    const networks = await docker.ok(node, ['network', 'ls', '--format', '{{.Name}}']);
    assert.equal(networks.trim(), 'ingress');
    assert.equal((await docker.ok(node, ['secret', 'ls', '-q'])).trim(), '');
    assert.equal((await docker.ok(node, ['config', 'ls', '-q'])).trim(), '');
    const again = await docker.run(node, ['stack', 'rm', 'blog']);
    assert.match(again.stderr, /Nothing found in stack: blog/);
    const none = await docker.fails(node, ['stack', 'ps', 'blog']);
    assert.match(none.stderr, /nothing found in stack: blog/);
  });
});
