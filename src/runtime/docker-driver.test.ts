// The docker runtime against a real Docker Engine (started by the testkit when none runs; the
// suite is skipped only when no engine can run here): the conformance suite, then what is
// docker's own (the options a container is created with, the engine's view of its labels).
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  dockerClient,
  ensureBusyboxImage,
  ensureDockerEngine,
  TEST_BUSYBOX_IMAGE,
} from '../testkit/docker.ts';
import { makeTempDir, removeTempDirs, waitFor } from '../testkit/index.ts';
import { runtimeConformance } from './conformance.ts';
import { DockerDriver, probeDocker } from './docker-driver.ts';
import type { RunSpec, RuntimeStatus } from './driver.ts';

const engine = await ensureDockerEngine();
const skip = 'unavailable' in engine ? `no Docker Engine: ${engine.unavailable}` : undefined;
const socketPath = 'unavailable' in engine ? '/var/run/docker.sock' : engine.socketPath;
const nodeId = 'docker-conformance-node';
process.once('exit', removeTempDirs);

runtimeConformance({
  name: 'docker',
  skip,
  nodeId,
  setup: async () => {
    if ('unavailable' in engine) return;
    await ensureBusyboxImage(dockerClient(engine));
  },
  newDriver: () => new DockerDriver({ socketPath, nodeId }),
  shell: (script) => ({ Image: TEST_BUSYBOX_IMAGE, Command: ['sh', '-c'], Args: [script] }),
  // A registry on a closed loopback port: the pull fails at once, without the network.
  missing: () => ({ Image: '127.0.0.1:1/shoal-test/missing:latest' }),
});

test('probeDocker: the engine version, or null where nothing answers', { skip }, async () => {
  const found = await probeDocker(socketPath);
  assert.ok(found !== null && /^\d+\.\d+/.test(found.version), JSON.stringify(found));
  assert.equal(await probeDocker('/nonexistent/docker.sock', 500), null);
});

test('docker: the container carries the spec as swarm creates it', { skip }, async (t) => {
  if ('unavailable' in engine) return;
  const docker = dockerClient(engine);
  await ensureBusyboxImage(docker);
  const driver = new DockerDriver({ socketPath, nodeId });
  const taskId = `dockerspec${Date.now().toString(36)}`;
  t.after(async () => {
    await driver.remove(taskId).catch(() => {});
    await driver.close();
  });
  const spec: RunSpec = {
    taskId,
    name: `spec-test.1.${taskId}`,
    serviceId: 'svc',
    serviceName: 'spec-test',
    slot: 1,
    nodeId,
    container: {
      Image: TEST_BUSYBOX_IMAGE,
      Command: ['sh', '-c'],
      Args: ['while :; do sleep 0.1; done'],
      Env: ['A=1'],
      Hostname: 'spec-host',
      Init: true,
      StopSignal: 'SIGINT',
      StopGracePeriod: 3e9,
      Hosts: ['10.1.2.3 db alias'],
      CapabilityDrop: ['NET_RAW'],
      Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1 << 20 } }],
    },
    resources: { Limits: { MemoryBytes: 64 << 20, Pids: 100 } },
    labels: { 'com.docker.swarm.task.id': taskId, 'com.docker.swarm.node.id': nodeId },
    env: ['B=2'],
  };
  const status = await driver.start(spec);
  assert.equal(status.phase, 'running');
  const info = await docker.getContainer(status.runtimeId!).inspect();
  assert.equal(info.Name, `/${spec.name}`);
  assert.deepEqual(info.Config.Entrypoint, ['sh', '-c']);
  assert.deepEqual(info.Config.Cmd, ['while :; do sleep 0.1; done']);
  assert.ok(info.Config.Env.includes('A=1') && info.Config.Env.includes('B=2'));
  assert.equal(info.Config.Hostname, 'spec-host');
  assert.equal((info.Config as { StopSignal?: string }).StopSignal, 'SIGINT');
  assert.equal((info.Config as { StopTimeout?: number }).StopTimeout, 3);
  assert.equal(info.Config.Labels['com.docker.swarm.task.id'], taskId);
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
  assert.equal(info.HostConfig.Memory, 64 << 20);
  assert.equal(info.HostConfig.PidsLimit, 100);
  assert.deepEqual(info.HostConfig.ExtraHosts, ['db:10.1.2.3', 'alias:10.1.2.3']);
  assert.deepEqual(info.HostConfig.CapDrop, ['NET_RAW']);
  assert.equal((info.HostConfig as { Init?: boolean }).Init, true);
});

test('docker: a driver scoped to another node does not see the task', { skip }, async (t) => {
  if ('unavailable' in engine) return;
  const docker = dockerClient(engine);
  await ensureBusyboxImage(docker);
  const driver = new DockerDriver({ socketPath, nodeId });
  const other = new DockerDriver({ socketPath, nodeId: 'some-other-node' });
  const taskId = `dockerscope${Date.now().toString(36)}`;
  t.after(async () => {
    await driver.remove(taskId).catch(() => {});
    await driver.close();
    await other.close();
  });
  await driver.start({
    taskId,
    name: `scope-test.1.${taskId}`,
    serviceId: 'svc',
    serviceName: 'scope-test',
    nodeId,
    container: { Image: TEST_BUSYBOX_IMAGE, Command: ['sh', '-c', 'exit 0'] },
    labels: { 'com.docker.swarm.task.id': taskId, 'com.docker.swarm.node.id': nodeId },
  });
  assert.equal((await other.inspect(taskId)).phase, 'missing');
  assert.ok(!(await other.list()).some((s) => s.taskId === taskId));
  assert.ok((await driver.list()).some((s) => s.taskId === taskId));
});

/**
 * A unix socket in front of the engine's whose connections can be cut and refused, to break the
 * events stream of a driver that talks through it (the engine itself is real).
 */
async function cuttableProxy(target: string) {
  const path = join(makeTempDir('shoal-docker-proxy-'), 'docker.sock');
  const open = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    /** Cuts every connection and refuses new ones until `resume`. */
    cut() {
      refusing = true;
      for (const socket of open) socket.destroy();
    },
    resume() {
      refusing = false;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('docker: watch reconnects a broken events stream and reports what it missed', {
  skip,
}, async (t) => {
  if ('unavailable' in engine) return;
  await ensureBusyboxImage(dockerClient(engine));
  const proxy = await cuttableProxy(socketPath);
  const direct = new DockerDriver({ socketPath, nodeId });
  const watcher = new DockerDriver({
    socketPath: proxy.path,
    nodeId,
    eventsReconnectDelayMaxMs: 500,
  });
  const taskId = `dockerwatch${Date.now().toString(36)}`;
  t.after(async () => {
    await direct.remove(taskId).catch(() => {});
    await direct.close();
    await watcher.close();
    await proxy.close();
  });
  const seen: RuntimeStatus[] = [];
  t.after(watcher.watch((status) => status.taskId === taskId && seen.push(status)));
  await direct.start({
    taskId,
    name: `watch-test.1.${taskId}`,
    serviceId: 'svc',
    serviceName: 'watch-test',
    nodeId,
    container: { Image: TEST_BUSYBOX_IMAGE, Command: ['sh', '-c', 'while :; do sleep 0.1; done'] },
    labels: { 'com.docker.swarm.task.id': taskId, 'com.docker.swarm.node.id': nodeId },
  });
  await waitFor('the start through watch', 20_000, async () =>
    seen.some((s) => s.phase === 'running') ? true : undefined,
  );
  // The stream breaks; the task stops while the watcher cannot reach the engine.
  proxy.cut();
  await direct.stop(taskId, 0);
  assert.equal((await direct.inspect(taskId)).phase, 'exited');
  assert.ok(!seen.some((s) => s.phase === 'exited'));
  proxy.resume();
  const exited = await waitFor('the missed exit after reconnecting', 20_000, async () =>
    seen.find((s) => s.phase === 'exited'),
  );
  assert.equal(exited.exitCode, 137);
});
