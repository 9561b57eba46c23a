import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { World } from './test-support.ts';

function world(nodes = 2): World {
  const w = new World();
  for (let i = 1; i <= nodes; i++) w.addNode(`n${i}`);
  return w;
}

const running = (w: World, id: string) =>
  w.tasks(id).filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');

describe('replicated orchestrator', () => {
  test('creates one task per slot, numbered 1..N', () => {
    const w = world();
    w.createService('web', { Mode: { Replicated: { Replicas: 3 } } });
    w.settle('web');
    assert.deepEqual(
      running(w, 'web')
        .map((t) => t.Slot)
        .sort(),
      [1, 2, 3],
    );
  });

  test('scales down by removing slots, and the reaper deletes them once stopped', () => {
    const w = world();
    w.createService('web', { Mode: { Replicated: { Replicas: 3 } } });
    w.settle('web');
    w.updateService('web', (s) => ({
      ...s,
      Spec: { ...s.Spec, Mode: { Replicated: { Replicas: 1 } } },
    }));
    w.settle('web');
    assert.equal(running(w, 'web').length, 1);
    assert.equal(w.tasks('web').length, 1, 'removed tasks are deleted, not kept as history');
  });

  test('scales up into the lowest free slots', () => {
    const w = world();
    w.createService('web', { Mode: { Replicated: { Replicas: 1 } } });
    w.settle('web');
    w.updateService('web', (s) => ({
      ...s,
      Spec: { ...s.Spec, Mode: { Replicated: { Replicas: 3 } } },
    }));
    w.settle('web');
    assert.deepEqual(
      running(w, 'web')
        .map((t) => t.Slot)
        .sort(),
      [1, 2, 3],
    );
  });

  test('a failed task is replaced after the restart delay, in the same slot', () => {
    const w = world();
    w.createService('web', {
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Delay: 2e9 } },
    });
    w.settle('web');
    const [first] = running(w, 'web');
    w.setState(first!.ID, 'failed', { Err: 'task: non-zero exit (1)' });
    const wake = w.settle('web');
    assert.equal(wake, w.now + 2000, 'wakes when the delay ends');
    const held = w.tasks('web').find((t) => t.ID !== first!.ID)!;
    assert.equal(held.DesiredState, 'ready');
    assert.equal(held.Slot, 1);
    assert.equal(w.store.get('tasks', first!.ID)!.DesiredState, 'shutdown');
    w.now += 2000;
    w.settle('web');
    assert.equal(w.store.get('tasks', held.ID)!.DesiredState, 'running');
    assert.equal(running(w, 'web').length, 1);
  });

  test("restart condition 'none' leaves the slot empty until the template changes", () => {
    const w = world();
    w.createService('web', {
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'none' } },
    });
    w.settle('web');
    const [first] = running(w, 'web');
    w.setState(first!.ID, 'complete');
    w.settle('web');
    assert.equal(w.tasks('web').length, 1, 'no replacement');
    w.updateService('web', (s) => ({
      ...s,
      Spec: { ...s.Spec, TaskTemplate: { ...s.Spec.TaskTemplate, ForceUpdate: 1 } },
    }));
    w.settle('web');
    assert.equal(running(w, 'web').length, 1, 'a new template fills the slot again');
  });

  test("'on-failure' does not restart a task that completed", () => {
    const w = world();
    w.createService('web', {
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        RestartPolicy: { Condition: 'on-failure', Delay: 0 },
      },
    });
    w.settle('web');
    w.setState(running(w, 'web')[0]!.ID, 'complete');
    w.settle('web');
    assert.equal(w.tasks('web').length, 1);
  });

  test('MaxAttempts bounds restarts, across replacements', () => {
    const w = world();
    w.createService('web', {
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        RestartPolicy: { Delay: 0, MaxAttempts: 2 },
      },
    });
    w.settle('web');
    for (let failures = 1; failures <= 3; failures++) {
      const current = running(w, 'web')[0];
      assert.ok(current, `a task runs before failure ${failures}`);
      w.setState(current.ID, 'failed');
      w.now += 1000;
      w.settle('web');
    }
    assert.equal(running(w, 'web').length, 0, 'the third failure is not restarted');
    assert.equal(w.tasks('web').length, 3);
  });

  test('tasks on a down or drained node are replaced elsewhere at once', () => {
    const w = world(3);
    w.createService('web', { Mode: { Replicated: { Replicas: 3 } } });
    w.settle('web');
    const onN1 = running(w, 'web').find((t) => t.NodeID === 'n1')!;
    w.updateNode('n1', (n) => ({ ...n, Status: { ...n.Status, State: 'down' } }));
    w.settle('web');
    assert.equal(w.store.get('tasks', onN1.ID)!.DesiredState, 'shutdown');
    const live = running(w, 'web');
    assert.equal(live.length, 3);
    assert.ok(live.every((t) => t.NodeID !== 'n1'));
    const onN2 = live.find((t) => t.NodeID === 'n2')!;
    w.updateNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    w.settle('web');
    assert.equal(w.store.get('tasks', onN2.ID)!.Status.State, 'shutdown');
    assert.ok(running(w, 'web').every((t) => t.NodeID === 'n3'));
  });

  test('a task whose node stops meeting the constraints is placed again', () => {
    const w = world(2);
    w.updateNode('n1', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { disk: 'ssd' } } }));
    w.updateNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { disk: 'ssd' } } }));
    w.createService('web', {
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        Placement: { Constraints: ['node.labels.disk==ssd'] },
      },
    });
    w.settle('web');
    const [first] = running(w, 'web');
    w.updateNode(first!.NodeID!, (n) => ({ ...n, Spec: { ...n.Spec, Labels: {} } }));
    w.reconcile('web');
    assert.equal(w.store.get('tasks', first!.ID)!.DesiredState, 'shutdown');
    const replacement = w.tasks('web').find((t) => t.ID !== first!.ID)!;
    assert.equal(replacement.Slot, first!.Slot);
  });

  test('keeps at most the history limit of tasks per slot', () => {
    const w = world();
    w.historyLimit = 3;
    w.createService('web', {
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Delay: 0 } },
    });
    w.settle('web');
    for (let i = 0; i < 6; i++) {
      w.setState(running(w, 'web')[0]!.ID, 'failed');
      w.settle('web');
    }
    assert.equal(w.tasks('web').length, 3);
    assert.equal(running(w, 'web').length, 1);
  });

  test('removing the service stops and then deletes its tasks', () => {
    const w = world();
    w.createService('web', { Mode: { Replicated: { Replicas: 2 } } });
    w.settle('web');
    w.apply([{ kind: 'delete', table: 'services', id: 'web' }]);
    w.settle('web');
    assert.equal(w.tasks('web').length, 0);
  });

  test('settles: a converged service plans nothing', () => {
    const w = world();
    w.createService('web', { Mode: { Replicated: { Replicas: 2 } } });
    w.settle('web');
    const before = w.store.version;
    assert.equal(w.reconcile('web'), undefined);
    assert.equal(w.store.version, before);
  });
});
