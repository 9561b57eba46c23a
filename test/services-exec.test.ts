import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ContainerSpec, Task } from '../src/store/index.ts';
import { runServiceScenarios } from './service-scenarios.ts';
import { ClusterApi, threeNodeCluster } from './services-support.ts';

test('services run as processes where no engine exists', { timeout: 300_000 }, async (t) => {
  const { cluster, nodes } = await threeNodeCluster(t, 'services-exec', {
    daemonArgs: ['--docker', 'none'],
    joinAs: 'worker',
  });
  const [n1, n2, n3] = nodes;
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
