// The routing mesh in front of containers: three daemons on 127.0.0.1-3 share this machine's
// Docker Engine; a service of busybox httpd containers published on a port answers on every
// node's address from all its replicas (the mesh reaches each container on its bridge
// address), and a host-mode port is bound by the engine on the node that runs the task.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Dockerode from 'dockerode';
import {
  ensureBusyboxImage,
  ensureDockerEngine,
  TEST_BUSYBOX_IMAGE,
} from '../src/testkit/docker.ts';
import { freePorts, waitFor } from '../src/testkit/index.ts';
import { answers, httpGet } from './mesh-support.ts';
import { ClusterApi, running, threeNodeCluster } from './services-support.ts';

const engine = await ensureDockerEngine();
const skip = 'unavailable' in engine ? `no Docker Engine: ${engine.unavailable}` : undefined;

const HTTPD = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www';

test('published ports reach containers on every node', { timeout: 240_000, skip }, async (t) => {
  if ('unavailable' in engine) return;
  await ensureBusyboxImage(new Dockerode({ socketPath: engine.socketPath }));
  const { nodes } = await threeNodeCluster(t, 'mesh-docker', {
    daemonArgs: ['--docker', engine.socketPath],
    joinAs: 'worker',
  });
  const api = new ClusterApi(nodes[0]);
  t.after(() => api.close());
  const [published, hostPort] = (await freePorts(2)) as [number, number];
  try {
    const web = await api.create({
      Name: 'web',
      TaskTemplate: {
        ContainerSpec: { Image: TEST_BUSYBOX_IMAGE, Command: ['sh', '-c', HTTPD] },
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: published }] },
    });
    await api.waitTasks(
      web,
      '3 running containers',
      (tasks) => running(tasks).length === 3,
      90_000,
    );
    for (const node of nodes) {
      await waitFor(`${node.ip} to reach 3 containers`, 20_000, async () => {
        const seen = await answers(node.ip, published, 9);
        return [...seen.keys()].every((k) => !k.startsWith('ERROR')) && seen.size === 3
          ? seen
          : undefined;
      });
    }
    // Once every httpd answers (a task is RUNNING a moment before its server listens, and a
    // refused dial moves on to the next task), round robin splits requests evenly.
    for (const node of nodes) {
      const counts = await answers(node.ip, published, 9);
      assert.deepEqual([...counts.values()], [3, 3, 3], `${node.ip}: ${[...counts.entries()]}`);
    }

    const host = await api.create({
      Name: 'host-mode',
      TaskTemplate: {
        ContainerSpec: { Image: TEST_BUSYBOX_IMAGE, Command: ['sh', '-c', HTTPD] },
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: {
        Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: hostPort, PublishMode: 'host' }],
      },
    });
    const [task] = await api.waitTasks(
      host,
      'the host-mode task',
      (tasks) => running(tasks).length === 1,
    );
    assert.deepEqual(task!.Status.PortStatus?.Ports, [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: hostPort, PublishMode: 'host' },
    ]);
    // The engine binds it on every address of this machine (all nodes share it here); the
    // mesh does not listen for host-mode ports.
    const body = await httpGet('127.0.0.1', hostPort);
    assert.ok(!body.startsWith('ERROR'), body);
  } finally {
    await api.removeAll();
  }
});
