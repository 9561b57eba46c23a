import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service, UpdateConfig } from '../store/index.ts';
import { World } from './test-support.ts';

function withImage(image: string, config?: UpdateConfig) {
  return (s: Service): Service => ({
    ...s,
    Spec: {
      ...s.Spec,
      TaskTemplate: { ...s.Spec.TaskTemplate, ContainerSpec: { Image: image } },
      ...(config ? { UpdateConfig: config } : {}),
    },
    SpecVersion: { Index: (s.SpecVersion?.Index ?? 0) + 1 },
  });
}

const imageOf = (w: World, id: string) =>
  w
    .tasks(id)
    .filter((t) => t.DesiredState === 'running' && t.Status.State === 'running')
    .map((t) => t.Spec.ContainerSpec!.Image)
    .sort();

/** Reconciles, schedules and runs agents one round at a time until a task of `image` runs. */
function stepUntilRunning(w: World, image: string) {
  for (let round = 0; round < 10; round++) {
    w.reconcile('web');
    w.schedule();
    w.runAgents();
    const task = w
      .tasks('web')
      .find((t) => t.Spec.ContainerSpec!.Image === image && t.Status.State === 'running');
    if (task) return task;
  }
  throw new Error(`no ${image} task ran`);
}

function setup(config: UpdateConfig, replicas = 3): World {
  const w = new World();
  w.addNode('n1');
  w.addNode('n2');
  w.createService('web', { Mode: { Replicated: { Replicas: replicas } }, UpdateConfig: config });
  w.settle('web');
  return w;
}

describe('rolling update', () => {
  test('stop-first, parallelism 1: one slot at a time, then completed after the monitor', () => {
    const w = setup({ Parallelism: 1, Monitor: 1e9 });
    w.updateService('web', withImage('busybox:2'));
    // One step: the first slot's old task is told to stop, its replacement held 'ready'.
    w.reconcile('web');
    const held = w.tasks('web').filter((t) => t.Spec.ContainerSpec!.Image === 'busybox:2');
    assert.equal(held.length, 1);
    assert.equal(held[0]!.DesiredState, 'ready');
    assert.equal(w.service('web').UpdateStatus?.State, 'updating');
    const wake = w.settle('web');
    assert.deepEqual(imageOf(w, 'web'), ['busybox:2', 'busybox:2', 'busybox:2']);
    assert.equal(w.service('web').UpdateStatus?.State, 'updating', 'monitoring the last task');
    assert.equal(wake, w.now + 1000);
    w.now += 1000;
    w.settle('web');
    assert.equal(w.service('web').UpdateStatus?.State, 'completed');
    assert.equal(w.service('web').UpdateStatus?.Message, 'update completed');
  });

  test('never more than Parallelism slots in progress', () => {
    const w = setup({ Parallelism: 2 }, 5);
    w.updateService('web', withImage('busybox:2'));
    w.reconcile('web');
    const fresh = w.tasks('web').filter((t) => t.Spec.ContainerSpec!.Image === 'busybox:2');
    assert.equal(fresh.length, 2);
  });

  test('start-first: the replacement runs before the old task is stopped', () => {
    const w = setup({ Parallelism: 1, Order: 'start-first', Monitor: 0 }, 1);
    const [old] = w.wanted('web');
    w.updateService('web', withImage('busybox:2'));
    w.reconcile('web');
    const fresh = w.tasks('web').find((t) => t.ID !== old!.ID)!;
    assert.equal(fresh.DesiredState, 'running');
    assert.equal(w.store.get('tasks', old!.ID)!.DesiredState, 'running', 'old keeps running');
    w.settle('web');
    assert.equal(w.store.get('tasks', old!.ID)!.Status.State, 'shutdown');
    assert.deepEqual(imageOf(w, 'web'), ['busybox:2']);
  });

  test('a delay separates batches', () => {
    const w = setup({ Parallelism: 1, Delay: 10e9, Monitor: 0 }, 2);
    w.updateService('web', withImage('busybox:2'));
    const wake = w.settle('web');
    assert.deepEqual(imageOf(w, 'web'), ['busybox', 'busybox:2']);
    assert.equal(wake, w.now + 10_000);
    w.now += 10_000;
    w.settle('web');
    assert.deepEqual(imageOf(w, 'web'), ['busybox:2', 'busybox:2']);
  });

  test('a failing replacement pauses the update (FailureAction pause)', () => {
    const w = setup({ Parallelism: 1 }, 3);
    w.updateService('web', withImage('busybox:bad'));
    const bad = stepUntilRunning(w, 'busybox:bad');
    w.setState(bad.ID, 'failed', { Err: 'task: non-zero exit (1)' });
    w.settle('web');
    const status = w.service('web').UpdateStatus!;
    assert.equal(status.State, 'paused');
    assert.match(status.Message!, /update paused due to failure or early termination of task/);
    assert.equal(
      w
        .tasks('web')
        .filter((t) => t.Spec.ContainerSpec!.Image === 'busybox' && t.DesiredState === 'running')
        .length,
      2,
      'the rest stays on the old image',
    );
  });

  test('FailureAction rollback returns to the previous spec and completes the rollback', () => {
    const w = setup({ Parallelism: 1, FailureAction: 'rollback', Monitor: 0 }, 2);
    w.updateService(
      'web',
      withImage('busybox:bad', { Parallelism: 1, FailureAction: 'rollback', Monitor: 0 }),
    );
    const bad = stepUntilRunning(w, 'busybox:bad');
    w.setState(bad.ID, 'failed');
    w.settle('web');
    assert.equal(w.service('web').UpdateStatus?.State, 'rollback_started');
    w.now += 5000; // the rollback's own monitor period (RollbackConfig's default)
    w.settle('web');
    const service = w.service('web');
    assert.equal(service.Spec.TaskTemplate.ContainerSpec!.Image, 'busybox');
    assert.equal(service.UpdateStatus?.State, 'rollback_completed');
    assert.deepEqual(imageOf(w, 'web'), ['busybox', 'busybox']);
  });
});
