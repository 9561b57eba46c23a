// The exec runtime: the conformance suite on host processes, then what is exec's own: fields
// it refuses, Command/Args as argv, the default working directory, bounded logs, output
// written while no driver reads, and the exit of a process adopted after a restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { ContainerSpec } from '../store/index.ts';
import { makeTempDir, removeTempDirs, waitFor } from '../testkit/index.ts';
import { runtimeConformance } from './conformance.ts';
import { type LogEntry, type RunSpec, RuntimeError, type RuntimeStatus } from './driver.ts';
import { EXIT_UNKNOWN_ERROR, ExecDriver, type ExecDriverOptions } from './exec-driver.ts';
import { LOG_FILE, ROTATED_LOG_FILE } from './exec-logs.ts';

const stateDir = makeTempDir('shoal-exec-conformance-');
process.once('exit', removeTempDirs);

runtimeConformance({
  name: 'exec',
  newDriver: () => new ExecDriver({ stateDir, pollIntervalMs: 100 }),
  shell: (script) => ({ Image: 'exec:sh', Args: ['-c', script] }),
  missing: () => ({ Image: 'exec:/nonexistent/shoal-missing-program' }),
});

let counter = 0;

function spec(container: ContainerSpec): RunSpec {
  const taskId = `exectest${process.pid}x${++counter}`;
  return {
    taskId,
    name: `exec-test.1.${taskId}`,
    serviceId: 'svc',
    serviceName: 'exec-test',
    slot: 1,
    nodeId: 'node',
    container,
    labels: { 'com.docker.swarm.task.id': taskId },
  };
}

function driverFor(t: TestContext, options: Partial<ExecDriverOptions> = {}) {
  const dir = options.stateDir ?? makeTempDir('shoal-exec-');
  const driver = new ExecDriver({ stateDir: dir, pollIntervalMs: 100, ...options });
  t.after(async () => {
    for (const status of await driver.list()) await driver.remove(status.taskId);
    await driver.close();
  });
  return { driver, dir };
}

async function lines(driver: ExecDriver, taskId: string, tail?: number): Promise<string[]> {
  const entries: LogEntry[] = [];
  for await (const entry of driver.logs(taskId, tail === undefined ? {} : { tail })) {
    entries.push(entry);
  }
  return entries.map((e) => e.line.toString());
}

async function exited(driver: ExecDriver, taskId: string): Promise<RuntimeStatus> {
  return waitFor(`${taskId} to exit`, 20_000, async () => {
    const status = await driver.inspect(taskId);
    return status.phase === 'exited' ? status : undefined;
  });
}

test('prepare refuses what a host process cannot honour, naming the field', async (t) => {
  const { driver } = driverFor(t);
  const cases: [Partial<ContainerSpec>, string][] = [
    [{ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }, 'Mounts'],
    [{ Privileged: true }, 'Privileged'],
    [{ CapabilityAdd: ['NET_ADMIN'] }, 'CapabilityAdd'],
    [{ Sysctls: { 'net.core.somaxconn': '1024' } }, 'Sysctls'],
    [{ ReadOnly: true }, 'ReadOnly'],
    [
      {
        Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }],
      },
      'Devices',
    ],
  ];
  for (const [extra, field] of cases) {
    const s = spec({ Image: 'exec:sh', ...extra });
    await assert.rejects(driver.prepare(s), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.retryable, false);
      assert.match(error.message, new RegExp(`\\b${field}\\b`));
      return true;
    });
    await assert.rejects(driver.start(s), RuntimeError);
  }
  // Empty values are not uses.
  await driver.prepare(spec({ Image: 'exec:sh', Mounts: [], Privileged: false, Sysctls: {} }));
  await assert.rejects(
    driver.prepare(spec({ Image: 'exec:sh', Dir: '/nonexistent/dir' })),
    /working directory/,
  );
  await assert.rejects(
    driver.prepare(spec({ Image: 'exec:sh', User: 'no-such-user-x' })),
    /unable to find user/,
  );
  await assert.rejects(
    driver.prepare(spec({ Image: 'exec:sh', StopSignal: 'SIGNOPE' })),
    /stop signal/,
  );
});

test('Command replaces the program, Args follow; default directory and HOME', async (t) => {
  const { driver, dir } = driverFor(t);
  const s = spec({
    Image: 'exec:/nonexistent/ignored-when-command-given',
    Command: ['/bin/sh', '-c', 'echo "$0 $1 $(pwd) $HOME $PATH"'],
    Args: ['first', 'second'],
  });
  await driver.start(s);
  assert.equal((await exited(driver, s.taskId)).exitCode, 0);
  const workDir = join(dir, 'tasks', s.taskId, 'work');
  const expected = `first second ${workDir} ${workDir} /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n`;
  await waitFor('the output', 10_000, async () =>
    (await lines(driver, s.taskId)).includes(expected) ? true : undefined,
  );
  await driver.remove(s.taskId);
  assert.throws(() => statSync(join(dir, 'tasks', s.taskId)), /ENOENT/);
});

test('logs stay within two files of logFileBytesMax and keep the newest lines', async (t) => {
  const bytesMax = 64 * 1024;
  const { driver, dir } = driverFor(t, { logFileBytesMax: bytesMax });
  // About 1 MiB of output in 100-byte lines.
  const s = spec({
    Image: 'exec:sh',
    Args: [
      '-c',
      'i=0; while [ $i -lt 10000 ]; do printf "%-98d\\n" $i; i=$((i+1)); done; echo last-line',
    ],
  });
  await driver.start(s);
  await exited(driver, s.taskId);
  const all = await waitFor('the last line', 20_000, async () => {
    const got = await lines(driver, s.taskId);
    return got.at(-1) === 'last-line\n' ? got : undefined;
  });
  const taskDir = join(dir, 'tasks', s.taskId);
  const total =
    statSync(join(taskDir, LOG_FILE)).size + statSync(join(taskDir, ROTATED_LOG_FILE)).size;
  // Each record carries ~40 bytes of timestamp and stream besides its line.
  assert.ok(total <= 2 * bytesMax, `${total} bytes of logs`);
  assert.ok(all.length > 100 && all.length < 10_000, `${all.length} lines kept`);
  const numbers = all.slice(0, -1).map((line) => Number(line.trim()));
  assert.ok(
    numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1),
    'lines in order, none lost',
  );
  assert.equal(numbers.at(-1), 9999);
  assert.deepEqual(await lines(driver, s.taskId, 1), ['last-line\n']);
});

test('output written while no driver reads arrives after adoption', async (t) => {
  const dir = makeTempDir('shoal-exec-adopt-');
  const first = new ExecDriver({ stateDir: dir, pollIntervalMs: 100 });
  const s = spec({
    Image: 'exec:sh',
    Args: [
      '-c',
      'echo early; read line < "$0"; echo late; while :; do sleep 0.1; done',
      join(dir, 'go.fifo'),
    ],
  });
  // The process waits on a FIFO we open once no driver reads its output.
  execFileSync('mkfifo', [join(dir, 'go.fifo')]);
  await first.start(s);
  await waitFor('early', 10_000, async () =>
    (await lines(first, s.taskId)).includes('early\n') ? true : undefined,
  );
  await first.close();
  writeFileSync(join(dir, 'go.fifo'), 'go\n');
  const { driver: second } = driverFor(t, { stateDir: dir });
  const found = await second.inspect(s.taskId);
  assert.equal(found.phase, 'running');
  await waitFor('late', 10_000, async () =>
    (await lines(second, s.taskId)).includes('late\n') ? true : undefined,
  );
  assert.deepEqual(await lines(second, s.taskId), ['early\n', 'late\n']);
});

test('an adopted process that exits has an unknown exit status', async (t) => {
  const dir = makeTempDir('shoal-exec-unknown-');
  const gate = join(dir, 'gate.fifo');
  execFileSync('mkfifo', [gate]);
  const first = new ExecDriver({ stateDir: dir, pollIntervalMs: 50 });
  const s = spec({ Image: 'exec:sh', Args: ['-c', 'read line < "$0"; exit 7', gate] });
  await first.start(s);
  await first.close();
  const { driver: second } = driverFor(t, { stateDir: dir });
  const statuses: RuntimeStatus[] = [];
  t.after(second.watch((status) => statuses.push(status)));
  assert.equal((await second.inspect(s.taskId)).phase, 'running');
  writeFileSync(gate, 'go\n');
  const status = await exited(second, s.taskId);
  assert.equal(status.exitCode, -1);
  assert.equal(status.error, EXIT_UNKNOWN_ERROR);
  assert.ok(statuses.some((x) => x.phase === 'exited' && x.exitCode === -1));
});

test('limits are best effort: without cgroup v2 the task runs, with one warning', async (t) => {
  const warnings: string[] = [];
  const { driver } = driverFor(t, {
    cgroupRoot: makeTempDir('shoal-not-a-cgroup-'),
    logger: { warn: (message) => warnings.push(message) },
  });
  for (let i = 0; i < 2; i++) {
    const s = spec({ Image: 'exec:sh', Args: ['-c', 'exit 0'] });
    s.resources = { Limits: { MemoryBytes: 64 << 20, NanoCPUs: 5e8, Pids: 50 } };
    await driver.start(s);
    assert.equal((await exited(driver, s.taskId)).exitCode, 0);
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /cgroup v2/);
});

test('a program that cannot start is a RuntimeError and leaves nothing', async (t) => {
  const { driver, dir } = driverFor(t);
  const programs = makeTempDir('shoal-exec-program-');
  const plain = join(programs, 'not-executable');
  writeFileSync(plain, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  await assert.rejects(driver.start(spec({ Image: `exec:${plain}` })), /exec program not found/);
  if (process.getuid?.() !== 0) return;
  // Executable by root only, started as nobody: the spawn itself fails.
  const program = join(programs, 'root-only');
  writeFileSync(program, '#!/bin/sh\nexit 0\n');
  chmodSync(program, 0o700);
  const s = spec({ Image: `exec:${program}`, User: '65534:65534', Dir: '/' });
  await assert.rejects(driver.start(s), (error: unknown) => {
    assert.ok(error instanceof RuntimeError);
    assert.match(error.message, /EACCES/);
    return true;
  });
  assert.equal((await driver.inspect(s.taskId)).phase, 'missing');
  assert.throws(() => statSync(join(dir, 'tasks', s.taskId)), /ENOENT/);
});
