// The worker's secret and config files on memory-backed storage: where they go, with which
// owner and mode, kept across an agent restart without the data, removed with their task.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { AssignmentSet } from '../../manager/dispatcher/task-protocol.ts';
import type { FileReference, Task } from '../../store/index.ts';
import { makeTempDir, removeTempDirs } from '../../testkit/index.ts';
import { isMemoryBacked, memoryBackedRoot } from './memory-dir.ts';
import { TaskFileStore } from './task-file-store.ts';

process.once('exit', removeTempDirs);
const b64 = (text: string) => Buffer.from(text).toString('base64');
const asRoot = process.getuid?.() === 0;
const shmAvailable = isMemoryBacked('/dev/shm');

/** A root on /dev/shm, removed when the test ends. */
function shmRoot(t: TestContext): string {
  const root = join('/dev/shm', `shoal-test-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(root, { mode: 0o711 });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

function store(root: string): TaskFileStore {
  return new TaskFileStore({
    nodeId: 'node1',
    root,
    facts: () => ({
      nodeId: 'node1',
      hostname: 'h',
      platform: { Architecture: 'x86_64', OS: 'linux' },
    }),
    log: () => {},
  });
}

function task(id: string, secrets: FileReference[], configs: FileReference[] = []): Task {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Labels: {},
    ServiceID: 'svc1',
    ServiceAnnotations: { Name: 'web', Labels: {} },
    Slot: 1,
    DesiredState: 'running',
    Status: { Timestamp: '2024-01-01T00:00:00Z', State: 'assigned', Message: '' },
    Spec: { ContainerSpec: { Image: 'nginx', Secrets: secrets, Configs: configs } },
  };
}

const secretRef = (
  id: string,
  target: string,
  extra: Partial<NonNullable<FileReference['File']>> = {},
) => ({
  SecretID: id,
  SecretName: id,
  File: { Name: target, UID: '0', GID: '0', Mode: 0o444, ...extra },
});

const set = (
  tasks: Task[],
  secrets: AssignmentSet['secrets'] = [],
  configs: AssignmentSet['configs'] = [],
) => ({
  tasks,
  secrets,
  configs,
});

const skip = shmAvailable ? false : 'no tmpfs at /dev/shm';

test('files are written with their owner and mode, in per-task directories', { skip }, (t) => {
  const root = shmRoot(t);
  const files = store(root);
  const one = task(
    't1',
    [secretRef('s1', 'db_pass', { UID: '1000', GID: '1001', Mode: 0o400 })],
    [
      {
        ConfigID: 'c1',
        ConfigName: 'app',
        File: { Name: '/etc/app/app.conf', UID: '0', GID: '0', Mode: 0o644 },
      },
    ],
  );
  files.hold(
    set(
      [one],
      [{ ID: 's1', Name: 's1', Data: b64('hunter2') }],
      [{ ID: 'c1', Name: 'app', Data: b64('a=1') }],
    ),
  );
  const written = files.materialise(one)!;
  assert.equal(written.secretsDir, join(root, 'node1', 't1', 'secrets'));
  assert.equal(written.configsDir, join(root, 'node1', 't1', 'configs'));
  assert.deepEqual(written.entries, [
    {
      kind: 'secret',
      source: join(written.secretsDir, 'db_pass'),
      target: '/run/secrets/db_pass',
      uid: 1000,
      gid: 1001,
      mode: 0o400,
    },
    {
      kind: 'config',
      source: join(written.configsDir, 'etc/app/app.conf'),
      target: '/etc/app/app.conf',
      uid: 0,
      gid: 0,
      mode: 0o644,
    },
  ]);
  const secret = statSync(written.entries[0]!.source);
  assert.equal(readFileSync(written.entries[0]!.source, 'utf8'), 'hunter2');
  assert.equal(secret.mode & 0o777, 0o400);
  if (asRoot) assert.deepEqual([secret.uid, secret.gid], [1000, 1001]);
  assert.equal(statSync(written.secretsDir).mode & 0o777, 0o700);
  assert.equal(readFileSync(written.entries[1]!.source, 'utf8'), 'a=1');
  // No temporary files left beside them.
  assert.deepEqual(readdirSync(written.secretsDir), ['db_pass']);
  // A task without references has no files.
  assert.equal(files.materialise(task('t2', [])), undefined);
});

test('after a restart the files are kept and used without the data; missing data is an error', {
  skip,
}, (t) => {
  const root = shmRoot(t);
  const first = store(root);
  const one = task('t1', [secretRef('s1', 'db_pass')]);
  first.hold(set([one], [{ ID: 's1', Name: 's1', Data: b64('v1') }]));
  const path = first.materialise(one)!.entries[0]!.source;
  const inode = statSync(path).ino;

  const restarted = store(root);
  restarted.hold(set([one]));
  assert.equal(restarted.materialise(one)!.entries[0]!.source, path);
  assert.equal(statSync(path).ino, inode);
  assert.equal(readFileSync(path, 'utf8'), 'v1');

  const other = task('t2', [secretRef('s9', 'x')]);
  assert.equal(restarted.available(one), true, 'written before the restart');
  assert.equal(restarted.available(other), false, 'neither held nor written');
  assert.equal(restarted.available(task('t3', [])), true, 'no files needed');
  assert.throws(() => restarted.materialise(other), {
    message: 'secret s9 (s9) is not available on this node',
  });
  restarted.hold({ ...set([other]), omitted: ['s9'] });
  assert.throws(() => restarted.materialise(other), /reached its bound on secret and config data/);
});

test('removal with the task, strays on the first set, everything on leave', { skip }, (t) => {
  const root = shmRoot(t);
  const files = store(root);
  const tasks = ['t1', 't2', 't3'].map((id) => task(id, [secretRef('s1', 'k')]));
  files.hold(set(tasks, [{ ID: 's1', Name: 's1', Data: b64('v') }]));
  for (const one of tasks) files.materialise(one);
  const nodeDir = join(root, 'node1');
  assert.deepEqual(readdirSync(nodeDir).sort(), ['t1', 't2', 't3']);
  files.remove('t1');
  assert.deepEqual(readdirSync(nodeDir).sort(), ['t2', 't3']);
  files.retain(new Set(['t3']));
  assert.deepEqual(readdirSync(nodeDir), ['t3']);
  files.removeAll();
  assert.equal(existsSync(nodeDir), false);
  assert.throws(() => files.materialise(tasks[2]!), /not available/);
});

test('memory-backed roots: /dev/shm is one, a disk directory is not', { skip }, (t) => {
  const disk = makeTempDir('shoal-not-memory-');
  if (isMemoryBacked(disk)) {
    t.skip('the temp directory is on a tmpfs here');
    return;
  }
  const shm = join(shmRoot(t), 'files');
  assert.equal(memoryBackedRoot({ candidates: [join(disk, 'a'), shm], mayMount: false }), shm);
  assert.equal(statSync(shm).mode & 0o777, 0o711);
  assert.throws(
    () => memoryBackedRoot({ candidates: [join(disk, 'a')], mayMount: false }),
    /no memory-backed directory for secrets and configs: none of .* is on a tmpfs/,
  );
});

test('without a memory-backed directory, root mounts a tmpfs', {
  skip: asRoot ? skip : 'needs root',
}, (t) => {
  const disk = makeTempDir('shoal-mount-');
  if (isMemoryBacked(disk)) {
    t.skip('the temp directory is on a tmpfs here');
    return;
  }
  const target = join(disk, 'task-files');
  t.after(() => {
    try {
      execFileSync('umount', [target], { stdio: 'pipe' });
    } catch {
      // Not mounted: the test failed before mounting.
    }
  });
  let logged = '';
  assert.equal(
    memoryBackedRoot({
      candidates: [target],
      mayMount: true,
      log: (line) => {
        logged = line;
      },
    }),
    target,
  );
  assert.ok(isMemoryBacked(target));
  assert.match(logged, /mounted a 64m tmpfs/);
});
