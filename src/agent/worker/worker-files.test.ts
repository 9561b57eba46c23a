// The worker with a real exec driver: a task's secret reaches its process through files on
// memory-backed storage, tasks.json never holds the data, and the files go with the task.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TaskStatusUpdate } from '../../manager/dispatcher/task-protocol.ts';
import { ExecDriver } from '../../runtime/index.ts';
import type { Task } from '../../store/index.ts';
import { makeTempDir, removeTempDirs, waitFor } from '../../testkit/index.ts';
import { isMemoryBacked } from './memory-dir.ts';
import { TASKS_FILE, Worker } from './worker.ts';

process.once('exit', removeTempDirs);
const skip = isMemoryBacked('/dev/shm') ? false : 'no tmpfs at /dev/shm';

function task(id: string, script: string): Task {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Labels: {},
    ServiceID: 'svc1',
    ServiceAnnotations: { Name: 'files', Labels: {} },
    Slot: 1,
    NodeID: 'node1',
    DesiredState: 'running',
    Status: { Timestamp: '2024-01-01T00:00:00Z', State: 'assigned', Message: 'assigned' },
    Spec: {
      ContainerSpec: {
        Image: 'exec:/bin/sh',
        Args: ['-c', script],
        Secrets: [
          {
            SecretID: 's1',
            SecretName: 'token',
            File: { Name: 'token', UID: '0', GID: '0', Mode: 0o400 },
          },
        ],
      },
    },
  };
}

test('secret files for an exec task: read by it, never persisted, removed with it', {
  skip,
}, async (t) => {
  const dir = makeTempDir('shoal-worker-files-');
  const filesRoot = join('/dev/shm', `shoal-worker-test-${process.pid}`);
  mkdirSync(filesRoot, { mode: 0o711 });
  t.after(() => rmSync(filesRoot, { recursive: true, force: true }));
  const driver = new ExecDriver({ stateDir: join(dir, 'exec'), pollIntervalMs: 100 });
  const statuses: TaskStatusUpdate[] = [];
  const worker = new Worker({
    nodeId: 'node1',
    hostname: 'h',
    drivers: { exec: driver },
    dir,
    filesRoot,
    report: (updates) => statuses.push(...updates),
  });
  t.after(async () => {
    await worker.removeAll();
    worker.stop();
    await driver.close();
  });
  worker.start();
  const secret = 'token-value-7f3a';
  const one = task(
    't1',
    'cat "$SHOAL_SECRETS_DIR/token" > "$SHOAL_SECRETS_DIR/../seen"; exec sleep 100',
  );
  worker.setAssignments({
    tasks: [one],
    secrets: [{ ID: 's1', Name: 'token', Data: Buffer.from(secret).toString('base64') }],
  });
  const taskDir = join(filesRoot, 'node1', 't1');
  await waitFor('the task to run', 20_000, async () =>
    statuses.some((s) => s.ID === 't1' && s.Status.State === 'running') ? true : undefined,
  );
  const seen = await waitFor('the task to read its secret', 20_000, async () => {
    const path = join(taskDir, 'seen');
    return existsSync(path) && readFileSync(path, 'utf8') !== ''
      ? readFileSync(path, 'utf8')
      : undefined;
  });
  assert.equal(seen, secret);
  const persisted = readFileSync(join(dir, TASKS_FILE), 'utf8');
  assert.ok(persisted.includes('"t1"'));
  assert.ok(
    !persisted.includes(Buffer.from(secret).toString('base64')) && !persisted.includes(secret),
  );

  // The task leaves the set: stopped, removed, and its files with it.
  worker.setAssignments({ tasks: [] });
  await waitFor('the task files to go', 20_000, async () =>
    existsSync(taskDir) ? undefined : true,
  );
});
