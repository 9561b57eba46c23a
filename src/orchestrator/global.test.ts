import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { World } from './test-support.ts';

const live = (w: World, id: string) =>
  w.tasks(id).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

describe('global orchestrator', () => {
  test('one task per ready, active node, following joins and drains', () => {
    const w = new World();
    w.addNode('n1');
    w.addNode('n2');
    w.createService('agent', { Mode: { Global: {} } });
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent')
        .map((t) => t.NodeID)
        .sort(),
      ['n1', 'n2'],
    );
    w.addNode('n3');
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent')
        .map((t) => t.NodeID)
        .sort(),
      ['n1', 'n2', 'n3'],
    );
    w.updateNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent')
        .map((t) => t.NodeID)
        .sort(),
      ['n1', 'n3'],
    );
    w.updateNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'active' } }));
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent')
        .map((t) => t.NodeID)
        .sort(),
      ['n1', 'n2', 'n3'],
    );
  });

  test('constraints follow label changes', () => {
    const w = new World();
    w.addNode('n1');
    w.addNode('n2');
    w.updateNode('n1', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'a' } } }));
    w.createService('agent', {
      Mode: { Global: {} },
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        Placement: { Constraints: ['node.labels.zone==a'] },
      },
    });
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent').map((t) => t.NodeID),
      ['n1'],
    );
    w.updateNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'a' } } }));
    w.updateNode('n1', (n) => ({ ...n, Spec: { ...n.Spec, Labels: {} } }));
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent').map((t) => t.NodeID),
      ['n2'],
    );
  });

  test('a failed task restarts on its node', () => {
    const w = new World();
    w.addNode('n1');
    w.createService('agent', {
      Mode: { Global: {} },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Delay: 0 } },
    });
    w.settle('agent');
    w.setState(live(w, 'agent')[0]!.ID, 'failed');
    w.settle('agent');
    assert.equal(live(w, 'agent').length, 1);
    assert.equal(w.tasks('agent').length, 2);
  });

  test('a rolling update replaces node by node', () => {
    const w = new World();
    w.addNode('n1');
    w.addNode('n2');
    w.createService('agent', { Mode: { Global: {} }, UpdateConfig: { Monitor: 0 } });
    w.settle('agent');
    w.updateService('agent', (s) => ({
      ...s,
      Spec: { ...s.Spec, TaskTemplate: { ContainerSpec: { Image: 'busybox:2' } } },
    }));
    w.settle('agent');
    assert.deepEqual(
      live(w, 'agent').map((t) => t.Spec.ContainerSpec!.Image),
      ['busybox:2', 'busybox:2'],
    );
    assert.equal(w.service('agent').UpdateStatus?.State, 'completed');
  });
});
