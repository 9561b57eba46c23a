import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import type { Network, Service, Task } from '../store/index.ts';
import { waitFor } from '../testkit/index.ts';
import { NodeMesh } from './mesh.ts';
import { parseProxyHeaderV2, proxyHeaderV2 } from './proxy-protocol.ts';
import { buildMeshTable, parseMeshTable } from './table.ts';
import type { TunnelClient } from './tunnel-client.ts';

const noTunnel = { retain: () => {}, closeAll: () => {} } as unknown as TunnelClient;

function task(id: string, node: string, state: Task['Status']['State'], desired = 'running'): Task {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    Labels: {},
    Spec: {},
    ServiceID: 'svc',
    NodeID: node,
    Status: { Timestamp: '', State: state, Message: '' },
    DesiredState: desired as Task['DesiredState'],
  };
}

const service = {
  ID: 'svc',
  Spec: { Name: 'web' },
  Endpoint: {
    Ports: [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 22, PublishedPort: 2222, PublishMode: 'host' },
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353 },
    ],
  },
} as unknown as Service;

test('the table holds ingress ports and the tasks in rotation only', () => {
  const table = buildMeshTable(
    [service],
    [
      task('b', 'n2', 'running'),
      task('a', 'n1', 'running'),
      task('c', 'n1', 'starting'),
      task('d', 'n1', 'running', 'shutdown'),
      task('e', 'n3', 'running'),
    ],
    (node) => (node === 'n3' ? undefined : `${node}:2377`),
  );
  assert.deepEqual(table, {
    services: [
      {
        id: 'svc',
        name: 'web',
        ports: [
          { protocol: 'tcp', published: 8080, target: 80 },
          { protocol: 'udp', published: 5353, target: 53 },
        ],
        backends: [
          { task: 'a', node: 'n1', addr: 'n1:2377' },
          { task: 'b', node: 'n2', addr: 'n2:2377' },
        ],
      },
    ],
  });
  assert.deepEqual(parseMeshTable(Buffer.from(JSON.stringify(table))), table);
  assert.equal(parseMeshTable(Buffer.alloc(0)), null);
  assert.throws(
    () => parseMeshTable(Buffer.from('{"services":[{"id":"x","name":"y","ports":[{}]}]}')),
    /needs id, name, ports and backends|bad mesh port/,
  );
});

test('services on networks carry their VIPs, names, targets and task addresses', () => {
  const networks = [
    { ID: 'ing', Spec: { Name: 'ingress', Ingress: true }, IPAMOptions: { Configs: [] } },
    {
      ID: 'net1',
      Spec: { Name: 'backend' },
      IPAMOptions: { Configs: [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }] },
    },
  ] as unknown as Network[];
  const db = {
    ID: 'db',
    Spec: {
      Name: 'DB',
      TaskTemplate: { Networks: [{ Target: 'net1', Aliases: ['mysql'] }] },
    },
    Endpoint: {
      Ports: [{ Protocol: 'udp', TargetPort: 53 }],
      VirtualIPs: [{ NetworkID: 'net1', Addr: '10.0.1.2/24' }],
    },
  } as unknown as Service;
  const running = {
    ...task('t1', 'n1', 'running'),
    ServiceID: 'db',
    Status: { Timestamp: '', State: 'running' as const, Message: '', ExposedPorts: ['3306/tcp'] },
    NetworksAttachments: [{ Network: networks[1]!, Addresses: ['10.0.1.5/24'] }],
  } as Task;
  const table = buildMeshTable([db], [running], () => 'n1:2377', networks);
  assert.deepEqual(table.networks, [
    { id: 'net1', name: 'backend', subnet: '10.0.1.0/24', gateway: '10.0.1.1' },
  ]);
  assert.deepEqual(table.services[0], {
    id: 'db',
    name: 'DB',
    ports: [],
    backends: [{ task: 't1', node: 'n1', addr: 'n1:2377', ips: { net1: '10.0.1.5' } }],
    mode: 'vip',
    targets: [
      { protocol: 'udp', port: 53 },
      { protocol: 'tcp', port: 3306 },
    ],
    names: { net1: ['db', 'mysql'] },
    vips: { net1: '10.0.1.2' },
  });
});

test('PROXY v2 headers round-trip for IPv4 and IPv6', () => {
  const v4 = {
    protocol: 'tcp' as const,
    sourceAddress: '10.1.2.3',
    sourcePort: 51000,
    destinationAddress: '::ffff:10.9.8.7',
    destinationPort: 8080,
  };
  const header = proxyHeaderV2(v4);
  assert.equal(header.length, 28);
  assert.deepEqual(parseProxyHeaderV2(Buffer.concat([header, Buffer.from('GET')])), {
    length: 28,
    addresses: { ...v4, destinationAddress: '10.9.8.7' },
  });
  const v6 = proxyHeaderV2({
    protocol: 'udp',
    sourceAddress: 'fd00::1',
    sourcePort: 1,
    destinationAddress: '::1',
    destinationPort: 2,
  });
  const parsed = parseProxyHeaderV2(v6)!;
  assert.equal(parsed.length, 52);
  assert.equal(parsed.addresses.sourceAddress, 'fd00:0:0:0:0:0:0:1');
  assert.equal(parsed.addresses.protocol, 'udp');
});

test('picks go round robin, skip what was tried, and never a draining task', async () => {
  const mesh = new NodeMesh({
    nodeId: 'n1',
    ingressHost: '127.0.0.1',
    local: { endpoint: () => 'none' },
    tunnel: noTunnel,
    log: () => {},
  });
  const backends = ['a', 'b', 'c'].map((id) => ({ task: id, node: 'n1', addr: 'x' }));
  mesh.setTable({ services: [{ id: 'svc', name: 'web', ports: [], backends }] });
  const picks = Array.from({ length: 6 }, () => mesh.pick('svc', 80, new Set())?.task);
  assert.deepEqual(picks, ['a', 'b', 'c', 'a', 'b', 'c']);
  assert.equal(mesh.pick('svc', 80, new Set(['a', 'b']))?.task, 'c');
  await mesh.drain('b', 1000); // nothing open to it: at once
  const after = Array.from({ length: 4 }, () => mesh.pick('svc', 80, new Set())?.task);
  assert.ok(!after.includes('b'));
  assert.equal(mesh.pick('svc', 80, new Set(['a', 'c'])), undefined);
  mesh.stop();
});

test('draining waits for open connections to close, within the grace period', async () => {
  let server: Server | null = null;
  const port = await new Promise<number>((resolve) => {
    server = createServer((socket) => socket.on('data', () => {}));
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server!.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  const mesh = new NodeMesh({
    nodeId: 'n1',
    ingressHost: '127.0.0.1',
    local: { endpoint: () => ({ host: '127.0.0.1', port }) },
    tunnel: noTunnel,
    log: () => {},
  });
  const socket = await mesh.dialLocal('t1', 80);
  assert.equal(mesh.connectionsTo('t1'), 1);
  let drained = false;
  const draining = mesh.drain('t1', 10_000).then(() => {
    drained = true;
  });
  await assert.rejects(mesh.dialLocal('t1', 80), /draining/);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(drained, false);
  socket.destroy();
  await draining;
  assert.equal(mesh.connectionsTo('t1'), 0);
  // With a connection that stays open, the grace period ends the wait.
  const lingering = await new NodeMesh({
    nodeId: 'n1',
    ingressHost: '127.0.0.1',
    local: { endpoint: () => ({ host: '127.0.0.1', port }) },
    tunnel: noTunnel,
    log: () => {},
  });
  const open = await lingering.dialLocal('t2', 80);
  await lingering.drain('t2', 50);
  assert.equal(lingering.connectionsTo('t2'), 1);
  open.destroy();
  mesh.stop();
  lingering.stop();
  (server as Server | null)?.close();
});

test('a published port held by another process is reported, and opened once it is free', async () => {
  const squatter = createServer();
  const port = await new Promise<number>((resolve) => {
    squatter.listen({ host: '127.0.0.1', port: 0 }, () => {
      resolve((squatter.address() as { port: number }).port);
    });
  });
  const reports: string[][] = [];
  const mesh = new NodeMesh({
    nodeId: 'n1',
    ingressHost: '127.0.0.1',
    local: { endpoint: () => ({ host: '127.0.0.1', port: 1 }) },
    tunnel: noTunnel,
    onPortProblems: (problems) => reports.push(problems.map((p) => p.error)),
    portRetryMs: 20,
    log: () => {},
  });
  mesh.setTable({
    services: [
      {
        id: 'svc',
        name: 'web',
        ports: [{ protocol: 'tcp', published: port, target: 80 }],
        backends: [],
      },
    ],
  });
  await waitFor('the conflict to be reported', 5_000, async () =>
    mesh.portProblems().length === 1 ? true : undefined,
  );
  assert.match(
    mesh.portProblems()[0]!.error,
    new RegExp(`${port}/tcp of service web is already in use`),
  );
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  await waitFor('the port to open once free', 5_000, async () =>
    mesh.portProblems().length === 0 ? true : undefined,
  );
  assert.deepEqual(reports.at(-1), []);
  // The mesh holds the port now.
  const again = createServer();
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen({ host: '127.0.0.1', port }, resolve);
    }),
    /EADDRINUSE/,
  );
  mesh.stop();
});
