// The exec runtime's pure rules: programs, argv, environment, users, signals, healthchecks,
// /proc/PID/stat and cgroup limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RunSpec, RuntimeError, type TaskFiles } from './driver.ts';
import { cgroupLimits, parseOomKills } from './exec-cgroup.ts';
import { parseProcStat, readProcStat } from './exec-proc.ts';
import {
  applyEnv,
  argvOf,
  assertTaskId,
  CONFIGS_DIR_ENV,
  checkFiles,
  checkSupported,
  DEFAULT_PATH,
  environmentOf,
  exitCodeOfSignal,
  healthPlanOf,
  parseGroup,
  parsePasswd,
  parseSignal,
  programOf,
  resolveProgram,
  resolveUser,
  SECRETS_DIR_ENV,
  specHash,
} from './exec-spec.ts';

test('exec:PROGRAM and argv: Command replaces the program, Args follow', () => {
  assert.equal(programOf('exec:/usr/bin/python3'), '/usr/bin/python3');
  assert.throws(() => programOf('exec:'), RuntimeError);
  assert.throws(() => programOf('nginx'), RuntimeError);
  assert.deepEqual(argvOf({ Image: 'exec:node' }), ['node']);
  assert.deepEqual(argvOf({ Image: 'exec:node', Args: ['app.js'] }), ['node', 'app.js']);
  assert.deepEqual(argvOf({ Image: 'exec:node', Command: ['/bin/sh', '-c'], Args: ['x'] }), [
    '/bin/sh',
    '-c',
    'x',
  ]);
  assert.deepEqual(argvOf({ Image: 'exec:node', Command: [] }), ['node']);
});

test('programs: absolute paths as they are, names through PATH, relative paths refused', () => {
  const executables = new Set(['/usr/bin/node', '/opt/bin/node', '/bin/sh']);
  const isExecutable = (path: string) => executables.has(path);
  assert.equal(resolveProgram('/bin/sh', DEFAULT_PATH, isExecutable), '/bin/sh');
  assert.equal(resolveProgram('/bin/nope', DEFAULT_PATH, isExecutable), undefined);
  assert.equal(resolveProgram('node', DEFAULT_PATH, isExecutable), '/usr/bin/node');
  assert.equal(resolveProgram('node', '/opt/bin/:/usr/bin', isExecutable), '/opt/bin/node');
  assert.equal(resolveProgram('node', ':relative:/usr/bin', isExecutable), '/usr/bin/node');
  assert.equal(resolveProgram('nope', DEFAULT_PATH, isExecutable), undefined);
  assert.throws(() => resolveProgram('./node', DEFAULT_PATH, isExecutable), /absolute path/);
});

test('environment: a minimal base, the spec, then the runtime extras; "K" unsets', () => {
  assert.deepEqual(applyEnv({ A: '1' }, ['B=2', 'A', 'C=x=y', '=bad']), { B: '2', C: 'x=y' });
  const spec = {
    container: { Image: 'exec:x', Env: ['PATH=/opt/bin', 'MODE=dev'] },
    env: ['MODE=prod', 'PORT=8080'],
  } as RunSpec;
  assert.deepEqual(environmentOf(spec, '/home/app'), {
    PATH: '/opt/bin',
    HOME: '/home/app',
    MODE: 'prod',
    PORT: '8080',
  });
});

test('secrets and configs: directories named last in the environment, files required', () => {
  const files: TaskFiles = {
    secretsDir: '/dev/shm/t/secrets',
    configsDir: '/dev/shm/t/configs',
    entries: [],
  };
  const spec = {
    container: {
      Image: 'exec:x',
      Env: ['SHOAL_SECRETS_DIR=/elsewhere'],
      Secrets: [
        { SecretID: 's', SecretName: 's', File: { Name: 's', UID: '0', GID: '0', Mode: 0o444 } },
      ],
    },
    files,
  } as RunSpec;
  const env = environmentOf(spec, '/home/app');
  assert.equal(env[SECRETS_DIR_ENV], '/dev/shm/t/secrets');
  assert.equal(env[CONFIGS_DIR_ENV], '/dev/shm/t/configs');
  checkSupported(spec.container);
  checkFiles(spec);
  assert.throws(
    () => checkFiles({ ...spec, files: undefined } as RunSpec),
    (error: unknown) => error instanceof RuntimeError && /provided no files/.test(error.message),
  );
  const plain = { container: { Image: 'exec:x' } } as RunSpec;
  checkFiles(plain);
  assert.equal(environmentOf(plain, '/h')[SECRETS_DIR_ENV], undefined);
});

test('users: numeric, named, with groups; unknown names refused', () => {
  const passwd = parsePasswd(
    '# comment\nroot:x:0:0:root:/root:/bin/bash\napp:x:1000:1001:App:/home/app:/bin/sh\nbroken\n',
  );
  const groups = parseGroup('root:x:0:\nstaff:x:50:app\n');
  assert.deepEqual(resolveUser('app', passwd, groups), { uid: 1000, gid: 1001, home: '/home/app' });
  assert.deepEqual(resolveUser('1000', passwd, groups), {
    uid: 1000,
    gid: 1001,
    home: '/home/app',
  });
  assert.deepEqual(resolveUser('app:staff', passwd, groups), {
    uid: 1000,
    gid: 50,
    home: '/home/app',
  });
  assert.deepEqual(resolveUser('4242', passwd, groups), { uid: 4242, gid: 4242 });
  assert.deepEqual(resolveUser('4242:7', passwd, groups), { uid: 4242, gid: 7 });
  assert.throws(() => resolveUser('ghost', passwd, groups), /unable to find user ghost/);
  assert.throws(() => resolveUser('app:ghosts', passwd, groups), /unable to find group ghosts/);
  assert.throws(() => resolveUser(':1', passwd, groups), /invalid user/);
});

test('unsupported fields are refused together, empty ones are not uses', () => {
  checkSupported({
    Image: 'exec:x',
    Mounts: [],
    Sysctls: {},
    Privileged: false,
    Hostname: 'h',
    Init: true,
  });
  assert.throws(
    () => checkSupported({ Image: 'exec:x', ReadOnly: true, CapabilityDrop: ['ALL'] }),
    (error: unknown) =>
      error instanceof RuntimeError &&
      !error.retryable &&
      /CapabilityDrop, ReadOnly/.test(error.message),
  );
});

test('signals: names, short names and numbers; exit codes of signals', () => {
  assert.equal(parseSignal(undefined), 'SIGTERM');
  assert.equal(parseSignal('SIGINT'), 'SIGINT');
  assert.equal(parseSignal('quit'), 'SIGQUIT');
  assert.equal(parseSignal('9'), 'SIGKILL');
  assert.throws(() => parseSignal('SIGNOPE'), /invalid stop signal/);
  assert.equal(exitCodeOfSignal('SIGKILL'), 137);
  assert.equal(exitCodeOfSignal('SIGTERM'), 143);
});

test("healthchecks: Docker's forms and defaults", () => {
  assert.equal(healthPlanOf(undefined), undefined);
  assert.equal(healthPlanOf({ Test: ['NONE'] }), undefined);
  assert.equal(healthPlanOf({ Test: [] }), undefined);
  assert.deepEqual(healthPlanOf({ Test: ['CMD', 'curl', '-f', 'http://localhost/'] }), {
    argv: ['curl', '-f', 'http://localhost/'],
    intervalMs: 30_000,
    timeoutMs: 30_000,
    startPeriodMs: 0,
    retries: 3,
  });
  assert.deepEqual(
    healthPlanOf({
      Test: ['CMD-SHELL', 'test -f /tmp/ok'],
      Interval: 5e9,
      Timeout: 1e9,
      StartPeriod: 2e9,
      Retries: 5,
    }),
    {
      argv: ['/bin/sh', '-c', 'test -f /tmp/ok'],
      intervalMs: 5000,
      timeoutMs: 1000,
      startPeriodMs: 2000,
      retries: 5,
    },
  );
  assert.throws(() => healthPlanOf({ Test: ['CMD'] }), RuntimeError);
  assert.throws(() => healthPlanOf({ Test: ['SHELL', 'x'] }), RuntimeError);
});

test('spec hashes ignore key order; task IDs cannot leave the state directory', () => {
  const a = { taskId: 't', container: { Image: 'exec:x', Env: ['A=1'] } } as RunSpec;
  const b = { container: { Env: ['A=1'], Image: 'exec:x' }, taskId: 't' } as RunSpec;
  assert.equal(specHash(a), specHash(b));
  assert.notEqual(specHash(a), specHash({ ...a, taskId: 'u' }));
  assertTaskId('abc123xyz');
  for (const bad of ['', '..', '../x', 'a/b', '.hidden', 'x'.repeat(200)]) {
    assert.throws(() => assertTaskId(bad), RuntimeError, bad);
  }
});

test('/proc/PID/stat: fields after a command name with spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S';
  fields[2] = '777'; // pgrp
  fields[19] = '123456'; // starttime
  assert.deepEqual(parseProcStat(`42 (my (weird) prog) ${fields.join(' ')}`), {
    state: 'S',
    pgrp: 777,
    startTicks: 123456,
  });
  assert.equal(parseProcStat('garbage'), undefined);
  const own = readProcStat(process.pid);
  assert.ok(own !== undefined && own.startTicks > 0);
});

test('cgroup limits from resources', () => {
  assert.deepEqual(cgroupLimits(undefined), {});
  assert.deepEqual(cgroupLimits({ Reservations: { MemoryBytes: 1 << 20 } }), {});
  assert.deepEqual(
    cgroupLimits({
      Limits: { NanoCPUs: 1.5e9, MemoryBytes: 256 << 20, Pids: 100 },
      Reservations: { MemoryBytes: 128 << 20 },
    }),
    {
      'memory.max': String(256 << 20),
      'cpu.max': '150000 100000',
      'pids.max': '100',
      'memory.low': String(128 << 20),
    },
  );
  assert.equal(cgroupLimits({ Limits: { NanoCPUs: 1000 } })['cpu.max'], '1000 100000');
  assert.equal(parseOomKills('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n'), 1);
  assert.equal(parseOomKills(''), 0);
});
