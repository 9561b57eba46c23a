// RunSpec → container create options, inspect → RuntimeStatus, and event lines: the pure
// translations of the docker runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEventLine } from './docker-events.ts';
import { toCreateOptions, toExtraHosts } from './docker-spec.ts';
import { statusFromInspect } from './docker-status.ts';
import type { RunSpec } from './driver.ts';

function spec(container: RunSpec['container'], extra: Partial<RunSpec> = {}): RunSpec {
  return {
    taskId: 't1',
    name: 'web.1.t1',
    serviceId: 's1',
    serviceName: 'web',
    slot: 1,
    nodeId: 'n1',
    container,
    labels: { 'com.docker.swarm.task.id': 't1' },
    ...extra,
  };
}

test('a minimal spec: name, image, labels, no restart policy', () => {
  assert.deepEqual(toCreateOptions(spec({ Image: 'nginx:1.27' })), {
    name: 'web.1.t1',
    Image: 'nginx:1.27',
    Labels: { 'com.docker.swarm.task.id': 't1' },
    Env: [],
    HostConfig: { RestartPolicy: { Name: 'no' } },
  });
});

test('Command replaces the entrypoint and Args the cmd; Args alone keep the entrypoint', () => {
  const both = toCreateOptions(spec({ Image: 'i', Command: ['sh', '-c'], Args: ['echo hi'] }));
  assert.deepEqual([both.Entrypoint, both.Cmd], [['sh', '-c'], ['echo hi']]);
  const commandOnly = toCreateOptions(spec({ Image: 'i', Command: ['run'] }));
  assert.deepEqual([commandOnly.Entrypoint, commandOnly.Cmd], [['run'], []]);
  const argsOnly = toCreateOptions(spec({ Image: 'i', Args: ['--port', '80'] }));
  assert.deepEqual([argsOnly.Entrypoint, argsOnly.Cmd], [undefined, ['--port', '80']]);
  const neither = toCreateOptions(spec({ Image: 'i', Command: [], Args: [] }));
  assert.deepEqual([neither.Entrypoint, neither.Cmd], [undefined, undefined]);
});

test('process settings, healthcheck and stop timeout', () => {
  const options = toCreateOptions(
    spec(
      {
        Image: 'i',
        Env: ['A=1'],
        Dir: '/srv',
        User: 'app:app',
        Hostname: 'h',
        TTY: true,
        OpenStdin: true,
        StopSignal: 'SIGQUIT',
        StopGracePeriod: 2_500_000_000,
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 2e9, Retries: 2 },
      },
      { env: ['B=2'] },
    ),
  );
  assert.deepEqual(options.Env, ['A=1', 'B=2']);
  assert.equal(options.WorkingDir, '/srv');
  assert.equal(options.User, 'app:app');
  assert.equal(options.Hostname, 'h');
  assert.equal(options.Tty, true);
  assert.equal(options.OpenStdin, true);
  assert.equal(options.StopSignal, 'SIGQUIT');
  assert.equal(options.StopTimeout, 3);
  assert.deepEqual(options.Healthcheck, {
    Test: ['CMD', 'true'],
    Interval: 1e9,
    Timeout: 2e9,
    Retries: 2,
  });
});

test('host config: mounts, resources, capabilities, hosts, DNS and the rest', () => {
  const host = toCreateOptions(
    spec(
      {
        Image: 'i',
        Init: true,
        ReadOnly: true,
        Privileged: true,
        Mounts: [
          {
            Type: 'bind',
            Source: '/data',
            Target: '/d',
            ReadOnly: true,
            BindOptions: { Propagation: 'rslave' },
          },
          { Type: 'volume', Source: 'vol', Target: '/v', VolumeOptions: { NoCopy: true } },
          { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 } },
        ],
        CapabilityAdd: ['NET_ADMIN'],
        CapabilityDrop: ['MKNOD'],
        Sysctls: { 'net.ipv4.ip_forward': '1' },
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        Devices: [
          { PathOnHost: '/dev/i2c-1', PathInContainer: '/dev/i2c-1', CgroupPermissions: 'rwm' },
        ],
        Groups: ['video'],
        Hosts: ['10.0.0.2 db db.local', '  ::1   ip6-localhost ', 'malformed'],
        DNSConfig: { Nameservers: ['1.1.1.1'], Search: ['example.com'], Options: ['ndots:2'] },
      },
      {
        resources: {
          Limits: { NanoCPUs: 1.5e9, MemoryBytes: 256 << 20, Pids: 64 },
          Reservations: { NanoCPUs: 5e8, MemoryBytes: 128 << 20 },
        },
      },
    ),
  ).HostConfig;
  assert.deepEqual(host, {
    RestartPolicy: { Name: 'no' },
    Init: true,
    ReadonlyRootfs: true,
    Privileged: true,
    Mounts: [
      {
        Type: 'bind',
        Source: '/data',
        Target: '/d',
        ReadOnly: true,
        BindOptions: { Propagation: 'rslave' },
      },
      { Type: 'volume', Source: 'vol', Target: '/v', VolumeOptions: { NoCopy: true } },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 } },
    ],
    NanoCpus: 1.5e9,
    Memory: 256 << 20,
    MemoryReservation: 128 << 20,
    PidsLimit: 64,
    CapAdd: ['NET_ADMIN'],
    CapDrop: ['MKNOD'],
    Sysctls: { 'net.ipv4.ip_forward': '1' },
    Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
    Devices: [
      { PathOnHost: '/dev/i2c-1', PathInContainer: '/dev/i2c-1', CgroupPermissions: 'rwm' },
    ],
    GroupAdd: ['video'],
    ExtraHosts: ['db:10.0.0.2', 'db.local:10.0.0.2', 'ip6-localhost:::1'],
    Dns: ['1.1.1.1'],
    DnsSearch: ['example.com'],
    DnsOptions: ['ndots:2'],
  });
});

test('hosts(5) lines become one ExtraHosts entry per name', () => {
  assert.deepEqual(toExtraHosts('192.168.1.5 nas'), ['nas:192.168.1.5']);
  assert.deepEqual(toExtraHosts('192.168.1.5'), []);
  assert.deepEqual(toExtraHosts(''), []);
});

test('inspect: phases, exit code, OOM, engine errors and health', () => {
  const running = statusFromInspect('t', {
    Id: 'c1',
    State: {
      Status: 'running',
      Pid: 42,
      StartedAt: '2026-01-02T03:04:05.123456789Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      Health: { Status: 'starting' },
    },
  });
  assert.deepEqual(running, {
    taskId: 't',
    phase: 'running',
    runtimeId: 'c1',
    pid: 42,
    health: 'starting',
    startedAt: '2026-01-02T03:04:05.123456789Z',
  });
  const oom = statusFromInspect('t', {
    Id: 'c1',
    State: { Status: 'exited', ExitCode: 137, OOMKilled: true, FinishedAt: '2026-01-02T03:04:06Z' },
  });
  assert.equal(oom.phase, 'exited');
  assert.equal(oom.exitCode, 137);
  assert.equal(oom.error, 'OOM killed');
  assert.equal(oom.finishedAt, '2026-01-02T03:04:06Z');
  const failed = statusFromInspect('t', {
    Id: 'c1',
    State: { Status: 'created', Error: 'exec: "nope": executable file not found in $PATH' },
  });
  assert.equal(failed.phase, 'created');
  assert.match(failed.error ?? '', /executable file not found/);
  assert.equal(statusFromInspect('t', { Id: 'c', State: { Status: 'paused' } }).phase, 'running');
  assert.equal(statusFromInspect('t', { Id: 'c', State: { Status: 'dead' } }).phase, 'exited');
  assert.equal(statusFromInspect('t', { Id: 'c', State: { Status: 'exited' } }).exitCode, -1);
  const healthy = { Id: 'c', State: { Status: 'running', Health: { Status: 'healthy' } } };
  assert.equal(statusFromInspect('t', healthy).health, 'healthy');
  assert.equal(statusFromInspect('t', { Id: 'c', State: { Status: 'running' } }).health, 'none');
});

test('event lines: task container events only, health_status without its detail', () => {
  const line = (action: string, attributes: Record<string, string>, type = 'container') =>
    JSON.stringify({ Type: type, Action: action, Actor: { ID: 'c1', Attributes: attributes } });
  const task = { 'com.docker.swarm.task.id': 't1', exitCode: '0' };
  assert.deepEqual(parseEventLine(line('die', task)), {
    containerId: 'c1',
    taskId: 't1',
    action: 'die',
  });
  assert.equal(parseEventLine(line('health_status: unhealthy', task))?.action, 'health_status');
  assert.equal(parseEventLine(line('die', {})), undefined);
  assert.equal(parseEventLine(line('create', task, 'network')), undefined);
  assert.equal(parseEventLine('not json'), undefined);
  assert.equal(parseEventLine('null'), undefined);
});

test('the driver HTTP agent is inspected in constant time (docker-modem inspects every request)', async () => {
  const { Agent } = await import('node:http');
  const { inspect } = await import('node:util');
  const { cheaplyInspected } = await import('./docker-driver.ts');
  const agent = cheaplyInspected(new Agent({ keepAlive: true }));
  assert.equal(inspect({ agent }, { showHidden: true, depth: null }), '{ agent: [http.Agent] }');
});
