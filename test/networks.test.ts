// Swarm networks end to end, through the shoal CLI against real daemons (a manager and a
// worker, exec runtime): the ingress network of a new swarm, create/ls/inspect/rm, a service on
// a network getting its virtual IPs and its tasks their addresses, and bad input refused whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service, Task } from '../src/store/index.ts';
import { daemonsForTest, freePorts } from '../src/testkit/index.ts';
import { DockerCli, dockerCliAvailable } from './docker-cli-support.ts';
import { ClusterApi, running } from './services-support.ts';

interface AddressInfo {
  network: string;
  ip: string;
  prefix: number;
}

function address(networkId: string, cidr: string): AddressInfo {
  const [ip, prefix] = cidr.split('/');
  return { network: networkId, ip: ip!, prefix: Number(prefix) };
}

/** Whether `ip` lies in `subnet` (a.b.c.d/n). */
function inSubnet(ip: string, subnet: string): boolean {
  const [base, bits] = subnet.split('/');
  const toNumber = (text: string) =>
    text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const start = toNumber(base!);
  const value = toNumber(ip);
  return value >= start && value < start + size;
}

test('swarm networks: create, list, inspect, use, remove', { timeout: 240_000 }, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'networks');
  cluster.daemonArgs = ['--docker', 'none'];
  const [port] = await freePorts(1);
  const manager = await cluster.add(1, port!);
  const worker = await cluster.add(2, port!);
  await cluster.initSwarm(manager, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(manager, ['swarm', 'join-token', '-q', 'worker'])).trim();
  assert.equal((await cluster.joinSwarm(worker, token, manager.clusterAddr)).code, 0);
  const api = new ClusterApi(manager);
  t.after(() => api.close());
  const shoal = (args: string[]) => cluster.cli(manager, args);
  const names = async () =>
    (await cluster.ok(manager, ['network', 'ls', '--format', '{{.Name}}'])).trim().split('\n');

  await t.test('a new swarm has the ingress network', async () => {
    const table = await cluster.ok(manager, ['network', 'ls']);
    const [header, row] = table.trim().split('\n');
    assert.match(header!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.match(row!, /^[0-9a-z]{12}\s+ingress\s+overlay\s+swarm$/);
    const ipam = await cluster.ok(manager, [
      'network',
      'inspect',
      '-f',
      '{{json .IPAM.Config}} {{.Ingress}}',
      'ingress',
    ]);
    assert.equal(ipam.trim(), '[{"Subnet":"10.0.0.0/24","Gateway":"10.0.0.1"}] true');
  });

  let backendId = '';
  await t.test('create, inspect; bad input refused with nothing created', async () => {
    backendId = (
      await cluster.ok(manager, [
        'network',
        'create',
        '-d',
        'overlay',
        '--attachable',
        '--label',
        'team=blue',
        'backend',
      ])
    ).trim();
    assert.match(backendId, /^[0-9a-z]{25}$/);
    const [inspected] = JSON.parse(await cluster.ok(manager, ['network', 'inspect', 'backend']));
    assert.equal(inspected.Id, backendId);
    assert.equal(inspected.Attachable, true);
    assert.deepEqual(inspected.Labels, { team: 'blue' });
    assert.deepEqual(inspected.IPAM.Config, [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }]);

    const refusals: [string[], RegExp][] = [
      [
        ['--subnet', '10.0.1.128/25', 'clash'],
        /Pool overlaps with other one on this address space \(10\.0\.1\.128\/25 overlaps 10\.0\.1\.0\/24 of network backend\)/,
      ],
      [
        ['--subnet', '10.0.300.0/24', 'badcidr'],
        /ipam configuration: invalid subnet 10\.0\.300\.0\/24/,
      ],
      [
        ['--subnet', '10.7.0.1/24', 'hostbits'],
        /host bits are set \(did you mean 10\.7\.0\.0\/24\?\)/,
      ],
      [['BACKEND'], /network with name BACKEND already exists/],
      [['-d', 'bridge', 'local'], /network driver "bridge" is not supported/],
    ];
    for (const [args, message] of refusals) {
      const result = await shoal(['network', 'create', ...args]);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^Error response from daemon: /);
    }
    assert.deepEqual(await names(), ['backend', 'ingress']);
    const missing = await shoal(['network', 'inspect', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error: No such network: nope');
  });

  let serviceId = '';
  await t.test(
    'a service on the network gets VIPs; its tasks get addresses in the subnets',
    async () => {
      serviceId = (
        await cluster.ok(manager, [
          'service',
          'create',
          '-d',
          '--name',
          'api',
          '--replicas',
          '3',
          '--network',
          'name=backend,alias=db',
          '-p',
          '18080:80',
          'exec:/bin/sleep',
          '600',
        ])
      ).trim();
      const service: Service = await api.service(serviceId);
      assert.deepEqual(service.Spec.TaskTemplate.Networks, [
        { Target: backendId, Aliases: ['db'] },
      ]);
      const ingressId = JSON.parse(await cluster.ok(manager, ['network', 'inspect', 'ingress']))[0]
        .Id;
      const vips = (service.Endpoint?.VirtualIPs ?? []).map((vip) =>
        address(vip.NetworkID, vip.Addr),
      );
      assert.deepEqual(
        vips.map((vip) => vip.network),
        [ingressId, backendId],
      );
      assert.ok(inSubnet(vips[0]!.ip, '10.0.0.0/24') && vips[0]!.prefix === 24);
      assert.ok(inSubnet(vips[1]!.ip, '10.0.1.0/24') && vips[1]!.prefix === 24);

      const tasks: Task[] = await api.waitTasks(
        serviceId,
        '3 running tasks',
        (ts) => running(ts).length === 3,
        60_000,
      );
      assert.equal(new Set(tasks.map((task) => task.NodeID)).size, 2, 'on both nodes');
      const seen = new Set(vips.map((vip) => `${vip.network} ${vip.ip}`));
      for (const task of tasks) {
        const attachments = task.NetworksAttachments ?? [];
        assert.deepEqual(
          attachments.map((a) => a.Network.ID),
          [ingressId, backendId],
          task.ID,
        );
        assert.equal((attachments[1]!.Network as { Spec: { Name: string } }).Spec.Name, 'backend');
        for (const attachment of attachments) {
          const subnet = attachment.Network.ID === ingressId ? '10.0.0.0/24' : '10.0.1.0/24';
          const [cidr] = attachment.Addresses;
          const { ip } = address(attachment.Network.ID, cidr!);
          assert.ok(inSubnet(ip, subnet), `${cidr} in ${subnet}`);
          const key = `${attachment.Network.ID} ${ip}`;
          assert.ok(!seen.has(key), `${key} handed out twice`);
          seen.add(key);
        }
      }
      // Peers: the nodes where the network has tasks.
      const peers = await cluster.ok(manager, [
        'network',
        'inspect',
        '-f',
        '{{range .Peers}}{{.Name}} {{end}}',
        'backend',
      ]);
      assert.deepEqual(peers.trim().split(' ').sort(), ['node-1', 'node-2']);
    },
  );

  await t.test(
    'published ports: out of range, duplicate, already used: refused whole',
    async () => {
      const before = await cluster.ok(manager, ['service', 'ls', '-q']);
      const outOfRange = await api.client.request('POST', '/services/create', {
        body: {
          Name: 'far',
          TaskTemplate: { ContainerSpec: { Image: 'exec:/bin/sleep', Args: ['60'] } },
          EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 70000 }] },
        },
      });
      assert.equal(outOfRange.status, 400);
      assert.match(
        outOfRange.json<{ message: string }>().message,
        /published port 70000 is out of range \(1-65535\)/,
      );
      const duplicate = await shoal([
        'service',
        'create',
        '-d',
        '--name',
        'dup',
        '-p',
        '9090:80',
        '-p',
        '9090:81',
        'exec:/bin/sleep',
        '60',
      ]);
      assert.equal(duplicate.code, 1);
      assert.match(duplicate.stderr, /duplicate published ports provided/);
      const used = await shoal([
        'service',
        'create',
        '-d',
        '--name',
        'other',
        '-p',
        '18080:80',
        'exec:/bin/sleep',
        '60',
      ]);
      assert.equal(used.code, 1);
      assert.match(
        used.stderr,
        new RegExp(
          `port '18080' is already in use by service 'api' \\(${serviceId}\\) as an ingress port`,
        ),
      );
      assert.equal(await cluster.ok(manager, ['service', 'ls', '-q']), before);
    },
  );

  await t.test('a network in use is not removed; once free it is', async () => {
    const refused = await shoal(['network', 'rm', 'backend']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`network backend \\(${backendId}\\) is in use by service api \\(${serviceId}\\)`),
    );
    assert.deepEqual(await names(), ['backend', 'ingress']);
    await cluster.ok(manager, ['service', 'rm', 'api']);
    // Its tasks stop first: until then they still hold the network.
    await api.waitTasks(serviceId, 'no task left', (ts) => ts.length === 0, 60_000);
    const removed = await shoal(['network', 'rm', 'backend', 'nope']);
    assert.equal(removed.code, 1);
    assert.equal(removed.stdout, 'backend\n');
    assert.equal(removed.stderr.trim(), 'Error: No such network: nope');
    assert.deepEqual(await names(), ['ingress']);
  });

  await t.test(
    'the stock docker CLI manages them too',
    { skip: dockerCliAvailable() ? false : 'no docker CLI' },
    async () => {
      const docker = new DockerCli();
      const id = (
        await docker.ok(manager, [
          'network',
          'create',
          '-d',
          'overlay',
          '--subnet',
          '10.99.0.0/24',
          'viadocker',
        ])
      ).trim();
      assert.match(id, /^[0-9a-z]{25}$/);
      const listed = await docker.ok(manager, [
        'network',
        'ls',
        '--filter',
        'name=viadocker',
        '--format',
        '{{.Name}} {{.Driver}} {{.Scope}}',
      ]);
      assert.equal(listed.trim(), 'viadocker overlay swarm');
      const subnet = await docker.ok(manager, [
        'network',
        'inspect',
        '--format',
        '{{(index .IPAM.Config 0).Subnet}}',
        'viadocker',
      ]);
      assert.equal(subnet.trim(), '10.99.0.0/24');
      const clash = await docker.run(manager, [
        'network',
        'create',
        '-d',
        'overlay',
        '--subnet',
        '10.99.0.0/16',
        'clash',
      ]);
      assert.notEqual(clash.code, 0);
      assert.match(clash.stderr, /Pool overlaps with other one on this address space/);
      assert.equal((await docker.ok(manager, ['network', 'rm', 'viadocker'])).trim(), 'viadocker');
      assert.deepEqual(await names(), ['ingress']);
    },
  );

  await t.test('a worker lists no swarm networks and cannot change them', async () => {
    const listed = await cluster.ok(worker, ['network', 'ls', '-q']);
    assert.equal(listed, '');
    const created = await cluster.cli(worker, ['network', 'create', 'fromworker']);
    assert.equal(created.code, 1);
    assert.match(created.stderr, /This node is not a swarm manager/);
  });
});
