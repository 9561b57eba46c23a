// The routing mesh on three daemons sharing loopback (each publishes on its own 127.0.0.x):
// published TCP and UDP ports answer on every node and reach every replica, local or remote;
// PROXY protocol v2 carries the client's address; a port taken on a node is reported.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type DaemonProcess, freePorts, waitFor } from '../src/testkit/index.ts';
import { answers, echoContainer, httpGet, udpAsk } from './mesh-support.ts';
import { ClusterApi, running, threeNodeCluster } from './services-support.ts';

test('published ports reach every replica from every node', { timeout: 180_000 }, async (t) => {
  const { nodes } = await threeNodeCluster(t, 'mesh-loopback', {
    daemonArgs: ['--docker', 'none'],
    joinAs: 'worker',
  });
  const api = new ClusterApi(nodes[0]);
  t.after(() => api.close());
  try {
    await scenarios(t, api, nodes);
  } finally {
    await api.removeAll();
  }
});

async function scenarios(t: TestContext, api: ClusterApi, nodes: DaemonProcess[]) {
  const [published, udpPort, proxied] = (await freePorts(3)) as [number, number, number];

  const web = await api.create({
    Name: 'web',
    TaskTemplate: { ContainerSpec: echoContainer() },
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: {
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: published },
        { Protocol: 'udp', TargetPort: 80, PublishedPort: udpPort },
      ],
    },
  });
  await api.waitTasks(web, '3 running replicas', (tasks) => running(tasks).length === 3);

  await t.test('TCP: each node reaches all three replicas', async () => {
    for (const node of nodes) {
      const seen = await waitFor(`${node.ip} to reach 3 replicas`, 15_000, async () => {
        const counts = await answers(node.ip, published, 12);
        const names = [...counts.keys()].filter((k) => !k.startsWith('ERROR'));
        return names.length === 3 && counts.size === 3 ? counts : undefined;
      });
      // Round robin: 12 requests over 3 replicas, 4 each.
      assert.deepEqual([...seen.values()], [4, 4, 4], JSON.stringify([...seen]));
    }
  });

  await t.test('UDP: datagrams are echoed through the mesh from every node', async () => {
    for (const node of nodes) {
      const answer = await waitFor(`udp on ${node.ip}`, 15_000, async () => {
        const reply = await udpAsk(node.ip, udpPort, 'ping');
        return reply.endsWith(':ping') ? reply : undefined;
      });
      assert.match(answer, /^\d+:ping$/);
    }
  });

  await t.test('scaling down takes replicas out of rotation without failures', async () => {
    const result = await api.update(web, (spec) => ({
      ...spec,
      Mode: { Replicated: { Replicas: 1 } },
    }));
    assert.equal(result.status, 200, result.text());
    await api.waitTasks(web, '1 running replica', (tasks) => running(tasks).length === 1);
    const counts = await waitFor('one answer left', 15_000, async () => {
      const seen = await answers(nodes[1]!.ip, published, 6);
      return seen.size === 1 ? seen : undefined;
    });
    assert.ok(![...counts.keys()][0]!.startsWith('ERROR'), JSON.stringify([...counts]));
  });

  await t.test('PROXY protocol v2 tells the task the client address', async () => {
    const id = await api.create({
      Name: 'proxied',
      TaskTemplate: { ContainerSpec: echoContainer(['PROXY=1']) },
      Mode: { Replicated: { Replicas: 2 } },
      EndpointSpec: {
        Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: proxied, ProxyProtocol: 'v2' }],
      },
    });
    await api.waitTasks(id, '2 running replicas', (tasks) => running(tasks).length === 2);
    for (const node of nodes) {
      const body = await waitFor(`proxied answer via ${node.ip}`, 15_000, async () => {
        const answer = await httpGet(node.ip, proxied);
        return answer.startsWith('ERROR') ? undefined : answer;
      });
      // The test connects from 127.0.0.1 (the default source on loopback).
      assert.match(body, /^127\.0\.0\.1:\d+$/);
    }
  });

  await t.test('a published port taken on a node is reported', async () => {
    const [taken] = (await freePorts(1)) as [number];
    const squatter = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen({ host: nodes[2]!.ip, port: taken }, resolve),
    );
    t.after(() => {
      if (squatter.listening) squatter.close();
    });
    const id = await api.create({
      Name: 'squatted',
      TaskTemplate: { ContainerSpec: echoContainer() },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: taken }] },
    });
    await api.waitTasks(id, '1 running replica', (tasks) => running(tasks).length === 1);
    // The two other nodes serve it.
    for (const node of nodes.slice(0, 2)) {
      await waitFor(`${node.ip}:${taken}`, 15_000, async () =>
        (await httpGet(node.ip, taken)).startsWith('ERROR') ? undefined : true,
      );
    }
    const node = await waitFor('the node to report the port', 15_000, async () => {
      const response = await api.client.request('GET', `/nodes/${nodes[2]!.name}`);
      const status = response.json<{ Status: { Message?: string } }>().Status;
      return status.Message?.includes(`${taken}/tcp`) ? status.Message : undefined;
    });
    assert.match(node, /already in use/);
    // The service shows it too, naming the node.
    type Conflicts = { PortConflicts?: { NodeID: string; PublishedPort: number }[] };
    const conflicts = await waitFor('the service to show the conflict', 15_000, async () => {
      const found = (await api.client.request('GET', `/services/${id}`)).json<Conflicts>();
      return found.PortConflicts?.length ? found.PortConflicts : undefined;
    });
    const nodeId = (await api.client.request('GET', `/nodes/${nodes[2]!.name}`)).json<{
      ID: string;
    }>().ID;
    assert.deepEqual(
      conflicts.map((c) => [c.NodeID, c.PublishedPort]),
      [[nodeId, taken]],
    );
    // Once the port is free, the node opens it and the report goes away.
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    await waitFor(`${nodes[2]!.ip}:${taken} once free`, 30_000, async () =>
      (await httpGet(nodes[2]!.ip, taken)).startsWith('ERROR') ? undefined : true,
    );
    await waitFor('the conflict to clear', 30_000, async () => {
      const found = (await api.client.request('GET', `/services/${id}`)).json<Conflicts>();
      return found.PortConflicts === undefined ? true : undefined;
    });
  });
}
