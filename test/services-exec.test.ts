// Services on the exec runtime (no Docker Engine): three daemons on 127.0.0.1-3 run the
// service scenarios (test/service-scenarios.ts) as supervised host processes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ContainerSpec, Task } from '../src/store/index.ts';
import { daemonsForTest, freePorts } from '../src/testkit/index.ts';
import { runServiceScenarios } from './service-scenarios.ts';
import { ClusterApi } from './services-support.ts';

test('services run as processes where no engine exists', { timeout: 300_000 }, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'services-exec');
  cluster.daemonArgs = ['--docker', 'none'];
  const [port] = await freePorts(1);
  const n1 = await cluster.add(1, port!);
  const n2 = await cluster.add(2, port!);
  const n3 = await cluster.add(3, port!);
  await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  for (const node of [n2, n3]) {
    const joined = await cluster.joinSwarm(node, token, n1.clusterAddr);
    assert.equal(joined.code, 0, joined.stderr);
  }
  const api = new ClusterApi(n1);
  t.after(() => api.close());
  try {
    await runServiceScenarios(t, cluster, [n1, n2, n3], api, {
      name: 'exec',
      sleep: (seconds) => ({ Image: 'exec:/bin/sleep', Args: [String(seconds)] }),
      shell: (script) => ({ Image: 'exec:/bin/sh', Args: ['-c', script] }),
      sleptFor: (spec?: ContainerSpec) => Number(spec?.Args?.[0]),
      isRunning: async (task: Task) => {
        const pid = task.Status.ContainerStatus?.PID;
        return pid !== undefined && existsSync(`/proc/${pid}`) && !isZombie(pid);
      },
    });
  } finally {
    await api.removeAll();
  }
});

function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return false;
  }
}
