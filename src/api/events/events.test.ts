import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Service, StoreEvent } from '../../store/index.ts';
import { EventFilter } from './filter.ts';
import { EventLog } from './log.ts';
import { type DockerEvent, encodeEvent, rfc3339ToNanos, toDockerEvent } from './message.ts';

const NOW = 1_700_000_000_123_456_789n;

function node(changes: { availability?: string; state?: string; leader?: boolean }): Node {
  return {
    ID: 'node1',
    Version: { Index: 3 },
    CreatedAt: '2023-11-14T22:13:20Z',
    UpdatedAt: '2023-11-14T22:13:21.5Z',
    Spec: {
      Labels: {},
      Role: 'manager',
      Availability: (changes.availability ?? 'active') as 'active',
    },
    Description: {
      Hostname: 'pi-1',
      Platform: { Architecture: 'aarch64', OS: 'linux' },
      Resources: { NanoCPUs: 0, MemoryBytes: 0 },
      Engine: { EngineVersion: '0.1.0', Labels: {} },
    },
    Status: { State: (changes.state ?? 'ready') as 'ready', Addr: '10.0.0.1' },
    ManagerStatus: {
      Leader: changes.leader ?? false,
      Reachability: 'reachable',
      Addr: '10.0.0.1:2377',
    },
  };
}

function service(replicas: number, image: string, updateState?: string): Service {
  return {
    ID: 'svc1',
    Version: { Index: 9 },
    CreatedAt: '2023-11-14T22:13:20Z',
    UpdatedAt: '2023-11-14T22:13:25.000000001Z',
    Spec: {
      Name: 'web',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: image } },
      Mode: { Replicated: { Replicas: replicas } },
    },
    ...(updateState ? { UpdateStatus: { State: updateState } } : {}),
  } as unknown as Service;
}

test('node events: name, and what changed as .old/.new attributes', () => {
  const event = toDockerEvent(
    {
      kind: 'update',
      table: 'nodes',
      index: 7,
      object: node({ availability: 'drain', state: 'down', leader: true }),
      oldObject: node({}),
    },
    NOW,
  )!;
  assert.equal(event.Type, 'node');
  assert.equal(event.Action, 'update');
  assert.equal(event.scope, 'swarm');
  assert.deepEqual(event.Actor, {
    ID: 'node1',
    Attributes: {
      name: 'pi-1',
      'availability.old': 'active',
      'availability.new': 'drain',
      'state.old': 'ready',
      'state.new': 'down',
      'leader.old': 'false',
      'leader.new': 'true',
    },
  });
  assert.equal(event.timeNano, 1_700_000_001_500_000_000n);
  assert.equal(event.time, 1_700_000_001);
});

test('service events: image, replicas and update state changes; removals timed now', () => {
  const updated = toDockerEvent(
    {
      kind: 'update',
      table: 'services',
      index: 8,
      object: service(3, 'nginx:1.27', 'updating'),
      oldObject: service(2, 'nginx:1.26'),
    },
    NOW,
  )!;
  assert.deepEqual(updated.Actor.Attributes, {
    name: 'web',
    'image.old': 'nginx:1.26',
    'image.new': 'nginx:1.27',
    'replicas.old': '2',
    'replicas.new': '3',
    'updatestate.new': 'updating',
  });
  assert.equal(updated.timeNano, rfc3339ToNanos('2023-11-14T22:13:25.000000001Z'));
  const removed = toDockerEvent(
    { kind: 'delete', table: 'services', index: 9, object: service(3, 'nginx') },
    NOW,
  )!;
  assert.equal(removed.Action, 'remove');
  assert.equal(removed.timeNano, NOW);
  const created = toDockerEvent(
    { kind: 'create', table: 'services', index: 2, object: service(1, 'nginx') },
    NOW,
  )!;
  assert.deepEqual(created.Actor.Attributes, { name: 'web' });
  assert.equal(created.timeNano, rfc3339ToNanos('2023-11-14T22:13:20Z'));
});

test('no events for tasks or the cluster object', () => {
  const task = {
    kind: 'create',
    table: 'tasks',
    index: 1,
    object: { ID: 't' },
  } as unknown as StoreEvent;
  assert.equal(toDockerEvent(task, NOW), undefined);
});

test('encodeEvent writes timeNano exactly, beyond 2^53', () => {
  const line = encodeEvent({
    Type: 'service',
    Action: 'create',
    Actor: { ID: 'x', Attributes: { name: 'web' } },
    scope: 'swarm',
    time: 1_700_000_000,
    timeNano: NOW,
  });
  assert.ok(line.endsWith('\n'));
  assert.match(line, /"timeNano":1700000000123456789\}\n$/);
  assert.equal(JSON.parse(line).Actor.Attributes.name, 'web');
});

function event(
  type: DockerEvent['Type'],
  action: DockerEvent['Action'],
  id: string,
  name: string,
): DockerEvent {
  return {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: { name } },
    scope: 'swarm',
    time: 0,
    timeNano: 0n,
  };
}

test('filters match as dockerd: exact type/event/scope, id or name prefix, labels', () => {
  const web = event('service', 'update', 'abc123', 'web');
  const pi = event('node', 'update', 'def456', 'pi-1');
  const filter = (filters: Record<string, string[]>) =>
    new EventFilter(new Map(Object.entries(filters)));
  assert.ok(filter({}).includes(web));
  assert.ok(filter({ type: ['service'] }).includes(web));
  assert.ok(!filter({ type: ['service'] }).includes(pi));
  assert.ok(filter({ event: ['update', 'create'] }).includes(web));
  assert.ok(!filter({ event: ['remove'] }).includes(web));
  assert.ok(filter({ scope: ['swarm'] }).includes(web));
  assert.ok(!filter({ scope: ['local'] }).includes(web));
  assert.ok(filter({ service: ['we'] }).includes(web), 'name prefix');
  assert.ok(filter({ service: ['abc'] }).includes(web), 'ID prefix');
  assert.ok(!filter({ service: ['web'] }).includes(pi), 'an object filter excludes other kinds');
  assert.ok(filter({ node: ['pi-1'] }).includes(pi));
  assert.ok(filter({ label: ['name=web'] }).includes(web));
  assert.ok(!filter({ label: ['com.example=1'] }).includes(web));
  assert.throws(() => filter({ scope: ['planet'] }), /invalid filter 'scope=planet'/);
});

test('the log keeps a bounded history and feeds live subscribers in order', async () => {
  const log = new EventLog(3, 10);
  for (let i = 0; i < 5; i++) log.publish(event('service', 'create', `s${i}`, `svc${i}`));
  const { past, live } = log.subscribe((e) => e.Actor.ID !== 's6');
  assert.deepEqual(
    past.map((e) => e.Actor.ID),
    ['s2', 's3', 's4'],
  );
  log.publish(event('service', 'create', 's5', 'svc5'));
  log.publish(event('service', 'create', 's6', 'svc6'));
  log.publish(event('service', 'create', 's7', 'svc7'));
  const seen: string[] = [];
  for await (const e of live) {
    seen.push(e.Actor.ID);
    if (seen.length === 2) break;
  }
  assert.deepEqual(seen, ['s5', 's7']);
  assert.equal(log.subscriberCount, 0, 'leaving the loop unsubscribes');
});

test('a subscriber that falls behind is closed instead of growing', async () => {
  const log = new EventLog(10, 2);
  const { live } = log.subscribe(() => true);
  for (let i = 0; i < 3; i++) log.publish(event('node', 'update', `n${i}`, 'pi'));
  assert.equal(live.overflowed, true);
  assert.equal(log.subscriberCount, 0);
  const seen: string[] = [];
  for await (const e of live) seen.push(e.Actor.ID);
  assert.deepEqual(seen, ['n0', 'n1'], 'what was queued is still delivered, then the stream ends');
});
