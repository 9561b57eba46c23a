// Each filter, alone and together, through schedule(), with swarmkit's messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeArchitecture, platformMatches } from './filters.ts';
import { schedule } from './scheduler.ts';
import { CPU, countByNode, GIB, node, reasons, run, service, task, tasks } from './test-support.ts';

test('drained, paused, down and disconnected nodes get no new tasks', () => {
  const decisions = run({
    nodes: [
      node('drained', { availability: 'drain' }),
      node('paused', { availability: 'pause' }),
      node('down', { state: 'down' }),
      node('gone', { state: 'disconnected' }),
      node('ok'),
    ],
    pending: tasks('web', 3),
  });
  assert.deepEqual(countByNode(decisions), { ok: 3 });
  assert.deepEqual(decisions.unplaced, []);
});

test('no ready node: "N nodes not available for new tasks", singular for one', () => {
  const one = run({ nodes: [node('a', { availability: 'drain' })], pending: tasks('web', 1) });
  assert.deepEqual(reasons(one), ['no suitable node (1 node not available for new tasks)']);
  const three = run({
    nodes: [node('a', { state: 'down' }), node('b', { availability: 'pause' }), node('c')],
    pending: [task('t', 'web', { placement: { Constraints: ['node.id==a'] } })],
  });
  assert.deepEqual(reasons(three), [
    'no suitable node (2 nodes not available for new tasks; ' +
      'scheduling constraints not satisfied on 1 node)',
  ]);
});

test('no nodes at all: the bare "no suitable node"', () => {
  const decisions = run({ nodes: [], pending: tasks('web', 2) });
  assert.deepEqual(decisions.placed, []);
  assert.deepEqual(reasons(decisions), ['no suitable node']);
  assert.equal(decisions.unplaced.length, 2);
});

test('runtime: a docker task never lands on an exec-only node', () => {
  const nodes = [
    node('exec-only', { runtimes: ['exec'] }),
    node('no-plugins', { runtimes: [] }),
    node('docker', { runtimes: ['docker'] }),
  ];
  const docker = run({ nodes, pending: tasks('web', 4) });
  assert.deepEqual(countByNode(docker), { docker: 4 });
  const exec = run({ nodes, pending: tasks('job', 3, { image: 'exec:/usr/bin/backup' }) });
  assert.deepEqual(countByNode(exec), { 'exec-only': 2, 'no-plugins': 1 }, 'spread over exec');
  const none = run({ nodes: nodes.slice(0, 2), pending: tasks('web', 1) });
  assert.deepEqual(reasons(none), ['no suitable node (docker runtime not available on 2 nodes)']);
  const execNone = run({ nodes: [nodes[2]!], pending: tasks('job', 1, { image: 'exec:x' }) });
  assert.deepEqual(reasons(execNone), ['no suitable node (exec runtime not available on 1 node)']);
});

test('resources: reservations are checked against what placed tasks left', () => {
  const nodes = [node('small', { nanoCpus: 1 * CPU, memoryBytes: 1 * GIB }), node('big')];
  const placed = [task('old', 'other', { nodeId: 'big', nanoCpus: 3.5 * CPU })];
  const decisions = run({ nodes, placed, pending: tasks('web', 1, { nanoCpus: 1 * CPU }) });
  assert.deepEqual(countByNode(decisions), { small: 1 }, 'big has only 0.5 CPU left');
  const tooBig = run({ nodes, placed, pending: tasks('web', 1, { memoryBytes: 9 * GIB }) });
  assert.deepEqual(reasons(tooBig), ['no suitable node (insufficient resources on 2 nodes)']);
  const oneNode = run({ nodes: [nodes[0]!], pending: tasks('web', 1, { nanoCpus: 2 * CPU }) });
  assert.deepEqual(reasons(oneNode), ['no suitable node (insufficient resources on 1 node)']);
});

test('resource exhaustion mid-batch leaves the rest unplaced with the reason', () => {
  const nodes = [node('a', { memoryBytes: 2 * GIB }), node('b', { memoryBytes: 3 * GIB })];
  const decisions = run({ nodes, pending: tasks('web', 8, { memoryBytes: 1 * GIB }) });
  assert.deepEqual(countByNode(decisions), { a: 2, b: 3 });
  assert.equal(decisions.unplaced.length, 3);
  assert.deepEqual(
    decisions.unplaced.map((u) => u.taskId),
    ['web.6', 'web.7', 'web.8'],
    'the first tasks in pending order get the room',
  );
  assert.deepEqual(reasons(decisions), ['no suitable node (insufficient resources on 2 nodes)']);
});

test('generic resources: discrete counts, named sets, claimed across the batch', () => {
  const gpuNode = node('gpu', { generic: { gpu: 2 } });
  const named = node('named');
  named.Description.Resources.GenericResources = [
    { NamedResourceSpec: { Kind: 'gpu', Value: 'uuid-1' } },
    { NamedResourceSpec: { Kind: 'gpu', Value: 'uuid-2' } },
    { NamedResourceSpec: { Kind: 'gpu', Value: 'uuid-3' } },
  ];
  const decisions = run({
    nodes: [gpuNode, named, node('plain')],
    pending: tasks('ml', 6, { generic: { gpu: 1 } }),
  });
  assert.deepEqual(countByNode(decisions), { gpu: 2, named: 3 });
  assert.deepEqual(reasons(decisions), ['no suitable node (insufficient resources on 3 nodes)']);
  // A task may not ask for a named resource (swarmkit's HasEnough refuses it).
  const namedAsk = task('t', 'ml');
  namedAsk.Spec.Resources = {
    Reservations: { GenericResources: [{ NamedResourceSpec: { Kind: 'gpu', Value: 'uuid-1' } }] },
  };
  assert.deepEqual(reasons(run({ nodes: [named], pending: [namedAsk] })), [
    'no suitable node (insufficient resources on 1 node)',
  ]);
});

test('constraints: "scheduling constraints not satisfied on N nodes"', () => {
  const nodes = [
    node('m1', { role: 'manager' }),
    node('w1', { labels: { zone: 'east' } }),
    node('w2', { labels: { zone: 'west' } }),
  ];
  const east = run({
    nodes,
    pending: tasks('web', 2, { placement: { Constraints: ['node.labels.zone==east'] } }),
  });
  assert.deepEqual(countByNode(east), { w1: 2 });
  const nowhere = run({
    nodes,
    pending: tasks('web', 1, { placement: { Constraints: ['node.labels.zone==north'] } }),
  });
  assert.deepEqual(reasons(nowhere), [
    'no suitable node (scheduling constraints not satisfied on 3 nodes)',
  ]);
});

test('platform: Placement.Platforms with architecture names folded', () => {
  const nodes = [
    node('pc', { arch: 'x86_64' }),
    node('pi4', { arch: 'aarch64' }),
    node('pi3', { arch: 'armv7l' }),
    node('win', { arch: 'x86_64', os: 'windows' }),
  ];
  const platforms = (Platforms: { Architecture?: string; OS?: string }[]) =>
    run({ nodes, pending: tasks('web', 4, { placement: { Platforms } }) });
  assert.deepEqual(countByNode(platforms([{ Architecture: 'amd64', OS: 'linux' }])), { pc: 4 });
  assert.deepEqual(countByNode(platforms([{ Architecture: 'arm64' }, { Architecture: 'arm' }])), {
    pi4: 2,
    pi3: 2,
  });
  assert.deepEqual(countByNode(platforms([{ OS: 'windows' }])), { win: 4 });
  assert.deepEqual(reasons(platforms([{ Architecture: 's390x', OS: 'linux' }])), [
    'no suitable node (unsupported platform on 4 nodes)',
  ]);
  assert.equal(normalizeArchitecture('x86_64'), 'amd64');
  assert.equal(normalizeArchitecture('aarch64'), 'arm64');
  assert.equal(normalizeArchitecture('riscv64'), 'riscv64');
  assert.ok(platformMatches({}, { Architecture: 'x', OS: 'y' }), 'empty wanted matches all');
  assert.ok(!platformMatches({ OS: 'Linux' }, { Architecture: 'amd64', OS: 'linux' }));
});

test('host-mode ports: one task per node per published port, placed tasks included', () => {
  const web = service('web', { hostPorts: [8080] });
  const nodes = [node('a'), node('b'), node('c')];
  const placed = [task('web.0', 'web', { nodeId: 'a' })];
  const decisions = run({ nodes, placed, services: [web], pending: tasks('web', 3) });
  assert.deepEqual(countByNode(decisions), { b: 1, c: 1 });
  assert.deepEqual(reasons(decisions), [
    'no suitable node (host-mode port already in use on 3 nodes)',
  ]);
  // Another service's task holding the port, known from its PortStatus only.
  const other = task('db.1', 'db', { nodeId: 'b' });
  other.Status.PortStatus = {
    Ports: [{ Protocol: 'tcp', TargetPort: 5432, PublishedPort: 8080, PublishMode: 'host' }],
  };
  const one = run({
    nodes: [node('b')],
    placed: [other],
    services: [web],
    pending: tasks('web', 1),
  });
  assert.deepEqual(reasons(one), ['no suitable node (host-mode port already in use on 1 node)']);
  // The same number on another protocol, or in ingress mode, does not conflict.
  const udp = service('dns', {
    ports: [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 8080, PublishMode: 'host' }],
  });
  const ingress = service('lb', {
    ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
  });
  const mixed = run({
    nodes: [node('b')],
    placed: [task('web.0', 'web', { nodeId: 'b' })],
    services: [web, udp, ingress],
    pending: [task('dns.1', 'dns'), task('lb.1', 'lb')],
  });
  assert.deepEqual(countByNode(mixed), { b: 2 });
});

test('max replicas per node: the limit counts placed and new tasks of the service', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const placement = { MaxReplicas: 2 };
  const placed = [task('web.0', 'web', { nodeId: 'a', placement })];
  const decisions = run({ nodes, placed, pending: tasks('web', 7, { placement }) });
  assert.deepEqual(countByNode(decisions), { a: 1, b: 2, c: 2 });
  assert.deepEqual(reasons(decisions), ['no suitable node (max replicas per node limit exceed)']);
  const binpack = run({
    nodes,
    pending: tasks('web', 5, { placement: { MaxReplicas: 2, Strategy: 'binpack' } }),
  });
  assert.deepEqual(countByNode(binpack), { a: 2, b: 2, c: 1 });
});

test('the aggregate message: most failures first, ties in pipeline order, "; " between', () => {
  const nodes = [
    node('drained', { availability: 'drain' }),
    node('down', { state: 'down' }),
    node('small', { memoryBytes: 1 * GIB }),
    node('windows', { os: 'windows' }),
    node('busy'),
    node('east', { labels: { zone: 'east' } }),
  ];
  const web = service('web', { hostPorts: [443] });
  const decisions = run({
    nodes,
    services: [web],
    placed: [task('web.0', 'web', { nodeId: 'busy' })],
    pending: tasks('web', 1, {
      memoryBytes: 2 * GIB,
      placement: { Constraints: ['node.labels.zone!=east'], Platforms: [{ OS: 'linux' }] },
    }),
  });
  assert.deepEqual(reasons(decisions), [
    'no suitable node (2 nodes not available for new tasks; insufficient resources on 1 node; ' +
      'scheduling constraints not satisfied on 1 node; unsupported platform on 1 node; ' +
      'host-mode port already in use on 1 node)',
  ]);
});

test('a task coming with its node is only checked against that node', () => {
  const nodes = [node('a', { memoryBytes: 1 * GIB }), node('b')];
  const fits = task('g.b', 'g', { memoryBytes: 1 * GIB });
  fits.NodeID = 'b';
  fits.Status.State = 'pending';
  const tooBig = task('g.a', 'g', { memoryBytes: 2 * GIB });
  tooBig.NodeID = 'a';
  tooBig.Status.State = 'pending';
  const lost = task('g.x', 'g');
  lost.NodeID = 'x';
  const decisions = run({ nodes, pending: [fits, tooBig, lost] });
  assert.deepEqual(decisions.placed, [{ taskId: 'g.b', nodeId: 'b' }]);
  assert.deepEqual(decisions.unplaced, [
    { taskId: 'g.a', reason: 'insufficient resources on 1 node' },
    { taskId: 'g.x', reason: 'node x not found' },
  ]);
});

test('tasks of a service missing from the input are left unplaced', () => {
  const decisions = schedule({
    nodes: [node('a')],
    placed: [],
    pending: tasks('web', 2),
    services: new Map(),
    random: Math.random,
  });
  assert.deepEqual(decisions.placed, []);
  assert.deepEqual(reasons(decisions), ['service web not found']);
});

test('malformed input is refused, not scheduled', () => {
  const input = { placed: [], services: new Map(), random: () => 0 };
  assert.throws(
    () => schedule({ ...input, nodes: [node('a'), node('a')], pending: [] }),
    /node a listed twice/,
  );
  assert.throws(
    () => schedule({ ...input, nodes: [], pending: [task('t', 's'), task('t', 's')] }),
    /task t pending twice/,
  );
  assert.throws(
    () => schedule({ ...input, nodes: [], placed: [task('t', 's')], pending: [task('t', 's')] }),
    /both pending and placed/,
  );
});
