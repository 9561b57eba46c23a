// `service create` flags → ServiceSpec, and docker's wording and exit codes for bad values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../connection.ts';
import { attachReferenceIds, buildCreateSpec } from './flags.ts';
import { parseServiceArguments } from './index.ts';
import { fakeResolver } from './test-support.ts';

async function create(...argv: string[]) {
  const { values, operands } = parseServiceArguments('create', argv);
  return buildCreateSpec(operands[0]!, operands.slice(1), values, fakeResolver);
}

async function createError(...argv: string[]): Promise<CliError> {
  try {
    await create(...argv);
  } catch (error) {
    assert.ok(error instanceof CliError, `not a CliError: ${error}`);
    return error;
  }
  assert.fail(`expected an error for ${argv.join(' ')}`);
}

describe('service create: the spec docker sends', () => {
  it('a bare image: what docker puts in and leaves to the daemon', async () => {
    assert.deepEqual(await create('nginx'), {
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'nginx', Init: false, DNSConfig: {} },
        Resources: { Limits: {}, Reservations: {} },
        Placement: {},
        ForceUpdate: 0,
      },
      Mode: { Replicated: {} },
      EndpointSpec: { Mode: 'vip' },
    });
  });

  it('name, replicas, ports, env, labels, command and arguments', async () => {
    const spec = await create(
      '--name',
      'web',
      '--replicas',
      '3',
      '-p',
      '8080:80',
      '-p',
      'published=53,target=53,protocol=udp,mode=host',
      '-e',
      'A=1',
      '--env=B=2',
      '-eA=3',
      '-l',
      'tier=front',
      '--container-label',
      'x=y',
      '--entrypoint',
      'sh -c',
      'nginx:1.27',
      'echo',
      '--flag-for-the-container',
    );
    assert.equal(spec.Name, 'web');
    assert.deepEqual(spec.Mode, { Replicated: { Replicas: 3 } });
    assert.deepEqual(spec.Labels, { tier: 'front' });
    const container = spec.TaskTemplate.ContainerSpec!;
    assert.deepEqual(container.Env, ['B=2', 'A=3']);
    assert.deepEqual(container.Labels, { x: 'y' });
    assert.deepEqual(container.Command, ['sh', '-c']);
    assert.deepEqual(container.Args, ['echo', '--flag-for-the-container']);
    assert.deepEqual(spec.EndpointSpec, {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'host' },
      ],
    });
  });

  it('short port forms: target only, protocol, ranges', async () => {
    const ports = (await create('-p', '80', '-p', '9000-9001:90-91/udp', '-p', '7000-7001:70', 'x'))
      .EndpointSpec!.Ports;
    assert.deepEqual(ports, [
      { Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 90, PublishedPort: 9000, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 91, PublishedPort: 9001, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 70, PublishedPort: 7000, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 70, PublishedPort: 7001, PublishMode: 'ingress' },
    ]);
  });

  it('env files come before -e; bare names take the caller environment', async () => {
    const spec = await create('--env-file', 'app.env', '-e', 'HOME_DIR', '-e', 'A=override', 'x');
    assert.deepEqual(spec.TaskTemplate.ContainerSpec!.Env, [
      'B=spaced value',
      'HOME_DIR=/home/me',
      'A=override',
    ]);
  });

  it('resources: decimal CPUs to nano CPUs, memory sizes as RAMInBytes', async () => {
    const spec = await create(
      '--limit-cpu',
      '1.5',
      '--limit-memory',
      '512m',
      '--limit-pids',
      '100',
      '--reserve-cpu',
      '0.25',
      '--reserve-memory',
      '1g',
      '--generic-resource',
      'gpu=2',
      'x',
    );
    assert.deepEqual(spec.TaskTemplate.Resources, {
      Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 512 * 1024 ** 2, Pids: 100 },
      Reservations: {
        NanoCPUs: 250_000_000,
        MemoryBytes: 1024 ** 3,
        GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }],
      },
    });
  });

  it('restart policy: swarmkit defaults for the flags not given', async () => {
    assert.deepEqual(
      (await create('--restart-condition', 'on-failure', 'x')).TaskTemplate.RestartPolicy,
      {
        Condition: 'on-failure',
        Delay: 5e9,
        MaxAttempts: 0,
      },
    );
    assert.deepEqual(
      (
        await create(
          '--restart-max-attempts',
          '3',
          '--restart-window',
          '1m',
          '--restart-delay',
          '500ms',
          'x',
        )
      ).TaskTemplate.RestartPolicy,
      { Condition: 'any', Delay: 5e8, MaxAttempts: 3, Window: 60e9 },
    );
  });

  it('update and rollback configs: the whole section once one flag is given', async () => {
    const spec = await create(
      '--update-parallelism',
      '2',
      '--update-delay',
      '10s',
      '--rollback-order',
      'start-first',
      'x',
    );
    assert.deepEqual(spec.UpdateConfig, {
      Parallelism: 2,
      Delay: 10e9,
      FailureAction: 'pause',
      Monitor: 5e9,
      MaxFailureRatio: 0,
      Order: 'stop-first',
    });
    assert.deepEqual(spec.RollbackConfig, {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5e9,
      MaxFailureRatio: 0,
      Order: 'start-first',
    });
    const ratio = await create('--update-max-failure-ratio', '0.25', 'x');
    assert.equal((ratio.UpdateConfig as { MaxFailureRatio: number }).MaxFailureRatio, 0.25);
  });

  it('healthcheck flags', async () => {
    assert.deepEqual(
      (
        await create(
          '--health-cmd',
          'curl -f localhost',
          '--health-interval',
          '30s',
          '--health-retries',
          '3',
          'x',
        )
      ).TaskTemplate.ContainerSpec!.Healthcheck,
      { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 30e9, Retries: 3 },
    );
    assert.deepEqual(
      (await create('--no-healthcheck', 'x')).TaskTemplate.ContainerSpec!.Healthcheck,
      { Test: ['NONE'] },
    );
  });

  it('modes: global, jobs', async () => {
    assert.deepEqual((await create('--mode', 'global', 'x')).Mode, { Global: {} });
    assert.deepEqual((await create('--mode', 'replicated-job', '--replicas', '5', 'x')).Mode, {
      ReplicatedJob: { MaxConcurrent: 5, TotalCompletions: 5 },
    });
    assert.deepEqual(
      (await create('--mode', 'replicated-job', '--replicas', '5', '--max-concurrent', '2', 'x'))
        .Mode,
      {
        ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 },
      },
    );
    assert.deepEqual((await create('--mode', 'global-job', 'x')).Mode, { GlobalJob: {} });
  });

  it('mounts in docker CSV syntax', async () => {
    const mounts = (
      await create(
        '--mount',
        'type=bind,source=/srv/data,target=/data,readonly',
        '--mount',
        'source=cache,target=/cache,volume-label=a=b,volume-nocopy',
        '--mount',
        'type=tmpfs,dst=/tmp,tmpfs-size=64m,tmpfs-mode=1770',
        'x',
      )
    ).TaskTemplate.ContainerSpec!.Mounts;
    assert.deepEqual(mounts, [
      { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true },
      {
        Type: 'volume',
        Source: 'cache',
        Target: '/cache',
        VolumeOptions: { Labels: { a: 'b' }, DriverConfig: {}, NoCopy: true },
      },
      { Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 64 * 1024 ** 2, Mode: 0o1770 } },
    ]);
  });

  it('placement: constraints, preferences, max per node, Shoal strategy', async () => {
    assert.deepEqual(
      (
        await create(
          '--constraint',
          'node.role==worker',
          '--placement-pref',
          'spread=node.labels.zone',
          '--replicas-max-per-node',
          '2',
          '--placement-strategy',
          'binpack',
          'x',
        )
      ).TaskTemplate.Placement,
      {
        Constraints: ['node.role==worker'],
        Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
        MaxReplicas: 2,
        Strategy: 'binpack',
      },
    );
  });

  it('container options: user, workdir, hostname, init, caps, sysctls, ulimits, grace, signal, read-only', async () => {
    const container = (
      await create(
        '-u',
        'nobody',
        '-w',
        '/app',
        '--hostname',
        'h',
        '--init',
        '--cap-add',
        'net_admin',
        '--cap-add',
        'SYS_TIME',
        '--cap-drop',
        'net_admin',
        '--cap-drop',
        'chown',
        '--sysctl',
        'net.core.somaxconn=1024',
        '--ulimit',
        'nproc=10:20',
        '--ulimit',
        'core=0',
        '--stop-grace-period',
        '1m30s',
        '--stop-signal',
        'SIGINT',
        '--read-only',
        '--dns',
        '8.8.8.8',
        '--dns-search',
        'example.com',
        '--dns-option',
        'ndots:2',
        '--host',
        'db:10.0.0.2',
        '--group',
        'audio',
        'x',
      )
    ).TaskTemplate.ContainerSpec!;
    assert.equal(container.User, 'nobody');
    assert.equal(container.Dir, '/app');
    assert.equal(container.Hostname, 'h');
    assert.equal(container.Init, true);
    assert.deepEqual(container.CapabilityAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    assert.deepEqual(container.CapabilityDrop, ['CAP_CHOWN']);
    assert.deepEqual(container.Sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(container.Ulimits, [
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'nproc', Soft: 10, Hard: 20 },
    ]);
    assert.equal(container.StopGracePeriod, 90e9);
    assert.equal(container.StopSignal, 'SIGINT');
    assert.equal(container.ReadOnly, true);
    assert.deepEqual(container.DNSConfig, {
      Nameservers: ['8.8.8.8'],
      Search: ['example.com'],
      Options: ['ndots:2'],
    });
    assert.deepEqual(container.Hosts, ['10.0.0.2 db']);
    assert.deepEqual(container.Groups, ['audio']);
  });

  it('Shoal extensions: devices and privileged', async () => {
    const container = (
      await create(
        '--device',
        '/dev/ttyUSB0',
        '--device',
        '/dev/i2c-1:/dev/i2c:rw',
        '--device',
        '/dev/snd:r',
        '--privileged',
        'x',
      )
    ).TaskTemplate.ContainerSpec!;
    assert.deepEqual(container.Devices, [
      { PathOnHost: '/dev/ttyUSB0', PathInContainer: '/dev/ttyUSB0', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/i2c-1', PathInContainer: '/dev/i2c', CgroupPermissions: 'rw' },
      { PathOnHost: '/dev/snd', PathInContainer: '/dev/snd', CgroupPermissions: 'r' },
    ]);
    assert.equal(container.Privileged, true);
    assert.equal((await create('x')).TaskTemplate.ContainerSpec!.Privileged, undefined);
  });

  it('networks resolved to IDs and sorted; secrets and configs resolved by name', async () => {
    const spec = await create(
      '--network',
      'name=zeta,alias=z',
      '--network',
      'alpha',
      '--secret',
      'db_pass',
      '--secret',
      'source=tls,target=/run/tls.pem,mode=0400',
      '--config',
      'app.conf',
      'x',
    );
    assert.deepEqual(spec.TaskTemplate.Networks, [
      { Target: 'net-alpha' },
      { Target: 'net-zeta', Aliases: ['z'] },
    ]);
    assert.deepEqual(spec.TaskTemplate.ContainerSpec!.Secrets, [
      {
        File: { Name: 'db_pass', UID: '0', GID: '0', Mode: 0o444 },
        SecretName: 'db_pass',
        SecretID: 'sid-db_pass',
      },
      {
        File: { Name: '/run/tls.pem', UID: '0', GID: '0', Mode: 0o400 },
        SecretName: 'tls',
        SecretID: 'sid-tls',
      },
    ]);
    assert.deepEqual(spec.TaskTemplate.ContainerSpec!.Configs, [
      {
        File: { Name: 'app.conf', UID: '0', GID: '0', Mode: 0o444 },
        ConfigName: 'app.conf',
        ConfigID: 'cid-app.conf',
      },
    ]);
  });

  it('booleans take pflag forms: --read-only=false, -d=true, --init=0', async () => {
    const { values } = parseServiceArguments('create', [
      '--read-only=false',
      '-d=true',
      '--init=0',
      'x',
    ]);
    assert.equal(values.get('read-only'), false);
    assert.equal(values.get('detach'), true);
    assert.equal(values.get('init'), false);
  });

  it('--with-registry-auth and --no-resolve-image are accepted', async () => {
    const { values } = parseServiceArguments('create', [
      '--with-registry-auth',
      '--no-resolve-image',
      'x',
    ]);
    assert.equal(values.get('with-registry-auth'), true);
    assert.equal(values.get('no-resolve-image'), true);
  });
});

describe('service create: errors worded as docker words them', () => {
  const flagErrors: [string[], string][] = [
    [
      ['--replicas', 'x'],
      'invalid argument "x" for "--replicas" flag: strconv.ParseUint: parsing "x": invalid syntax',
    ],
    [
      ['--replicas', '-1'],
      'invalid argument "-1" for "--replicas" flag: strconv.ParseUint: parsing "-1": invalid syntax',
    ],
    [
      ['--replicas', '99999999999999999999'],
      'invalid argument "99999999999999999999" for "--replicas" flag: strconv.ParseUint: parsing "99999999999999999999": value out of range',
    ],
    [
      ['--limit-memory', '1x'],
      `invalid argument "1x" for "--limit-memory" flag: invalid size: '1x'`,
    ],
    [
      ['--limit-cpu', 'abc'],
      'invalid argument "abc" for "--limit-cpu" flag: failed to parse abc as a rational number',
    ],
    [
      ['--limit-cpu', '0.0000000001'],
      'invalid argument "0.0000000001" for "--limit-cpu" flag: value is too precise',
    ],
    [
      ['--update-delay', '5'],
      'invalid argument "5" for "--update-delay" flag: time: missing unit in duration "5"',
    ],
    [
      ['--restart-delay', 'soon'],
      'invalid argument "soon" for "--restart-delay" flag: time: invalid duration "soon"',
    ],
    [
      ['--stop-grace-period', '3x'],
      'invalid argument "3x" for "--stop-grace-period" flag: time: unknown unit "x" in duration "3x"',
    ],
    [
      ['--health-interval', '-1s'],
      'invalid argument "-1s" for "--health-interval" flag: duration cannot be negative',
    ],
    [
      ['--health-retries', 'many'],
      'invalid argument "many" for "--health-retries" flag: strconv.ParseInt: parsing "many": invalid syntax',
    ],
    [
      ['--update-max-failure-ratio', 'half'],
      'invalid argument "half" for "--update-max-failure-ratio" flag: strconv.ParseFloat: parsing "half": invalid syntax',
    ],
    [['-e', '=x'], 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x'],
    [
      ['-l', ' =x'],
      `invalid argument " =x" for "-l, --label" flag: invalid label ' =x': empty name`,
    ],
    [
      ['--mount', 'type=bind,source=/a'],
      'invalid argument "type=bind,source=/a" for "--mount" flag: target is required',
    ],
    [
      ['--mount', 'target=/a,bogus'],
      `invalid argument "target=/a,bogus" for "--mount" flag: invalid field 'bogus' must be a key=value pair`,
    ],
    [
      ['--mount', 'type=volume,target=/a,tmpfs-size=1m'],
      `invalid argument "type=volume,target=/a,tmpfs-size=1m" for "--mount" flag: cannot mix 'tmpfs-*' options with mount type 'volume'`,
    ],
    [
      ['--mount', 'target=/a,colour=red'],
      `invalid argument "target=/a,colour=red" for "--mount" flag: unexpected key 'colour' in 'colour=red'`,
    ],
    [
      ['-p', '80:abc'],
      'invalid argument "80:abc" for "-p, --publish" flag: Invalid containerPort: abc',
    ],
    [
      ['-p', '80:81/icmp'],
      'invalid argument "80:81/icmp" for "-p, --publish" flag: Invalid proto: icmp',
    ],
    [
      ['-p', '127.0.0.1:80:80'],
      'invalid argument "127.0.0.1:80:80" for "-p, --publish" flag: hostip is not supported',
    ],
    [
      ['-p', 'published=80'],
      `invalid argument "published=80" for "-p, --publish" flag: missing mandatory field 'target'`,
    ],
    [
      ['-p', 'target=80,mode=global'],
      `invalid argument "target=80,mode=global" for "-p, --publish" flag: invalid publish mode value (global): must be either 'ingress' or 'host'`,
    ],
    [
      ['--placement-pref', 'pack=node.id'],
      'invalid argument "pack=node.id" for "--placement-pref" flag: unsupported placement preference pack (only spread is supported)',
    ],
    [
      ['--placement-pref', 'spread'],
      'invalid argument "spread" for "--placement-pref" flag: placement preference must be of the format "<strategy>=<arg>"',
    ],
    [
      ['--dns', 'nameserver'],
      'invalid argument "nameserver" for "--dns" flag: IP address is not correctly formatted: nameserver',
    ],
    [['--host', 'db'], 'invalid argument "db" for "--host" flag: bad format for add-host: "db"'],
    [
      ['--ulimit', 'files=1'],
      'invalid argument "files=1" for "--ulimit" flag: invalid ulimit type: files',
    ],
    [
      ['--ulimit', 'nofile=20:10'],
      'invalid argument "nofile=20:10" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: 20 > 10',
    ],
    [
      ['--device', 'dev/sda'],
      'invalid argument "dev/sda" for "--device" flag: dev/sda is not an absolute path',
    ],
    [
      ['--device', '/dev/sda:/dev/xvda:rwx'],
      'invalid argument "/dev/sda:/dev/xvda:rwx" for "--device" flag: bad mode specified: rwx',
    ],
    [
      ['--placement-strategy', 'fill'],
      'invalid argument "fill" for "--placement-strategy" flag: unknown placement strategy "fill" (use "spread", "binpack" or "random")',
    ],
    [['--secret', 'uid=0'], `invalid argument "uid=0" for "--secret" flag: source is required`],
    [
      ['--read-only=maybe'],
      'invalid argument "maybe" for "--read-only" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    ],
  ];
  for (const [argv, message] of flagErrors) {
    it(`${argv.join(' ')} → exit 125`, async () => {
      const error = await createError(...argv, 'nginx');
      assert.equal(error.message, message);
      assert.equal(error.exitCode, 125);
    });
  }

  const runErrors: [string[], string][] = [
    [
      ['--mode', 'global', '--replicas', '2'],
      'replicas can only be used with replicated or replicated-job mode',
    ],
    [
      ['--mode', 'global', '--replicas-max-per-node', '2'],
      'replicas-max-per-node can only be used with replicated or replicated-job mode',
    ],
    [['--max-concurrent', '2'], 'max-concurrent can only be used with replicated-job mode'],
    [['--mode', 'daemonset'], 'Unknown mode: daemonset, only replicated and global supported'],
    [
      ['--mode', 'replicated-job', '--update-parallelism', '2'],
      'update and rollback configuration is not supported for jobs',
    ],
    [
      ['--no-healthcheck', '--health-cmd', 'true'],
      '--no-healthcheck conflicts with --health-* options',
    ],
    [['--env-file', 'missing.env'], 'open missing.env: no such file or directory'],
    [
      ['--env-file', 'bad.env'],
      "poorly formatted environment: variable 'BAD KEY' contains whitespaces",
    ],
  ];
  for (const [argv, message] of runErrors) {
    it(`${argv.join(' ')} → exit 1`, async () => {
      const error = await createError(...argv, 'nginx');
      assert.equal(error.message, message);
      assert.equal(error.exitCode, 1);
    });
  }

  it('a secret target used twice, and a secret that does not exist', () => {
    const reference = (name: string, target = name) => ({
      File: { Name: target, UID: '0', GID: '0', Mode: 0o444 },
      SecretName: name,
    });
    assert.throws(
      () =>
        attachReferenceIds(
          [reference('a', '/x'), reference('b', '/x')],
          new Map([
            ['a', '1'],
            ['b', '2'],
          ]),
          'secret',
        ),
      { message: 'duplicate secret target for b not allowed' },
    );
    assert.throws(() => attachReferenceIds([reference('a')], new Map(), 'secret'), {
      message: 'secret not found: a',
    });
  });
});
