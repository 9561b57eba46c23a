// Services on the Docker Engine: three daemons on 127.0.0.1-3 share this machine's engine
// (each node only sees its own containers, by their com.docker.swarm.node.id label) and run
// the service scenarios (test/service-scenarios.ts) as containers of a locally built busybox
// image; then what only containers have: swarm's names and labels, and a missing image.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Dockerode from 'dockerode';
import type { ContainerSpec, Node, Task } from '../src/store/index.ts';
import {
  ensureBusyboxImage,
  ensureDockerEngine,
  TEST_BUSYBOX_IMAGE,
} from '../src/testkit/docker.ts';
import { waitFor } from '../src/testkit/index.ts';
import { runServiceScenarios } from './service-scenarios.ts';
import { ClusterApi, running, threeNodeCluster } from './services-support.ts';

const engine = await ensureDockerEngine();
const skip = 'unavailable' in engine ? `no Docker Engine: ${engine.unavailable}` : undefined;

test('services run as containers on the Docker Engine', { timeout: 400_000, skip }, async (t) => {
  if ('unavailable' in engine) return;
  const docker = new Dockerode({ socketPath: engine.socketPath });
  await ensureBusyboxImage(docker);
  const { cluster, nodes } = await threeNodeCluster(t, 'services-docker', {
    daemonArgs: ['--docker', engine.socketPath],
    joinAs: 'worker',
  });
  const [n1, n2, n3] = nodes;
  const api = new ClusterApi(n1);
  const nodeIds = (await api.client.request('GET', '/nodes')).json<Node[]>().map((n) => n.ID);
  const ours = () =>
    docker
      .listContainers({
        all: true,
        filters: { label: ['com.docker.swarm.task.id'] },
      })
      .then((list) =>
        list.filter((c) => nodeIds.includes(c.Labels['com.docker.swarm.node.id'] ?? '')),
      );
  t.after(async () => {
    // Whatever happened, no container of this cluster stays behind.
    for (const container of await ours()) {
      await docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    api.close();
  });
  try {
    await runServiceScenarios(t, cluster, [n1, n2, n3], api, {
      name: 'docker',
      sleep: (seconds) => ({ Image: TEST_BUSYBOX_IMAGE, Args: ['sleep', String(seconds)] }),
      shell: (script) => ({ Image: TEST_BUSYBOX_IMAGE, Args: ['sh', '-c', script] }),
      sleptFor: (spec?: ContainerSpec) => Number(spec?.Args?.[1]),
      isRunning: async (task: Task) => {
        const id = task.Status.ContainerStatus?.ContainerID;
        if (id === undefined) return false;
        const info = await docker
          .getContainer(id)
          .inspect()
          .catch(() => undefined);
        return info?.State.Running === true;
      },
    });

    await t.test('docker: containers carry swarm names and labels', async () => {
      const id = await api.create({
        Name: 'named',
        Labels: { 'com.docker.stack.namespace': 'demo' },
        TaskTemplate: {
          ContainerSpec: {
            Image: TEST_BUSYBOX_IMAGE,
            Args: ['sleep', '1000'],
            Labels: { team: 'blue' },
          },
        },
      });
      const [task] = running(await api.waitTasks(id, 'running', (ts) => running(ts).length === 1));
      const container = await docker
        .getContainer(task!.Status.ContainerStatus!.ContainerID!)
        .inspect();
      assert.equal(container.Name, `/named.1.${task!.ID}`);
      const labels = container.Config.Labels;
      assert.equal(labels['com.docker.swarm.service.id'], id);
      assert.equal(labels['com.docker.swarm.service.name'], 'named');
      assert.equal(labels['com.docker.swarm.task.id'], task!.ID);
      assert.equal(labels['com.docker.swarm.task.name'], `named.1.${task!.ID}`);
      assert.equal(labels['com.docker.swarm.node.id'], task!.NodeID);
      assert.equal(labels['com.docker.stack.namespace'], 'demo');
      assert.equal(labels.team, 'blue');
      await api.remove(id);
    });

    await t.test('docker: an image that cannot be pulled is a clear task error', async () => {
      const image = '127.0.0.1:1/shoal-test/missing:latest';
      const id = await api.create({
        Name: 'missing',
        TaskTemplate: {
          ContainerSpec: { Image: image, Args: ['true'] },
          RestartPolicy: { Condition: 'none' },
        },
      });
      const [task] = await api.waitTasks(id, 'a rejected task', (ts) =>
        ts.some((t) => t.Status.State === 'rejected'),
      );
      assert.match(task!.Status.Err ?? '', /127\.0\.0\.1:1\/shoal-test\/missing/);
      await api.remove(id);
    });
  } finally {
    await api.removeAll();
    await waitFor('the containers of removed tasks to be gone', 60_000, async () =>
      (await ours()).length === 0 ? true : undefined,
    );
  }
});
