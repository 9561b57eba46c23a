// Property test: random clusters and services (seeded), checked against an oracle written
// independently of the filters: no task lands on a node that fails a filter, no node is
// over-reserved, no host port is held twice, no MaxReplicas limit is passed, and a task is left
// unplaced only when, in the end, no node could take it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Service, Task } from '../store/index.ts';
import { schedule } from './scheduler.ts';
import { CPU, GIB, node, seededRandom, service, task } from './test-support.ts';
import type { ScheduleDecisions } from './types.ts';

const RUNS = 300;

interface ServiceModel {
  service: Service;
  image: string;
  nanoCpus: number;
  memoryBytes: number;
  gpus: number;
  hostPorts: number[];
  maxReplicas: number;
  constraints: string[];
  architectures: string[];
}

interface NodeState {
  node: Node;
  nanoCpus: number;
  memoryBytes: number;
  gpus: number;
  ports: Set<number>;
  byService: Map<string, number>;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomNode(random: () => number, index: number): Node {
  const roll = random();
  return node(`n${String(index).padStart(2, '0')}`, {
    state: roll < 0.8 ? 'ready' : pick(random, ['down', 'unknown', 'disconnected'] as const),
    availability: random() < 0.8 ? 'active' : pick(random, ['pause', 'drain'] as const),
    role: random() < 0.3 ? 'manager' : 'worker',
    labels: random() < 0.75 ? { zone: pick(random, ['a', 'b', 'c']) } : {},
    arch: pick(random, ['x86_64', 'aarch64', 'armv7l']),
    runtimes: pick(random, [['docker', 'exec'], ['docker'], ['exec'], []] as const).slice(),
    nanoCpus: (1 + Math.floor(random() * 8)) * CPU,
    memoryBytes: (1 + Math.floor(random() * 16)) * GIB,
    generic: random() < 0.3 ? { gpu: 1 + Math.floor(random() * 3) } : {},
  });
}

function randomService(random: () => number, index: number): ServiceModel {
  const id = `s${index}`;
  const hostPorts = random() < 0.3 ? [pick(random, [8080, 8081])] : [];
  const model: ServiceModel = {
    service: service(id, { hostPorts }),
    image: random() < 0.8 ? 'nginx' : 'exec:/bin/app',
    nanoCpus: random() < 0.5 ? Math.floor(random() * 3 * CPU) : 0,
    memoryBytes: random() < 0.5 ? Math.floor(random() * 6 * GIB) : 0,
    gpus: random() < 0.15 ? 1 : 0,
    hostPorts,
    maxReplicas: random() < 0.3 ? 1 + Math.floor(random() * 3) : 0,
    constraints: random() < 0.4 ? [pick(random, CONSTRAINT_POOL)] : [],
    architectures: random() < 0.2 ? [pick(random, ['amd64', 'arm64', 'arm'])] : [],
  };
  return model;
}

/** The constraints the generator uses, each with its meaning spelled out for the oracle. */
const CONSTRAINTS: Readonly<Record<string, (n: Node) => boolean>> = {
  'node.labels.zone==a': (n) => n.Spec.Labels.zone === 'a',
  'node.labels.zone!=b': (n) => n.Spec.Labels.zone !== 'b',
  'node.role!=manager': (n) => n.Spec.Role !== 'manager',
  'node.role==manager': (n) => n.Spec.Role === 'manager',
  'node.platform.arch==x86_64': (n) => n.Description.Platform.Architecture === 'x86_64',
};
const CONSTRAINT_POOL = Object.keys(CONSTRAINTS);

/** The architectures the generator uses, as image platforms name them. */
const GOARCH: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  armv7l: 'arm',
};

function taskOf(model: ServiceModel, id: string, random: () => number, nodeId?: string): Task {
  return task(id, model.service.ID, {
    nodeId,
    image: model.image,
    nanoCpus: model.nanoCpus,
    memoryBytes: model.memoryBytes,
    generic: model.gpus > 0 ? { gpu: model.gpus } : undefined,
    placement: {
      Constraints: model.constraints,
      MaxReplicas: model.maxReplicas,
      Platforms: model.architectures.map((Architecture) => ({ Architecture })),
      Strategy: pick(random, ['spread', 'binpack', 'random'] as const),
      Preferences:
        model.constraints.length === 0 && model.maxReplicas === 0
          ? [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }]
          : [],
    },
  });
}

/** Whether the resources, ports and replica limit of the node leave room for the task. */
function hasRoom(model: ServiceModel, state: NodeState): boolean {
  return (
    model.nanoCpus <= state.nanoCpus &&
    model.memoryBytes <= state.memoryBytes &&
    model.gpus <= state.gpus &&
    model.hostPorts.every((port) => !state.ports.has(port)) &&
    (model.maxReplicas === 0 || (state.byService.get(model.service.ID) ?? 0) < model.maxReplicas)
  );
}

/** Whether the node itself suits the task, whatever runs on it. */
function suits(model: ServiceModel, n: Node): boolean {
  const offered = (n.Description.Engine.Plugins ?? []).map((plugin) => plugin.Name);
  const runtime = model.image.startsWith('exec:') ? 'exec' : 'docker';
  const runtimeOk = offered.length === 0 ? runtime === 'exec' : offered.includes(runtime);
  const platformOk =
    model.architectures.length === 0 ||
    model.architectures.includes(GOARCH[n.Description.Platform.Architecture]!);
  return (
    n.Status.State === 'ready' &&
    n.Spec.Availability === 'active' &&
    runtimeOk &&
    model.constraints.every((constraint) => CONSTRAINTS[constraint]!(n)) &&
    platformOk
  );
}

function take(model: ServiceModel, state: NodeState): void {
  state.nanoCpus -= model.nanoCpus;
  state.memoryBytes -= model.memoryBytes;
  state.gpus -= model.gpus;
  for (const port of model.hostPorts) state.ports.add(port);
  state.byService.set(model.service.ID, (state.byService.get(model.service.ID) ?? 0) + 1);
}

function newState(n: Node): NodeState {
  const generic = n.Description.Resources.GenericResources ?? [];
  return {
    node: n,
    nanoCpus: n.Description.Resources.NanoCPUs,
    memoryBytes: n.Description.Resources.MemoryBytes,
    gpus: generic.reduce((sum, r) => sum + (r.DiscreteResourceSpec?.Value ?? 0), 0),
    ports: new Set(),
    byService: new Map(),
  };
}

function scenario(seed: number) {
  const random = seededRandom(seed);
  const nodes = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, i) =>
    randomNode(random, i),
  );
  const models = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) =>
    randomService(random, i),
  );
  const states = new Map(nodes.map((n) => [n.ID, newState(n)]));
  const placed: Task[] = [];
  for (let i = 0; i < Math.floor(random() * 20); i++) {
    const model = pick(random, models);
    const state = states.get(pick(random, nodes).ID)!;
    if (!hasRoom(model, state)) continue;
    take(model, state);
    placed.push(taskOf(model, `p${i}`, random, state.node.ID));
  }
  const pending: Task[] = [];
  for (let i = 0; i < Math.floor(random() * 30); i++) {
    const model = pick(random, models);
    pending.push(taskOf(model, `t${i}`, random));
  }
  // Tasks of one service share one spec (that is what a group means).
  for (const t of pending) {
    const first = pending.find((other) => other.ServiceID === t.ServiceID)!;
    t.Spec = first.Spec;
  }
  // Shuffle the node list: the scheduler must not depend on the order it is given.
  const shuffled = [...nodes].sort(() => random() - 0.5);
  return { nodes: shuffled, models, states, placed, pending, random };
}

function check(seed: number): ScheduleDecisions {
  const { nodes, models, states, placed, pending, random } = scenario(seed);
  const modelOf = new Map(models.map((m) => [m.service.ID, m]));
  const decisions = schedule({
    nodes,
    placed,
    pending,
    services: new Map(models.map((m) => [m.service.ID, m.service])),
    random,
  });
  const context = `seed ${seed}`;
  const decided = [
    ...decisions.placed.map((p) => p.taskId),
    ...decisions.unplaced.map((u) => u.taskId),
  ];
  assert.deepEqual(decided.sort(), pending.map((t) => t.ID).sort(), `${context}: each task once`);

  const byId = new Map(pending.map((t) => [t.ID, t]));
  for (const { taskId, nodeId } of decisions.placed) {
    const model = modelOf.get(byId.get(taskId)!.ServiceID)!;
    const state = states.get(nodeId);
    assert.ok(state, `${context}: ${taskId} on unknown node ${nodeId}`);
    assert.ok(suits(model, state.node), `${context}: ${taskId} on unsuitable ${nodeId}`);
    assert.ok(hasRoom(model, state), `${context}: ${taskId} overfills ${nodeId}`);
    take(model, state);
    assert.ok(state.nanoCpus >= 0 && state.memoryBytes >= 0 && state.gpus >= 0, context);
  }
  for (const { taskId, reason } of decisions.unplaced) {
    const model = modelOf.get(byId.get(taskId)!.ServiceID)!;
    assert.match(reason, /^no suitable node( \(.+\))?$/, context);
    for (const state of states.values()) {
      assert.ok(
        !(suits(model, state.node) && hasRoom(model, state)),
        `${context}: ${taskId} unplaced though ${state.node.ID} could take it (${reason})`,
      );
    }
    const counted = [...reason.matchAll(/(\d+) nodes?/g)].reduce((n, m) => n + Number(m[1]), 0);
    if (!reason.includes('max replicas')) {
      assert.equal(counted, nodes.length, `${context}: every node explained in "${reason}"`);
    }
  }
  return decisions;
}

test(`random clusters: placements pass every filter and never over-reserve (${RUNS} seeds)`, () => {
  let placedCount = 0;
  let unplacedCount = 0;
  for (let seed = 1; seed <= RUNS; seed++) {
    const decisions = check(seed);
    placedCount += decisions.placed.length;
    unplacedCount += decisions.unplaced.length;
  }
  // The generator must exercise both outcomes, or the test proves little.
  assert.ok(placedCount > 500, `placed ${placedCount}`);
  assert.ok(unplacedCount > 200, `unplaced ${unplacedCount}`);
});

test('random clusters: the same seed gives the same decisions', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const first = scenario(seed);
    const second = scenario(seed);
    const decide = (s: ReturnType<typeof scenario>) =>
      schedule({
        nodes: s.nodes,
        placed: s.placed,
        pending: s.pending,
        services: new Map(s.models.map((m) => [m.service.ID, m.service])),
        random: s.random,
      });
    assert.deepEqual(decide(first), decide(second), `seed ${seed}`);
  }
});
