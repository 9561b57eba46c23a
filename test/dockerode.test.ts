// Conformance: dockerode, a Docker API client library, drives a Shoal node as it drives dockerd:
// swarm, nodes, services, tasks, logs, events, networks, secrets, configs and errors (status
// codes and messages).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Dockerode from 'dockerode';
import { MultiplexedStreamParser, StreamId } from '../src/api/index.ts';
import { daemonsForTest, freePorts, waitFor } from '../src/testkit/index.ts';

interface DockerodeError {
  statusCode?: number;
  json?: { message?: string };
}

async function rejection(promise: Promise<unknown>): Promise<DockerodeError> {
  try {
    await promise;
  } catch (error) {
    return error as DockerodeError;
  }
  throw new Error('the call succeeded but should have failed');
}

/** Reads a stream until it ends or `until` holds for what was read. */
async function readUntil(stream: NodeJS.ReadableStream, until: (text: string) => boolean) {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (until(text)) break;
  }
  return text;
}

test('dockerode drives a Shoal node', { timeout: 300_000 }, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'dockerode');
  cluster.daemonArgs = ['--docker', 'none'];
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  const docker = new Dockerode({ socketPath: node.socket });
  const startedAt = Math.floor(Date.now() / 1000) - 1;

  await t.test('ping, version, swarm init and inspect', async () => {
    assert.equal(String(await docker.ping()), 'OK');
    const version = await docker.version();
    assert.equal(version.ApiVersion, '1.41');
    const nodeId = await docker.swarmInit({
      ListenAddr: node.clusterAddr,
      AdvertiseAddr: node.clusterAddr,
    });
    assert.match(String(nodeId), /^[a-z0-9]{25}$/);
    const swarm = await docker.swarmInspect();
    assert.match(swarm.JoinTokens.Worker, /^SWMTKN-1-/);
    assert.equal(swarm.Spec.Raft.ElectionTick > swarm.Spec.Raft.HeartbeatTick, true);
    assert.equal('Internal' in swarm, false);
    const info = await docker.info();
    assert.equal(info.Swarm.LocalNodeState, 'active');
    assert.equal(info.Swarm.ControlAvailable, true);
  });

  let serviceId = '';
  await t.test('services and tasks', async () => {
    const created = await docker.createService({
      Name: 'api-web',
      TaskTemplate: {
        ContainerSpec: { Image: 'exec:/bin/sh', Args: ['-c', 'echo ready; exec sleep 600'] },
      },
      Mode: { Replicated: { Replicas: 2 } },
    });
    serviceId = created.id;
    const service = docker.getService(serviceId);
    const inspected = await service.inspect();
    assert.equal(inspected.Spec.Name, 'api-web');
    const tasks = await waitFor(
      'two running tasks',
      30_000,
      async () => {
        const list = await docker.listTasks({
          filters: JSON.stringify({ service: ['api-web'], 'desired-state': ['running'] }),
        });
        return list.filter((task) => task.Status?.State === 'running').length === 2
          ? list
          : undefined;
      },
      200,
    );
    assert.equal(tasks.length, 2);
    const listed = await docker.listServices({ filters: { name: ['api-web'] } });
    assert.deepEqual(
      listed.map((s) => s.ID),
      [serviceId],
    );

    await service.update({
      version: inspected.Version!.Index,
      ...inspected.Spec,
      Mode: { Replicated: { Replicas: 1 } },
    });
    assert.equal((await service.inspect()).Spec.Mode.Replicated.Replicas, 1);
    const stale = await rejection(
      service.update({ version: inspected.Version!.Index, ...inspected.Spec }),
    );
    assert.match(stale.json?.message ?? '', /update out of sequence/);
    assert.ok(stale.statusCode !== undefined && stale.statusCode >= 400);
  });

  await t.test('service logs in the multiplexed format', async () => {
    const service = docker.getService(serviceId);
    const frames = await waitFor(
      'the task output',
      30_000,
      async () => {
        // Without follow, dockerode hands the whole multiplexed body over as a buffer.
        const body = (await service.logs({ stdout: true, stderr: true })) as unknown as Buffer;
        const parsed = new MultiplexedStreamParser().push(body);
        return parsed.some((frame) => frame.payload.toString().includes('ready'))
          ? parsed
          : undefined;
      },
      200,
    );
    assert.ok(frames.every((frame) => frame.stream === StreamId.stdout));
  });

  await t.test('events since and until', async () => {
    const stream = await docker.getEvents({
      since: startedAt,
      until: Math.floor(Date.now() / 1000) + 1,
      filters: { type: ['service'] },
    });
    const text = await readUntil(stream, () => false);
    const events = text
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            Type: string;
            Action: string;
            scope: string;
            Actor: { ID: string };
          },
      );
    assert.ok(events.some((e) => e.Action === 'create' && e.Actor.ID === serviceId));
    assert.ok(events.every((e) => e.Type === 'service' && e.scope === 'swarm'));
    assert.match(text, /"timeNano":\d{19}/);
  });

  await t.test('errors: status codes and messages', async () => {
    const missing = await rejection(docker.getService('no-such-service').inspect());
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json?.message ?? '', /no-such-service/);
    const node404 = await rejection(docker.getNode('no-such-node').inspect());
    assert.equal(node404.statusCode, 404);
    const bad = await rejection(docker.listTasks({ filters: JSON.stringify({ colour: ['red'] }) }));
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json?.message ?? '', /invalid filter 'colour'/);
    const taken = await rejection(
      docker.createService({
        Name: 'api-web',
        TaskTemplate: { ContainerSpec: { Image: 'exec:/bin/true' } },
      }),
    );
    assert.equal(taken.statusCode, 409);
    const noEngine = await rejection(docker.listContainers());
    assert.equal(noEngine.statusCode, 501);
    assert.match(noEngine.json?.message ?? '', /not supported on this node/);
  });

  await t.test('networks, secrets and configs', async () => {
    const network = await docker.createNetwork({
      Name: 'api-net',
      Driver: 'overlay',
      Attachable: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.91.0.0/24' }] },
      Labels: { team: 'api' },
    });
    const inspected = await network.inspect();
    assert.equal(inspected.Name, 'api-net');
    assert.equal(inspected.Scope, 'swarm');
    assert.deepEqual(inspected.IPAM?.Config, [{ Subnet: '10.91.0.0/24', Gateway: '10.91.0.1' }]);
    const byLabel = await docker.listNetworks({ filters: { label: ['team=api'] } });
    assert.deepEqual(
      byLabel.map((n) => n.Name),
      ['api-net'],
    );
    const overlap = await rejection(
      docker.createNetwork({
        Name: 'other',
        Driver: 'overlay',
        IPAM: { Config: [{ Subnet: '10.91.0.0/16' }] },
      }),
    );
    assert.match(overlap.json?.message ?? '', /Pool overlaps/);

    const secret = await docker.createSecret({
      Name: 'api-secret',
      Data: Buffer.from('pw').toString('base64'),
    });
    const secretInfo = await secret.inspect();
    assert.equal(secretInfo.Spec.Name, 'api-secret');
    assert.equal('Data' in secretInfo.Spec, false, 'a secret is never answered');
    await secret.update({
      version: secretInfo.Version.Index,
      Name: 'api-secret',
      Labels: { rotated: 'no' },
    });
    assert.deepEqual((await secret.inspect()).Spec.Labels, { rotated: 'no' });
    const stale = await rejection(
      secret.update({ version: secretInfo.Version.Index, Name: 'api-secret', Labels: {} }),
    );
    assert.match(stale.json?.message ?? '', /update out of sequence/);
    const config = await docker.createConfig({
      Name: 'api-config',
      Data: Buffer.from('level=1').toString('base64'),
    });
    assert.equal(Buffer.from((await config.inspect()).Spec.Data, 'base64').toString(), 'level=1');
    const missing = await rejection(docker.getSecret('no-such-secret').inspect());
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json?.message ?? '', /secret no-such-secret not found/);

    await network.remove();
    await secret.remove();
    await config.remove();
    const gone = await rejection(docker.getNetwork('api-net').inspect());
    assert.equal(gone.statusCode, 404);
  });

  await t.test('service remove and swarm leave', async () => {
    await docker.getService(serviceId).remove();
    await waitFor(
      'the tasks to go',
      30_000,
      async () => ((await docker.listTasks()).length === 0 ? true : undefined),
      200,
    );
    await docker.swarmLeave({ force: true });
    assert.equal((await docker.info()).Swarm.LocalNodeState, 'inactive');
  });
});
