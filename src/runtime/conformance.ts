// The one conformance suite every RuntimeDriver passes (docker-driver.test.ts and
// exec-driver.test.ts call it): logs of both streams with timestamps, tail, since and follow;
// exit codes through watch and inspect; stop with a grace period, whether the process ignores
// or handles SIGTERM; list and adoption by a new driver instance (an agent restart) without
// duplicates; remove; healthchecks passing and failing; environment, working directory and
// user; prepare of something that does not exist; secret and config files (written as the
// agent writes them, on a tmpfs) seen by the task with their content, mode and owner. Each test
// removes what it started and closes its drivers. Not exported from index.ts: it defines
// node:test tests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, type TestContext, test } from 'node:test';
import type { ContainerSpec } from '../store/index.ts';
import { waitFor } from '../testkit/index.ts';
import {
  type LogEntry,
  type LogOptions,
  type RunSpec,
  type RuntimeDriver,
  RuntimeError,
  type RuntimeStatus,
  type TaskFile,
  type TaskFiles,
} from './driver.ts';
import { rfc3339ToUnixSeconds } from './timestamps.ts';

export interface ConformanceOptions {
  /** The driver's name, in test names. */
  name: string;
  /** Why the driver cannot run here; every test is then skipped with this message. */
  skip?: string;
  /** Runs once before the tests (an image to import, ...). */
  setup?: () => Promise<void>;
  /** A new driver instance on the same node state (called again to simulate a restart). */
  newDriver: () => RuntimeDriver;
  /** A ContainerSpec that runs `script` with a POSIX shell (`sh -c script`). */
  shell: (script: string) => ContainerSpec;
  /** A ContainerSpec whose image (docker) or program (exec) does not exist. */
  missing: () => ContainerSpec;
  /** Node ID the specs carry (a driver scoped to a node sees only its own). */
  nodeId?: string;
}

const WAIT_MS = 30_000;
const TMPFS_MAGIC = 0x01021994;

/** True when /dev/shm is a tmpfs, where the files test writes what the agent would. */
function shmIsTmpfs(): boolean {
  try {
    return Number(statfsSync('/dev/shm').type) === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Writes files the way the agent's worker does (src/agent/worker/task-file-store.ts): one
 * directory per kind, each file at its target's relative path, with its owner and mode.
 */
function writeTaskFiles(
  root: string,
  files: (Omit<TaskFile, 'source'> & { relativePath: string; content: string })[],
): TaskFiles {
  const taskFiles: TaskFiles = {
    secretsDir: join(root, 'secrets'),
    configsDir: join(root, 'configs'),
    entries: [],
  };
  mkdirSync(taskFiles.secretsDir, { recursive: true, mode: 0o700 });
  mkdirSync(taskFiles.configsDir, { recursive: true, mode: 0o700 });
  for (const { relativePath, content, ...file } of files) {
    const dir = file.kind === 'secret' ? taskFiles.secretsDir : taskFiles.configsDir;
    const source = join(dir, relativePath);
    mkdirSync(dirname(source), { recursive: true, mode: 0o755 });
    writeFileSync(source, content);
    if (process.getuid?.() === 0) chownSync(source, file.uid, file.gid);
    chmodSync(source, file.mode);
    taskFiles.entries.push({ ...file, source });
  }
  return taskFiles;
}
const NANOS_PER_MS = 1e6;

/** A swarm-like task ID (25 lowercase alphanumerics). */
function newTaskId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(25)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Defines the suite's tests for the driver `options` describes. */
export function runtimeConformance(options: ConformanceOptions): void {
  const nodeId = options.nodeId ?? 'conformance-node';

  function runSpec(container: ContainerSpec, env?: string[]): RunSpec {
    const taskId = newTaskId();
    const serviceName = `conformance-${options.name}`;
    const name = `${serviceName}.1.${taskId}`;
    const spec: RunSpec = {
      taskId,
      name,
      serviceId: 'conformance-service',
      serviceName,
      slot: 1,
      nodeId,
      container,
      labels: {
        'com.docker.swarm.node.id': nodeId,
        'com.docker.swarm.service.id': 'conformance-service',
        'com.docker.swarm.service.name': serviceName,
        'com.docker.swarm.task': '',
        'com.docker.swarm.task.id': taskId,
        'com.docker.swarm.task.name': name,
      },
    };
    if (env !== undefined) spec.env = env;
    return spec;
  }

  /** A driver whose tasks are removed, and which is closed, when the test ends. */
  function driverFor(t: TestContext, taskIds: string[]): RuntimeDriver {
    const driver = options.newDriver();
    t.after(async () => {
      for (const taskId of taskIds) await driver.remove(taskId).catch(() => {});
      await driver.close();
    });
    return driver;
  }

  async function startTask(
    t: TestContext,
    driver: RuntimeDriver,
    spec: RunSpec,
    cleanup: string[],
  ): Promise<RuntimeStatus> {
    cleanup.push(spec.taskId);
    await driver.prepare(spec);
    const status = await driver.start(spec);
    assert.equal(status.taskId, spec.taskId);
    assert.notEqual(status.phase, 'missing');
    t.diagnostic(`${spec.taskId}: ${status.phase} ${status.runtimeId ?? ''}`);
    return status;
  }

  async function collect(
    driver: RuntimeDriver,
    taskId: string,
    logOptions: LogOptions = {},
  ): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    for await (const entry of driver.logs(taskId, logOptions)) entries.push(entry);
    return entries;
  }

  const text = (entries: LogEntry[], stream?: LogEntry['stream']) =>
    entries
      .filter((e) => stream === undefined || e.stream === stream)
      .map((e) => e.line.toString('utf8'));

  function waitForPhase(driver: RuntimeDriver, taskId: string, phase: string) {
    return waitFor(`task ${taskId} ${phase}`, WAIT_MS, async () => {
      const status = await driver.inspect(taskId);
      return status.phase === phase ? status : undefined;
    });
  }

  function waitForLine(driver: RuntimeDriver, taskId: string, line: string) {
    return waitFor(`"${line}" in the logs of ${taskId}`, WAIT_MS, async () => {
      const lines = text(await collect(driver, taskId));
      return lines.includes(`${line}\n`) ? true : undefined;
    });
  }

  describe(`${options.name} runtime conformance`, { skip: options.skip ?? false }, () => {
    before(async () => {
      await options.setup?.();
    });

    test('logs: both streams with timestamps, tail and since', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const spec = runSpec(
        options.shell('echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2; echo out-3'),
      );
      const startedMs = Date.now();
      await startTask(t, driver, spec, cleanup);
      await waitForPhase(driver, spec.taskId, 'exited');
      // Output may reach the logs a moment after the exit.
      const all = await waitFor('all five lines', WAIT_MS, async () => {
        const entries = await collect(driver, spec.taskId);
        return entries.length >= 5 ? entries : undefined;
      });
      assert.deepEqual(text(all, 'stdout'), ['out-1\n', 'out-2\n', 'out-3\n']);
      assert.deepEqual(text(all, 'stderr'), ['err-1\n', 'err-2\n']);
      for (const entry of all) {
        assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        const seconds = rfc3339ToUnixSeconds(entry.time);
        assert.ok(Math.abs(seconds * 1000 - startedMs) < 60_000, `${entry.time} is now`);
      }
      const tail = await collect(driver, spec.taskId, { tail: 2 });
      assert.deepEqual(text(tail), text(all).slice(-2));
      assert.deepEqual(await collect(driver, spec.taskId, { tail: 0 }), []);
      const future = Date.now() / 1000 + 3600;
      assert.deepEqual(await collect(driver, spec.taskId, { since: future }), []);
      assert.equal((await collect(driver, spec.taskId, { since: 0 })).length, all.length);
    });

    test('logs: follow delivers new lines and ends with the task or on abort', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const spec = runSpec(
        options.shell(
          'trap "exit 0" TERM; i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.1; done',
        ),
      );
      await startTask(t, driver, spec, cleanup);
      await waitForLine(driver, spec.taskId, 'tick-0');

      // Aborting ends the iteration.
      const abort = new AbortController();
      let aborted = 0;
      for await (const entry of driver.logs(spec.taskId, {
        follow: true,
        tail: 0,
        signal: abort.signal,
      })) {
        if (entry.stream === 'stdout') assert.match(entry.line.toString(), /^tick-\d+\n$/);
        if (++aborted === 2) abort.abort();
      }
      assert.ok(aborted >= 2);

      // Follow from now on: only new lines, and the iteration ends when the task does.
      const seen: string[] = [];
      let stopping: Promise<void> | undefined;
      for await (const entry of driver.logs(spec.taskId, { follow: true, tail: 0 })) {
        // A shell may report the sleep that the stop signal ended ("Terminated").
        if (entry.stream !== 'stdout') continue;
        seen.push(entry.line.toString());
        if (seen.length === 3) stopping = driver.stop(spec.taskId, 10_000);
        assert.ok(seen.length < 1000, 'follow did not end when the task stopped');
      }
      await stopping;
      assert.ok(seen.length >= 3);
      const numbers = seen.map((line) => Number(/^tick-(\d+)\n$/.exec(line)?.[1]));
      assert.ok(
        numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1),
        seen.join(''),
      );
    });

    test('exit code through watch and inspect', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const spec = runSpec(options.shell('echo bye; exit 3'));
      const seen: RuntimeStatus[] = [];
      const unwatch = driver.watch((status) => {
        if (status.taskId === spec.taskId) seen.push(status);
      });
      t.after(unwatch);
      await startTask(t, driver, spec, cleanup);
      const exited = await waitFor('the exit through watch', WAIT_MS, async () =>
        seen.find((s) => s.phase === 'exited'),
      );
      assert.equal(exited.exitCode, 3);
      const status = await driver.inspect(spec.taskId);
      assert.equal(status.phase, 'exited');
      assert.equal(status.exitCode, 3);
      assert.ok(status.startedAt !== undefined && status.finishedAt !== undefined);
      // The engine stamps StartedAt once its start call returns, which a process that exits at
      // once may beat: FinishedAt can then precede StartedAt by a little. Both are real times.
      assert.ok(
        rfc3339ToUnixSeconds(status.finishedAt) >= rfc3339ToUnixSeconds(status.startedAt) - 1,
      );
      assert.equal(status.error, undefined);
      assert.equal(status.health, 'none');
    });

    test('stop: a process that ignores SIGTERM is killed after the grace period', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const spec = runSpec(options.shell("trap '' TERM; echo ready; while :; do sleep 0.1; done"));
      await startTask(t, driver, spec, cleanup);
      await waitForLine(driver, spec.taskId, 'ready');
      const startMs = Date.now();
      await driver.stop(spec.taskId, 1000);
      const elapsedMs = Date.now() - startMs;
      assert.ok(elapsedMs >= 900, `stopped after ${elapsedMs} ms, before the grace period`);
      assert.ok(elapsedMs < 15_000, `stopped after ${elapsedMs} ms`);
      const status = await driver.inspect(spec.taskId);
      assert.equal(status.phase, 'exited');
      assert.equal(status.exitCode, 137);
      await driver.stop(spec.taskId, 1000); // stopping a stopped task is a no-op
    });

    test('stop: a process that handles SIGTERM exits within the grace period', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const spec = runSpec(
        options.shell("trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done"),
      );
      await startTask(t, driver, spec, cleanup);
      await waitForLine(driver, spec.taskId, 'ready');
      const startMs = Date.now();
      await driver.stop(spec.taskId, 20_000);
      const elapsedMs = Date.now() - startMs;
      assert.ok(elapsedMs < 10_000, `stopped after ${elapsedMs} ms`);
      const status = await driver.inspect(spec.taskId);
      assert.equal(status.phase, 'exited');
      assert.equal(status.exitCode, 0);
      await waitForLine(driver, spec.taskId, 'bye');
    });

    test('list, and adoption by a new driver without duplicates', async (t) => {
      const cleanup: string[] = [];
      const first = driverFor(t, []);
      const spec = runSpec(options.shell('echo adopted-1; while :; do sleep 0.1; done'));
      const started = await startTask(t, first, spec, cleanup);
      await waitForLine(first, spec.taskId, 'adopted-1');
      const listed = (await first.list()).filter((s) => s.taskId === spec.taskId);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.phase, 'running');
      await first.close();

      // The agent restarts: a new driver finds the task and does not start it again.
      const second = driverFor(t, cleanup);
      const found = (await second.list()).filter((s) => s.taskId === spec.taskId);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.phase, 'running');
      assert.equal(found[0]!.runtimeId, started.runtimeId);
      const again = await second.start(spec);
      assert.equal(again.phase, 'running');
      assert.equal(again.runtimeId, started.runtimeId);
      assert.equal(again.pid, started.pid);
      const inspected = await second.inspect(spec.taskId);
      assert.equal(inspected.runtimeId, started.runtimeId);
      assert.equal((await second.list()).filter((s) => s.taskId === spec.taskId).length, 1);
      assert.ok(text(await collect(second, spec.taskId)).includes('adopted-1\n'));
      await second.stop(spec.taskId, 1000);
      assert.equal((await second.inspect(spec.taskId)).phase, 'exited');
    });

    test('remove cleans up and is idempotent', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const spec = runSpec(options.shell('while :; do sleep 0.1; done'));
      await startTask(t, driver, spec, cleanup);
      await driver.remove(spec.taskId);
      assert.equal((await driver.inspect(spec.taskId)).phase, 'missing');
      assert.equal((await driver.list()).filter((s) => s.taskId === spec.taskId).length, 0);
      await driver.remove(spec.taskId);
      await driver.stop(spec.taskId, 1000);
      await assert.rejects(collect(driver, spec.taskId), RuntimeError);
    });

    test('healthcheck: a passing check makes the task healthy', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const container = options.shell('while :; do sleep 0.1; done');
      container.Healthcheck = {
        Test: ['CMD-SHELL', 'exit 0'],
        Interval: 200 * NANOS_PER_MS,
        Timeout: 5000 * NANOS_PER_MS,
        Retries: 1,
      };
      const spec = runSpec(container);
      const seen: RuntimeStatus[] = [];
      t.after(driver.watch((s) => s.taskId === spec.taskId && seen.push(s)));
      const started = await startTask(t, driver, spec, cleanup);
      assert.ok(started.health === 'starting' || started.health === 'healthy', started.health);
      await waitFor('healthy through watch', WAIT_MS, async () =>
        seen.some((s) => s.health === 'healthy') ? true : undefined,
      );
      assert.equal((await driver.inspect(spec.taskId)).health, 'healthy');
    });

    test('healthcheck: a failing check makes the task unhealthy', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const container = options.shell('while :; do sleep 0.1; done');
      container.Healthcheck = {
        Test: ['CMD', 'sh', '-c', 'exit 1'],
        Interval: 200 * NANOS_PER_MS,
        Timeout: 5000 * NANOS_PER_MS,
        Retries: 2,
      };
      const spec = runSpec(container);
      const seen: RuntimeStatus[] = [];
      t.after(driver.watch((s) => s.taskId === spec.taskId && seen.push(s)));
      await startTask(t, driver, spec, cleanup);
      await waitFor('unhealthy through watch', WAIT_MS, async () =>
        seen.some((s) => s.health === 'unhealthy') ? true : undefined,
      );
      assert.equal((await driver.inspect(spec.taskId)).health, 'unhealthy');
      assert.ok(!seen.some((s) => s.health === 'healthy'));
    });

    test('environment, working directory and user', async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const asRoot = process.getuid?.() === 0;
      const container = options.shell('echo "$(id -u):$(id -g) $(pwd) $GREETING $EXTRA"');
      container.Env = ['GREETING=hello', 'EXTRA=overridden'];
      container.Dir = '/tmp';
      if (asRoot) container.User = '65534:65534';
      const spec = runSpec(container, ['EXTRA=extra']);
      await startTask(t, driver, spec, cleanup);
      const status = await waitForPhase(driver, spec.taskId, 'exited');
      assert.equal(status.exitCode, 0);
      const ids = asRoot ? '65534:65534' : `${process.getuid?.()}:${process.getgid?.()}`;
      await waitForLine(driver, spec.taskId, `${ids} /tmp hello extra`);
    });

    test('secret and config files: content, mode and owner as the task sees them', {
      skip: shmIsTmpfs() ? false : 'no tmpfs at /dev/shm',
    }, async (t) => {
      const cleanup: string[] = [];
      const driver = driverFor(t, cleanup);
      const asRoot = process.getuid?.() === 0;
      const [uid, gid] = asRoot ? [1234, 5678] : [process.getuid?.() ?? 0, process.getgid?.() ?? 0];
      const root = join('/dev/shm', `shoal-conformance-${randomBytes(6).toString('hex')}`);
      t.after(() => rmSync(root, { recursive: true, force: true }));
      const files = writeTaskFiles(root, [
        {
          kind: 'secret',
          relativePath: 'db_pass',
          target: '/run/secrets/db_pass',
          content: 'hunter2',
          uid,
          gid,
          mode: 0o440,
        },
        {
          kind: 'config',
          relativePath: 'etc/shoal-conformance/app.conf',
          target: '/etc/shoal-conformance/app.conf',
          content: 'port=8080',
          uid,
          gid,
          mode: 0o644,
        },
      ]);
      // Where each driver shows them: exec names its directories in the environment, a
      // container has them at their targets.
      const container = options.shell(
        [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
          's=${SHOAL_SECRETS_DIR:-/run/secrets}; c=${SHOAL_CONFIGS_DIR:-}',
          'echo "secret=$(cat $s/db_pass) $(stat -c \'%a %u:%g\' $s/db_pass)"',
          'echo "config=$(cat $c/etc/shoal-conformance/app.conf) $(stat -c \'%a %u:%g\' $c/etc/shoal-conformance/app.conf)"',
          'if [ -n "$SHOAL_SECRETS_DIR" ]; then echo "dirs=$(stat -c %a $SHOAL_SECRETS_DIR) $(stat -c %a $SHOAL_CONFIGS_DIR)"; fi',
        ].join('; '),
      );
      container.Secrets = [
        {
          SecretID: 's1',
          SecretName: 'db_pass',
          File: { Name: 'db_pass', UID: String(uid), GID: String(gid), Mode: 0o440 },
        },
      ];
      container.Configs = [
        {
          ConfigID: 'c1',
          ConfigName: 'app',
          File: {
            Name: '/etc/shoal-conformance/app.conf',
            UID: String(uid),
            GID: String(gid),
            Mode: 0o644,
          },
        },
      ];
      const spec = runSpec(container);
      spec.files = files;
      await startTask(t, driver, spec, cleanup);
      const status = await waitForPhase(driver, spec.taskId, 'exited');
      assert.equal(status.exitCode, 0, text(await collect(driver, spec.taskId)).join(''));
      await waitForLine(driver, spec.taskId, `secret=hunter2 440 ${uid}:${gid}`);
      await waitForLine(driver, spec.taskId, `config=port=8080 644 ${uid}:${gid}`);
      const dirs = text(await collect(driver, spec.taskId)).find((line) =>
        line.startsWith('dirs='),
      );
      if (dirs !== undefined) assert.equal(dirs, 'dirs=700 700\n');
    });

    test('prepare of a missing image or program is a RuntimeError naming it', async (t) => {
      const driver = driverFor(t, []);
      const spec = runSpec(options.missing());
      await assert.rejects(driver.prepare(spec), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, String(error));
        assert.ok(error.message.includes(spec.container.Image), error.message);
        return true;
      });
      assert.equal((await driver.inspect(spec.taskId)).phase, 'missing');
    });
  });
}
