import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { World } from './test-support.ts';

function completeRunning(w: World, id: string, state: 'complete' | 'failed' = 'complete') {
  for (const task of w.tasks(id)) {
    if (task.Status.State === 'running') w.setState(task.ID, state);
  }
}

describe('jobs', () => {
  test('replicated job: TotalCompletions, at most MaxConcurrent at once', () => {
    const w = new World();
    w.addNode('n1');
    w.createService('job', { Mode: { ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 2 } } });
    w.apply([]);
    w.settle('job');
    const running = () => w.tasks('job').filter((t) => t.Status.State === 'running');
    assert.equal(running().length, 2);
    completeRunning(w, 'job');
    w.settle('job');
    assert.equal(running().length, 2);
    completeRunning(w, 'job');
    w.settle('job');
    assert.equal(running().length, 1);
    completeRunning(w, 'job');
    w.settle('job');
    assert.equal(running().length, 0);
    assert.equal(w.tasks('job').filter((t) => t.Status.State === 'complete').length, 5);
  });

  test('a failed job task is retried (on-failure by default)', () => {
    const w = new World();
    w.addNode('n1');
    w.createService('job', {
      Mode: { ReplicatedJob: { TotalCompletions: 1, MaxConcurrent: 1 } },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Delay: 0 } },
    });
    w.settle('job');
    completeRunning(w, 'job', 'failed');
    w.settle('job');
    assert.equal(w.tasks('job').filter((t) => t.Status.State === 'running').length, 1);
    completeRunning(w, 'job');
    w.settle('job');
    assert.equal(w.tasks('job').filter((t) => t.Status.State === 'running').length, 0);
  });

  test('global job: one completion per node', () => {
    const w = new World();
    w.addNode('n1');
    w.addNode('n2');
    w.createService('job', { Mode: { GlobalJob: {} } });
    w.settle('job');
    assert.equal(w.tasks('job').length, 2);
    completeRunning(w, 'job');
    w.settle('job');
    assert.equal(w.tasks('job').length, 2, 'completed: nothing new');
  });
});
