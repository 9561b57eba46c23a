// `service update` flags applied to an existing spec, as docker's updateService does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSpec } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import { applyUpdateFlags, checkRollbackAlone, updateHosts } from './flags-update.ts';
import { parseServiceArguments } from './index.ts';
import { fakeResolver } from './test-support.ts';

function baseSpec(): ServiceSpec {
  return {
    Name: 'web',
    Labels: { tier: 'front', old: 'x' },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'nginx:1.26',
        Env: ['A=1', 'B=2', 'C=3'],
        Labels: { keep: '1', drop: '2' },
        Mounts: [
          { Type: 'volume', Source: 'zeta', Target: '/z' },
          { Type: 'bind', Source: '/srv', Target: '/srv' },
        ],
        CapabilityAdd: ['CAP_NET_ADMIN'],
        CapabilityDrop: ['CAP_CHOWN'],
        Hosts: ['10.0.0.1 db cache', '10.0.0.2 db'],
        ReadOnly: true,
        Init: false,
        DNSConfig: {},
      },
      Resources: { Limits: {}, Reservations: {} },
      Placement: { Constraints: ['node.role==worker'] },
      ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
      ],
    },
  };
}

async function update(spec: ServiceSpec, ...argv: string[]) {
  const { values } = parseServiceArguments('update', [...argv, 'web']);
  return applyUpdateFlags(spec, values, fakeResolver);
}

describe('service update', () => {
  it('without flags the spec is unchanged (but for the lists docker sorts)', async () => {
    const spec = baseSpec();
    const updated = await update(spec);
    const expected = baseSpec();
    expected.TaskTemplate.ContainerSpec!.Mounts = [
      { Type: 'bind', Source: '/srv', Target: '/srv' },
      { Type: 'volume', Source: 'zeta', Target: '/z' },
    ];
    assert.deepEqual(updated, expected);
    assert.deepEqual(spec, baseSpec(), 'the input is not modified');
  });

  it('--image, --args, --entrypoint, --force', async () => {
    const updated = await update(
      baseSpec(),
      '--image',
      'nginx:1.27',
      '--args',
      'echo "a b"',
      '--entrypoint',
      '/bin/sh -c',
      '--force',
    );
    const container = updated.TaskTemplate.ContainerSpec!;
    assert.equal(container.Image, 'nginx:1.27');
    assert.deepEqual(container.Args, ['echo', 'a b']);
    assert.deepEqual(container.Command, ['/bin/sh', '-c']);
    assert.equal(updated.TaskTemplate.ForceUpdate, 1);
    assert.equal((await update(updated, '--force')).TaskTemplate.ForceUpdate, 2);
  });

  it('--env-add replaces in place and appends, --env-rm by key', async () => {
    const updated = await update(
      baseSpec(),
      '--env-add',
      'B=20',
      '--env-add',
      'D=4',
      '--env-rm',
      'A',
    );
    assert.deepEqual(updated.TaskTemplate.ContainerSpec!.Env, ['B=20', 'C=3', 'D=4']);
  });

  it('--label-add/-rm and --container-label-add/-rm', async () => {
    const updated = await update(
      baseSpec(),
      '--label-add',
      'tier=back',
      '--label-add',
      'new=1',
      '--label-rm',
      'old',
      '--container-label-rm',
      'drop',
      '--container-label-add',
      'added=yes',
    );
    assert.deepEqual(updated.Labels, { tier: 'back', new: '1' });
    assert.deepEqual(updated.TaskTemplate.ContainerSpec!.Labels, { keep: '1', added: 'yes' });
  });

  it('--constraint-add/-rm keep the list sorted; --placement-pref-add/-rm', async () => {
    const updated = await update(
      baseSpec(),
      '--constraint-add',
      'node.labels.zone==a',
      '--constraint-rm',
      'node.role==worker',
      '--constraint-add',
      'engine.labels.x==y',
      '--placement-pref-add',
      'spread=node.labels.rack',
    );
    assert.deepEqual(updated.TaskTemplate.Placement!.Constraints, [
      'engine.labels.x==y',
      'node.labels.zone==a',
    ]);
    assert.deepEqual(updated.TaskTemplate.Placement!.Preferences, [
      { Spread: { SpreadDescriptor: 'node.labels.rack' } },
    ]);
    const removed = await update(updated, '--placement-pref-rm', 'spread=node.labels.rack');
    assert.equal(removed.TaskTemplate.Placement!.Preferences, undefined);
  });

  it('--mount-add replaces a mount on the same target; --mount-rm by target', async () => {
    const updated = await update(
      baseSpec(),
      '--mount-add',
      'type=tmpfs,target=/z',
      '--mount-rm',
      '/srv',
    );
    assert.deepEqual(updated.TaskTemplate.ContainerSpec!.Mounts, [{ Type: 'tmpfs', Target: '/z' }]);
    await assert.rejects(
      update(baseSpec(), '--mount-add', 'target=/a', '--mount-add', 'target=/a'),
      {
        message: 'duplicate mount target',
      },
    );
  });

  it('--publish-add/-rm: removal by target (and protocol), additions sorted', async () => {
    // As in docker, an addition equal to a port the service had is skipped even when the
    // same command removes that port.
    const updated = await update(
      baseSpec(),
      '--publish-rm',
      '80',
      '--publish-add',
      '9090:90',
      '--publish-add',
      '8080:80',
    );
    assert.deepEqual(updated.EndpointSpec!.Ports, [
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 90, PublishedPort: 9090, PublishMode: 'ingress' },
    ]);
    const added = await update(baseSpec(), '--publish-add', 'published=7000,target=70');
    assert.deepEqual(
      added.EndpointSpec!.Ports!.map((port) => port.PublishedPort),
      [53, 7000, 8080],
    );
    const udpGone = await update(baseSpec(), '--publish-rm', '53/udp');
    assert.deepEqual(
      udpGone.EndpointSpec!.Ports!.map((port) => port.TargetPort),
      [80],
    );
  });

  it("--cap-add/--cap-drop as docker's tri-state", async () => {
    // Dropping an added capability un-adds it; adding a dropped one un-drops it.
    const first = await update(baseSpec(), '--cap-drop', 'net_admin', '--cap-add', 'chown');
    assert.equal(first.TaskTemplate.ContainerSpec!.CapabilityAdd, undefined);
    assert.equal(first.TaskTemplate.ContainerSpec!.CapabilityDrop, undefined);
    const second = await update(first, '--cap-add', 'chown', '--cap-drop', 'ALL');
    assert.deepEqual(second.TaskTemplate.ContainerSpec!.CapabilityAdd, ['CAP_CHOWN']);
    assert.deepEqual(second.TaskTemplate.ContainerSpec!.CapabilityDrop, ['ALL']);
    const reset = await update(second, '--cap-add', 'RESET');
    assert.equal(reset.TaskTemplate.ContainerSpec!.CapabilityAdd, undefined);
  });

  it('--replicas, --update-*, --restart-* onto what the service had', async () => {
    const spec = baseSpec();
    spec.UpdateConfig = {
      Parallelism: 2,
      Delay: 10e9,
      FailureAction: 'rollback',
      Monitor: 5e9,
      MaxFailureRatio: 0,
      Order: 'start-first',
    };
    spec.TaskTemplate.RestartPolicy = { Condition: 'on-failure', Delay: 1e9, MaxAttempts: 2 };
    const updated = await update(
      spec,
      '--replicas',
      '5',
      '--update-parallelism',
      '0',
      '--restart-max-attempts',
      '7',
    );
    assert.deepEqual(updated.Mode, { Replicated: { Replicas: 5 } });
    assert.deepEqual(updated.UpdateConfig, {
      Parallelism: 0,
      Delay: 10e9,
      FailureAction: 'rollback',
      Monitor: 5e9,
      MaxFailureRatio: 0,
      Order: 'start-first',
    });
    assert.deepEqual(updated.TaskTemplate.RestartPolicy, {
      Condition: 'on-failure',
      Delay: 1e9,
      MaxAttempts: 7,
    });
    assert.deepEqual((await update(baseSpec(), '--rollback-monitor', '20s')).RollbackConfig, {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 20e9,
      MaxFailureRatio: 0,
      Order: 'stop-first',
    });
  });

  it('--replicas on a global service is refused', async () => {
    const spec = baseSpec();
    spec.Mode = { Global: {} };
    await assert.rejects(update(spec, '--replicas', '2'), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.message, 'replicas can only be used with replicated mode');
      assert.equal(error.exitCode, 1);
      return true;
    });
  });

  it('booleans set and unset: --read-only=false, --init, --tty, --privileged', async () => {
    const updated = await update(
      baseSpec(),
      '--read-only=false',
      '--init',
      '--tty',
      '--privileged',
    );
    const container = updated.TaskTemplate.ContainerSpec!;
    assert.equal(container.ReadOnly, undefined);
    assert.equal(container.Init, true);
    assert.equal(container.TTY, true);
    assert.equal(container.Privileged, true);
    assert.equal(
      (await update(updated, '--privileged=false')).TaskTemplate.ContainerSpec!.Privileged,
      undefined,
    );
  });

  it('healthcheck: set, change, disable, re-enable', async () => {
    const set = await update(baseSpec(), '--health-cmd', 'true', '--health-interval', '10s');
    assert.deepEqual(set.TaskTemplate.ContainerSpec!.Healthcheck, {
      Test: ['CMD-SHELL', 'true'],
      Interval: 10e9,
    });
    const none = await update(set, '--no-healthcheck');
    assert.deepEqual(none.TaskTemplate.ContainerSpec!.Healthcheck, { Test: ['NONE'] });
    const again = await update(none, '--health-retries', '2');
    assert.deepEqual(again.TaskTemplate.ContainerSpec!.Healthcheck, { Retries: 2 });
  });

  it('resources, placement strategy, max per node, devices', async () => {
    const updated = await update(
      baseSpec(),
      '--limit-memory',
      '256m',
      '--reserve-cpu',
      '0.5',
      '--placement-strategy',
      'random',
      '--replicas-max-per-node',
      '1',
      '--device-add',
      '/dev/ttyUSB0',
    );
    assert.deepEqual(updated.TaskTemplate.Resources, {
      Limits: { MemoryBytes: 256 * 1024 ** 2 },
      Reservations: { NanoCPUs: 5e8 },
    });
    assert.equal(updated.TaskTemplate.Placement!.Strategy, 'random');
    assert.equal(updated.TaskTemplate.Placement!.MaxReplicas, 1);
    assert.deepEqual(updated.TaskTemplate.ContainerSpec!.Devices, [
      { PathOnHost: '/dev/ttyUSB0', PathInContainer: '/dev/ttyUSB0', CgroupPermissions: 'rwm' },
    ]);
    const removed = await update(updated, '--device-rm', '/dev/ttyUSB0', '--limit-memory', '0');
    assert.equal(removed.TaskTemplate.ContainerSpec!.Devices, undefined);
    assert.deepEqual(removed.TaskTemplate.Resources!.Limits, {});
  });

  it('DNS and hosts -add/-rm', async () => {
    const updated = await update(
      baseSpec(),
      '--dns-add',
      '9.9.9.9',
      '--dns-add',
      '1.1.1.1',
      '--dns-search-add',
      'example.org',
      '--host-rm',
      'db:10.0.0.2',
      '--host-add',
      'api:10.0.0.3',
    );
    const container = updated.TaskTemplate.ContainerSpec!;
    assert.deepEqual(container.DNSConfig, {
      Nameservers: ['1.1.1.1', '9.9.9.9'],
      Search: ['example.org'],
    });
    assert.deepEqual(container.Hosts, ['10.0.0.1 db cache', '10.0.0.3 api']);
    assert.deepEqual(updateHosts(['10.0.0.1 db cache', '10.0.0.2 db'], ['db'], []), [
      '10.0.0.1 cache',
    ]);
  });

  it('networks and secrets -add/-rm', async () => {
    const spec = baseSpec();
    spec.TaskTemplate.Networks = [{ Target: 'net-back' }];
    spec.TaskTemplate.ContainerSpec!.Secrets = [
      { File: { Name: 'old', UID: '0', GID: '0', Mode: 0o444 }, SecretName: 'old', SecretID: 's1' },
    ];
    const updated = await update(
      spec,
      '--network-add',
      'front',
      '--network-rm',
      'back',
      '--secret-rm',
      'old',
      '--secret-add',
      'new',
    );
    assert.deepEqual(updated.TaskTemplate.Networks, [{ Target: 'net-front' }]);
    assert.deepEqual(updated.TaskTemplate.ContainerSpec!.Secrets, [
      {
        File: { Name: 'new', UID: '0', GID: '0', Mode: 0o444 },
        SecretName: 'new',
        SecretID: 'sid-new',
      },
    ]);
    await assert.rejects(update(updated, '--network-add', 'front'), {
      message: 'service is already attached to network front',
    });
  });

  it('--rollback stands alone (but for -d and -q)', () => {
    assert.doesNotThrow(() =>
      checkRollbackAlone(parseServiceArguments('update', ['--rollback', '-d', '-q', 'web']).values),
    );
    assert.throws(
      () =>
        checkRollbackAlone(
          parseServiceArguments('update', ['--rollback', '--image', 'x', 'web']).values,
        ),
      {
        message: 'other flags may not be combined with --rollback',
      },
    );
  });

  it('flag value errors keep pflag wording', async () => {
    await assert.rejects(update(baseSpec(), '--publish-add', 'x:80'), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(
        error.message,
        'invalid argument "x:80" for "--publish-add" flag: Invalid hostPort: x',
      );
      assert.equal(error.exitCode, 125);
      return true;
    });
  });
});
