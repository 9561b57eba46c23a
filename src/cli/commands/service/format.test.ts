// The `service ls`, `service ps` and `service inspect --pretty` output, on fixed objects and a
// fixed "now".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task } from '../../../store/index.ts';
import {
  appendServiceStatus,
  formatServiceList,
  formatTaskList,
  humanDuration,
  type ListedService,
  naturalLess,
  servicePorts,
} from './format.ts';
import { formatPretty } from './format-pretty.ts';
import { displayImage, imageWithTag } from './image-reference.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

function service(
  name: string,
  id: string,
  mode: Service['Spec']['Mode'],
  extra: Partial<ListedService> = {},
): ListedService {
  return {
    ID: id,
    Version: { Index: 10 },
    CreatedAt: ago(600),
    UpdatedAt: ago(60),
    Spec: {
      Name: name,
      Labels: {},
      TaskTemplate: {
        ContainerSpec: {
          Image:
            'nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        },
      },
      Mode: mode,
    },
    ...extra,
  };
}

describe('service ls', () => {
  const services: ListedService[] = [
    service(
      'web10',
      'aaaaaaaaaaaa1111',
      { Replicated: { Replicas: 1 } },
      { ServiceStatus: { RunningTasks: 1, DesiredTasks: 1 } },
    ),
    service(
      'web',
      'bbbbbbbbbbbb2222',
      { Replicated: { Replicas: 3 } },
      {
        ServiceStatus: { RunningTasks: 3, DesiredTasks: 3 },
        Endpoint: {
          Ports: [
            { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
            { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'ingress' },
          ],
        },
      },
    ),
    service(
      'web2',
      'cccccccccccc3333',
      { Global: {} },
      { ServiceStatus: { RunningTasks: 2, DesiredTasks: 2 } },
    ),
    service(
      'batch',
      'dddddddddddd4444',
      { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 3 } },
      {
        ServiceStatus: { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 1 },
      },
    ),
    service(
      'spread',
      'eeeeeeeeeeee5555',
      { Replicated: { Replicas: 4 } },
      {
        ServiceStatus: { RunningTasks: 2, DesiredTasks: 4 },
      },
    ),
  ];
  services[4]!.Spec.TaskTemplate.Placement = { MaxReplicas: 2 };
  services[4]!.Spec.TaskTemplate.ContainerSpec!.Image = 'exec:/usr/bin/sleep';

  it('the default table: natural name order, replicas, ports, images without digests', () => {
    assert.equal(
      formatServiceList(services, undefined, false),
      [
        'ID             NAME      MODE             REPLICAS               IMAGE                 PORTS',
        'dddddddddddd   batch     replicated job   1/2 (1/3 completed)    nginx:1.27            ',
        'eeeeeeeeeeee   spread    replicated       2/4 (max 2 per node)   exec:/usr/bin/sleep   ',
        'bbbbbbbbbbbb   web       replicated       3/3                    nginx:1.27            *:8080->80/tcp, *:8443->443/tcp',
        'cccccccccccc   web2      global           2/2                    nginx:1.27            ',
        'aaaaaaaaaaaa   web10     replicated       1/1                    nginx:1.27            ',
        '',
      ].join('\n'),
    );
  });

  it('-q prints short IDs; --format templates', () => {
    assert.equal(
      formatServiceList(services.slice(0, 2), undefined, true),
      'bbbbbbbbbbbb\naaaaaaaaaaaa\n',
    );
    assert.equal(
      formatServiceList(services.slice(0, 2), '{{.Name}}: {{.Replicas}}', false),
      'web: 3/3\nweb10: 1/1\n',
    );
  });

  it('global jobs count completed tasks into the total', () => {
    const job = service(
      'once',
      'ffffffffffff',
      { GlobalJob: {} },
      { ServiceStatus: { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 3 } },
    );
    assert.match(formatServiceList([job], '{{.Replicas}}', false), /^1\/2 \(3\/5 completed\)\n$/);
  });

  it('ports are grouped into ranges as docker groups them', () => {
    const port = (published: number, target: number, protocol: 'tcp' | 'udp' = 'tcp') => ({
      Protocol: protocol,
      TargetPort: target,
      PublishedPort: published,
      PublishMode: 'ingress' as const,
    });
    assert.equal(
      servicePorts([port(80, 80), port(81, 81), port(82, 80)]),
      '*:80-81->80-81/tcp, *:82->80/tcp',
    );
    assert.equal(servicePorts([port(80, 80), port(81, 80)]), '*:80-81->80/tcp');
    assert.equal(servicePorts([port(53, 53, 'udp'), port(53, 53)]), '*:53->53/tcp, *:53->53/udp');
    assert.equal(
      servicePorts([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }]),
      '',
    );
  });

  it('status computed from tasks when the daemon gave none', () => {
    const bare = [
      service('web', 's1', { Replicated: { Replicas: 2 } }),
      service('g', 's2', { Global: {} }),
    ];
    const task = (
      serviceId: string,
      node: string,
      state: Task['Status']['State'],
      desired: Task['DesiredState'],
    ): Task => ({
      ID: `${serviceId}-${node}-${state}`,
      Version: { Index: 1 },
      CreatedAt: ago(10),
      UpdatedAt: ago(10),
      Labels: {},
      Spec: {},
      ServiceID: serviceId,
      NodeID: node,
      Status: { Timestamp: ago(10), State: state, Message: '' },
      DesiredState: desired,
    });
    const tasks = [
      task('s1', 'n1', 'running', 'running'),
      task('s1', 'n2', 'running', 'running'),
      task('s1', 'down-node', 'running', 'running'),
      task('s2', 'n1', 'running', 'running'),
      task('s2', 'n2', 'shutdown', 'shutdown'),
    ];
    const node = (id: string, state: 'ready' | 'down') =>
      ({ ID: id, Status: { State: state, Addr: '' } }) as never;
    const withStatus = appendServiceStatus(bare, tasks, [
      node('n1', 'ready'),
      node('n2', 'ready'),
      node('down-node', 'down'),
    ]);
    assert.deepEqual(
      withStatus.map((s) => s.ServiceStatus),
      [
        // Desired counts the tasks not desired shut down, as docker's AppendServiceStatus does.
        { RunningTasks: 2, DesiredTasks: 3 },
        { RunningTasks: 1, DesiredTasks: 1 },
      ],
    );
  });

  it('natural order', () => {
    assert.ok(naturalLess('web2', 'web10'));
    assert.ok(!naturalLess('web10', 'web2'));
    assert.ok(naturalLess('a', 'b'));
    assert.ok(naturalLess('web', 'web1'));
    assert.ok(naturalLess('x01', 'x1') === false && naturalLess('x1', 'x01'));
  });

  it('images: tagged as the docker client tags them, shown without digests', () => {
    assert.equal(imageWithTag('nginx'), 'nginx:latest');
    assert.equal(imageWithTag('docker.io/library/nginx'), 'nginx:latest');
    assert.equal(imageWithTag('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.equal(imageWithTag('busybox:1.36'), 'busybox:1.36');
    assert.equal(imageWithTag('exec:/usr/bin/sleep'), 'exec:/usr/bin/sleep');
    assert.equal(imageWithTag('Upper/Case'), 'Upper/Case');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(imageWithTag(`nginx@${digest}`), `nginx@${digest}`);
    assert.equal(displayImage(`nginx:1.27@${digest}`), 'nginx:1.27');
    assert.equal(displayImage(`nginx@${digest}`), `nginx@${digest}`);
    assert.equal(displayImage('docker.io/library/redis:7'), 'redis:7');
  });
});

describe('service ps', () => {
  const task = (
    id: string,
    slot: number | undefined,
    node: string,
    state: Task['Status']['State'],
    desired: Task['DesiredState'],
    createdSecondsAgo: number,
    extra: Partial<Task['Status']> = {},
  ): Task => ({
    ID: id,
    Version: { Index: 1 },
    CreatedAt: ago(createdSecondsAgo),
    UpdatedAt: ago(createdSecondsAgo),
    Labels: {},
    Spec: { ContainerSpec: { Image: `nginx:1.27@sha256:${'b'.repeat(64)}` } },
    ServiceID: 'svc1',
    ...(slot === undefined ? {} : { Slot: slot }),
    NodeID: node,
    Status: { Timestamp: ago(createdSecondsAgo - 2), State: state, Message: '', ...extra },
    DesiredState: desired,
  });
  const tasks = [
    task('t2aaaaaaaaaaaaaaaaaaaaaaa', 2, 'node2id', 'running', 'running', 302),
    task('t1oldaaaaaaaaaaaaaaaaaaaa', 1, 'node1id', 'failed', 'shutdown', 4000, {
      Err: 'task: non-zero exit (137): the container was killed by the out-of-memory handler',
    }),
    task('t1newaaaaaaaaaaaaaaaaaaaa', 1, 'node1id', 'running', 'running', 62),
    task('t10aaaaaaaaaaaaaaaaaaaaaa', 10, '', 'pending', 'running', 1, {
      PortStatus: {
        Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }],
      },
    }),
  ];
  const names = {
    services: new Map([['svc1', 'web']]),
    nodes: new Map([
      ['node1id', 'pi-1'],
      ['node2id', 'pi-2'],
      ['', ''],
    ]),
  };

  it('the default table: slots in order, history indented, docker durations', () => {
    assert.equal(
      formatTaskList(tasks, names, { quiet: false, trunc: true, nowMs: NOW }),
      [
        'ID             NAME        IMAGE        NODE      DESIRED STATE   CURRENT STATE                    ERROR                              PORTS',
        't1newaaaaaaa   web.1       nginx:1.27   pi-1      Running         Running about a minute ago                                          ',
        't1oldaaaaaaa    \\_ web.1   nginx:1.27   pi-1      Shutdown        Failed about an hour ago         "task: non-zero exit (137): th…"   ',
        't2aaaaaaaaaa   web.2       nginx:1.27   pi-2      Running         Running 5 minutes ago                                               ',
        't10aaaaaaaaa   web.10      nginx:1.27             Running         Pending less than a second ago                                      *:8080->80/tcp',
        '',
      ].join('\n'),
    );
  });

  it('--no-trunc keeps IDs, images and errors whole; -q prints full IDs', () => {
    const full = formatTaskList(tasks.slice(1, 2), names, {
      quiet: false,
      trunc: false,
      nowMs: NOW,
    });
    assert.match(full, /t1oldaaaaaaaaaaaaaaaaaaaa/);
    assert.match(full, /out-of-memory handler"/);
    assert.match(full, new RegExp(`sha256:${'b'.repeat(64)}`));
    assert.equal(
      formatTaskList(tasks.slice(0, 1), names, { quiet: true, trunc: false, nowMs: NOW }),
      't2aaaaaaaaaaaaaaaaaaaaaaa\n',
    );
  });

  it('global tasks are named by node; custom formats do not indent', () => {
    const global = [
      task('g1', undefined, 'node1id', 'running', 'running', 10),
      task('g0', undefined, 'node1id', 'shutdown', 'shutdown', 100),
    ];
    assert.equal(
      formatTaskList(global, names, {
        quiet: false,
        trunc: true,
        nowMs: NOW,
        format: '{{.Name}} {{.Node}} {{.CurrentState}}',
      }),
      'web.node1id pi-1 Running 8 seconds ago\nweb.node1id pi-1 Shutdown about a minute ago\n',
    );
  });

  it('units.HumanDuration wording', () => {
    const cases: [number, string][] = [
      [0.5, 'Less than a second'],
      [1, '1 second'],
      [59, '59 seconds'],
      [60, 'About a minute'],
      [119, 'About a minute'],
      [120, '2 minutes'],
      [3599, '59 minutes'],
      [3600, 'About an hour'],
      [5399, 'About an hour'],
      [5400, '2 hours'],
      [47 * 3600, '47 hours'],
      [48 * 3600, '2 days'],
      [14 * 86400, '2 weeks'],
      [60 * 86400, '2 months'],
      [800 * 86400, '2 years'],
    ];
    for (const [seconds, expected] of cases)
      assert.equal(humanDuration(seconds * 1000), expected, `${seconds}s`);
  });
});

describe('service inspect --pretty', () => {
  it("prints docker's layout", () => {
    const inspected: Service = {
      ID: 'i8bdjxhp0g1ccd6nkrsxkm8lx',
      Version: { Index: 20 },
      CreatedAt: ago(3600),
      UpdatedAt: ago(120),
      Spec: {
        Name: 'redis',
        Labels: { tier: 'cache', flag: '' },
        TaskTemplate: {
          ContainerSpec: {
            Image: 'redis:7',
            Args: ['redis-server', '--appendonly', 'yes'],
            Env: ['A=1'],
            Init: false,
            Mounts: [{ Type: 'volume', Source: 'data', Target: '/data' }],
            Healthcheck: { Test: ['CMD-SHELL', 'redis-cli ping'], Interval: 10e9, Retries: 3 },
          },
          Resources: { Limits: { MemoryBytes: 512 * 1024 ** 2 }, Reservations: { NanoCPUs: 5e8 } },
          Placement: { Constraints: ['node.role==worker'] },
        },
        Mode: { Replicated: { Replicas: 0 } },
        UpdateConfig: {
          Parallelism: 1,
          FailureAction: 'pause',
          Monitor: 5e9,
          MaxFailureRatio: 0,
          Order: 'stop-first',
        },
        EndpointSpec: { Mode: 'vip' },
      },
      Endpoint: {
        Ports: [{ Protocol: 'tcp', TargetPort: 6379, PublishedPort: 6379, PublishMode: 'ingress' }],
      },
      UpdateStatus: {
        State: 'completed',
        StartedAt: ago(300),
        CompletedAt: ago(240),
        Message: 'update completed',
      },
    };
    assert.equal(
      formatPretty([inspected], new Map(), NOW),
      [
        '',
        'ID:\t\ti8bdjxhp0g1ccd6nkrsxkm8lx',
        'Name:\t\tredis',
        'Labels:',
        ' flag',
        ' tier=cache',
        'Service Mode:\tReplicated',
        ' Replicas:\t0',
        'UpdateStatus:',
        ' State:\t\tcompleted',
        ' Started:\t5 minutes ago',
        ' Completed:\t4 minutes ago',
        ' Message:\tupdate completed',
        'Placement:',
        ' Constraints:\t[node.role==worker]',
        'UpdateConfig:',
        ' Parallelism:\t1',
        ' On failure:\tpause',
        ' Monitoring Period: 5s',
        ' Max failure ratio: 0',
        ' Update order:      stop-first',
        'ContainerSpec:',
        ' Image:\t\tredis:7',
        ' Args:\t\tredis-server --appendonly yes ',
        ' Env:\t\tA=1 ',
        ' Init:\t\tfalse',
        'Mounts:',
        ' Target:\t/data',
        '  Source:\tdata',
        '  ReadOnly:\tfalse',
        '  Type:\t\tvolume',
        'Resources:',
        ' Reservations:',
        '  CPU:\t\t0.5',
        ' Limits:',
        '  Memory:\t512MiB',
        'Endpoint Mode:\tvip',
        'Ports:',
        ' PublishedPort = 6379',
        '  Protocol = tcp',
        '  TargetPort = 6379',
        '  PublishMode = ingress ',
        ' Healthcheck:',
        '  Interval = 10s',
        '  Retries = 3',
        '  StartPeriod =\t0s',
        '  Timeout =\t0s',
        '  Tests:',
        '\t Test = CMD-SHELL',
        '\t Test = redis-cli ping ',
        '',
        '',
      ].join('\n'),
    );
    const conflicted = {
      ...inspected,
      PortConflicts: [
        { NodeID: 'n3', Protocol: 'tcp', PublishedPort: 6379, Message: 'already in use' },
      ],
    };
    assert.ok(
      formatPretty([conflicted], new Map(), NOW).includes(
        [
          '  PublishMode = ingress ',
          'Port Conflicts:',
          ' 6379/tcp on node n3: already in use',
          ' Healthcheck:',
        ].join('\n'),
      ),
      'the conflicts follow the ports',
    );
  });
});
