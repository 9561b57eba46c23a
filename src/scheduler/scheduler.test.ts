// Strategies, placement preferences and batching through schedule().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlacementPreferenceError } from './errors.ts';
import { isSupportedSpreadDescriptor, parsePlacementPreference } from './preferences.ts';
import { randomIndex } from './strategies.ts';
import {
  CPU,
  countByNode,
  GIB,
  node,
  reasons,
  run,
  seededRandom,
  task,
  tasks,
} from './test-support.ts';

const spread = (SpreadDescriptor: string) => ({ Spread: { SpreadDescriptor } });

test('spread: fewest tasks of the service first, evening out existing tasks', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const placed = [
    task('web.0', 'web', { nodeId: 'a' }),
    task('web.00', 'web', { nodeId: 'a' }),
    task('web.000', 'web', { nodeId: 'b' }),
  ];
  const decisions = run({ nodes, placed, pending: tasks('web', 6) });
  assert.deepEqual(countByNode(decisions), { a: 1, b: 2, c: 3 }, '3 tasks of web on each');
});

test('spread: ties on the service broken by fewest tasks in all, then node ID', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const placed = [task('db.1', 'db', { nodeId: 'a' }), task('db.2', 'db', { nodeId: 'b' })];
  const one = run({ nodes, placed, pending: tasks('web', 1) });
  assert.deepEqual(countByNode(one), { c: 1 });
  const two = run({ nodes, placed, pending: tasks('web', 2) });
  assert.deepEqual(countByNode(two), { a: 1, c: 1 }, 'then a, the smallest ID among a and b');
  const none = run({ nodes, pending: tasks('web', 1) });
  assert.deepEqual(countByNode(none), { a: 1 });
});

test('spread ignores tasks whose desired state is past running', () => {
  const nodes = [node('a'), node('b')];
  const placed = [
    task('web.0', 'web', { nodeId: 'a', desired: 'shutdown' }),
    task('web.00', 'web', { nodeId: 'b' }),
  ];
  assert.deepEqual(countByNode(run({ nodes, placed, pending: tasks('web', 1) })), { a: 1 });
});

test('binpack fills one node before the next', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const placement = { Strategy: 'binpack' as const };
  const free = run({ nodes, pending: tasks('web', 5, { placement }) });
  assert.deepEqual(countByNode(free), { a: 5 }, 'nothing reserved: where most tasks are');
  const placed = [task('db.1', 'db', { nodeId: 'b' })];
  const onTop = run({ nodes, placed, pending: tasks('web', 3, { placement }) });
  assert.deepEqual(countByNode(onTop), { b: 3 });
  // With reservations: the most loaded node that still fits, then the next.
  const sized = run({
    nodes,
    placed: [task('db.1', 'db', { nodeId: 'c', nanoCpus: 1 * CPU })],
    pending: tasks('web', 5, { placement, nanoCpus: 1 * CPU }),
  });
  assert.deepEqual(countByNode(sized), { c: 3, a: 2 });
});

test('binpack weighs CPU and memory relative to each node', () => {
  const nodes = [
    node('big', { nanoCpus: 16 * CPU, memoryBytes: 64 * GIB }),
    node('small', { nanoCpus: 2 * CPU, memoryBytes: 4 * GIB }),
  ];
  const decisions = run({
    nodes,
    pending: tasks('web', 3, {
      placement: { Strategy: 'binpack' },
      nanoCpus: 0.5 * CPU,
      memoryBytes: 1 * GIB,
    }),
  });
  assert.deepEqual(countByNode(decisions), { small: 3 }, 'the small node fills up first');
});

test('random: reproducible for a seed, and spread over every eligible node', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id));
  const nodesPlusDrained = [...nodes, node('e', { availability: 'drain' })];
  const pending = tasks('web', 400, { placement: { Strategy: 'random' } });
  const first = run({ nodes: nodesPlusDrained, pending, random: seededRandom(7) });
  const again = run({ nodes: nodesPlusDrained, pending, random: seededRandom(7) });
  const other = run({ nodes: nodesPlusDrained, pending, random: seededRandom(8) });
  assert.deepEqual(first, again);
  assert.notDeepEqual(first.placed, other.placed);
  const counts = countByNode(first);
  assert.deepEqual(Object.keys(counts).sort(), ['a', 'b', 'c', 'd']);
  for (const count of Object.values(counts)) assert.ok(count > 60 && count < 140, `${count}`);
});

test('random refuses a generator outside [0, 1)', () => {
  assert.throws(() => randomIndex(() => 1, 3), RangeError);
  assert.throws(() => randomIndex(() => Number.NaN, 3), RangeError);
  assert.equal(
    randomIndex(() => 0.999999, 3),
    2,
  );
  assert.equal(
    randomIndex(() => 0, 3),
    0,
  );
});

test('preferences: even split over label values, nodes without the label as one group', () => {
  const nodes = [
    node('east1', { labels: { dc: 'east' } }),
    node('east2', { labels: { dc: 'east' } }),
    node('east3', { labels: { dc: 'east' } }),
    node('west1', { labels: { dc: 'west' } }),
    node('nolabel1'),
    node('nolabel2'),
  ];
  const decisions = run({
    nodes,
    pending: tasks('web', 9, { placement: { Preferences: [spread('node.labels.dc')] } }),
  });
  const counts = countByNode(decisions);
  const group = (prefix: string) =>
    Object.entries(counts)
      .filter(([id]) => id.startsWith(prefix))
      .reduce((sum, [, count]) => sum + count, 0);
  assert.equal(group('east'), 3);
  assert.equal(group('west'), 3);
  assert.equal(group('nolabel'), 3);
  assert.equal(counts.west1, 3);
  assert.deepEqual([counts.east1, counts.east2, counts.east3], [1, 1, 1], 'spread inside');
});

test('preferences count the tasks already in each group', () => {
  const nodes = [node('a', { labels: { dc: 'x' } }), node('b', { labels: { dc: 'y' } })];
  const placement = { Preferences: [spread('node.labels.dc')] };
  const placed = [
    task('web.0', 'web', { nodeId: 'a', placement }),
    task('web.00', 'web', { nodeId: 'a', placement }),
    task('web.000', 'web', { nodeId: 'a', placement }),
  ];
  const decisions = run({ nodes, placed, pending: tasks('web', 5, { placement }) });
  assert.deepEqual(countByNode(decisions), { b: 4, a: 1 }, '4 and 4 in the end');
});

test('preferences: a group without room hands its share to the others', () => {
  const nodes = [
    node('x1', { labels: { dc: 'x' }, memoryBytes: 1 * GIB }),
    node('y1', { labels: { dc: 'y' } }),
    node('z1', { labels: { dc: 'z' }, availability: 'drain' }),
  ];
  const decisions = run({
    nodes,
    pending: tasks('web', 6, {
      memoryBytes: 1 * GIB,
      placement: { Preferences: [spread('node.labels.dc')] },
    }),
  });
  assert.deepEqual(countByNode(decisions), { x1: 1, y1: 5 });
  assert.deepEqual(decisions.unplaced, []);
});

test('nested preferences spread over the first descriptor, then the second', () => {
  const nodes = [
    node('e-r1-a', { labels: { dc: 'east', rack: 'r1' } }),
    node('e-r1-b', { labels: { dc: 'east', rack: 'r1' } }),
    node('e-r2-a', { labels: { dc: 'east', rack: 'r2' } }),
    node('w-r1-a', { labels: { dc: 'west', rack: 'r1' } }),
  ];
  const decisions = run({
    nodes,
    pending: tasks('web', 8, {
      placement: { Preferences: [spread('node.labels.dc'), spread('node.labels.rack')] },
    }),
  });
  assert.deepEqual(countByNode(decisions), {
    'w-r1-a': 4,
    'e-r2-a': 2,
    'e-r1-a': 1,
    'e-r1-b': 1,
  });
});

test('preferences over engine labels and node fields; unknown descriptors ignored', () => {
  const nodes = [
    node('a', { engineLabels: { storage: 'ssd' }, arch: 'aarch64' }),
    node('b', { engineLabels: { storage: 'ssd' }, arch: 'aarch64' }),
    node('c', { engineLabels: { storage: 'hdd' }, arch: 'x86_64' }),
  ];
  const byEngine = run({
    nodes,
    pending: tasks('web', 4, { placement: { Preferences: [spread('engine.labels.storage')] } }),
  });
  assert.deepEqual(countByNode(byEngine), { c: 2, a: 1, b: 1 });
  const byArch = run({
    nodes,
    pending: tasks('web', 4, { placement: { Preferences: [spread('node.platform.arch')] } }),
  });
  assert.deepEqual(countByNode(byArch), { c: 2, a: 1, b: 1 });
  const ignored = run({
    nodes,
    pending: tasks('web', 3, { placement: { Preferences: [spread('node.color')] } }),
  });
  assert.deepEqual(countByNode(ignored), { a: 1, b: 1, c: 1 }, 'plain spread');
  assert.ok(isSupportedSpreadDescriptor('node.labels.dc'));
  assert.ok(isSupportedSpreadDescriptor('Engine.Labels.x'));
  assert.ok(isSupportedSpreadDescriptor('node.hostname'));
  assert.ok(!isSupportedSpreadDescriptor('node.labels.'));
  assert.ok(!isSupportedSpreadDescriptor('node.color'));
});

test('preferences with another strategy inside the leaves', () => {
  const nodes = [
    node('x1', { labels: { dc: 'x' } }),
    node('x2', { labels: { dc: 'x' } }),
    node('y1', { labels: { dc: 'y' } }),
    node('y2', { labels: { dc: 'y' } }),
  ];
  const decisions = run({
    nodes,
    pending: tasks('web', 6, {
      placement: { Preferences: [spread('node.labels.dc')], Strategy: 'binpack' },
    }),
  });
  assert.deepEqual(countByNode(decisions), { x1: 3, y1: 3 });
});

test('parsePlacementPreference takes the docker CLI syntax and its messages', () => {
  assert.deepEqual(parsePlacementPreference('spread=node.labels.dc'), spread('node.labels.dc'));
  const message = (value: string) => {
    try {
      parsePlacementPreference(value);
    } catch (error) {
      assert.ok(error instanceof PlacementPreferenceError);
      return error.message;
    }
    return 'parsed';
  };
  assert.equal(message('spread'), 'placement preference must be of the format "<strategy>=<arg>"');
  assert.equal(
    message('spread=a=b'),
    'placement preference must be of the format "<strategy>=<arg>"',
  );
  assert.equal(
    message('binpack=node.labels.dc'),
    'unsupported placement preference binpack (only spread is supported)',
  );
});

test('a batch sees its own placements: ports, counts and reservations carry over groups', () => {
  const nodes = [node('a', { memoryBytes: 2 * GIB }), node('b', { memoryBytes: 2 * GIB })];
  const decisions = run({
    nodes,
    pending: [
      ...tasks('web', 2, { memoryBytes: 1 * GIB }),
      ...tasks('api', 3, { memoryBytes: 1 * GIB }),
    ],
  });
  assert.deepEqual(countByNode(decisions), { a: 2, b: 2 });
  assert.deepEqual(
    decisions.placed.map((p) => p.taskId),
    ['web.1', 'web.2', 'api.1', 'api.2'],
  );
  assert.deepEqual(reasons(decisions), ['no suitable node (insufficient resources on 2 nodes)']);
});

test('tasks of one service group by spec version; versions without it go one by one', () => {
  const nodes = [node('a'), node('b')];
  const pending = [
    task('web.1', 'web', { specVersion: 2, placement: { Constraints: ['node.id==a'] } }),
    task('web.2', 'web', { specVersion: 3, placement: { Constraints: ['node.id==b'] } }),
    task('web.3', 'web', { specVersion: 2, placement: { Constraints: ['node.id==a'] } }),
    task('web.4', 'web', { specVersion: null, placement: { Constraints: ['node.id==b'] } }),
  ];
  const decisions = run({ nodes, pending });
  assert.deepEqual(decisions.placed, [
    { taskId: 'web.1', nodeId: 'a' },
    { taskId: 'web.2', nodeId: 'b' },
    { taskId: 'web.3', nodeId: 'a' },
    { taskId: 'web.4', nodeId: 'b' },
  ]);
});

test('decisions come in pending order and are the same for the same input', () => {
  const nodes = [node('a', { memoryBytes: 1 * GIB }), node('b')];
  const pending = [
    task('x.1', 'x', { memoryBytes: 4 * GIB }),
    task('y.1', 'y', { memoryBytes: 16 * GIB }),
    task('x.2', 'x', { memoryBytes: 4 * GIB }),
    task('x.3', 'x', { memoryBytes: 4 * GIB }),
  ];
  const decisions = run({ nodes, pending });
  assert.deepEqual(decisions, run({ nodes, pending }));
  assert.deepEqual(decisions.placed, [
    { taskId: 'x.1', nodeId: 'b' },
    { taskId: 'x.2', nodeId: 'b' },
  ]);
  assert.deepEqual(
    decisions.unplaced.map((u) => u.taskId),
    ['y.1', 'x.3'],
  );
});
