// The requests each `service` verb makes (method, path, query, body), in docker's order, and
// what it prints, against a fake daemon.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../store/index.ts';
import { daemonError } from './api.ts';
import {
  runCreate,
  runInspect,
  runList,
  runPs,
  runRemove,
  runRollback,
  runScale,
  runUpdate,
} from './commands.ts';
import { parseServiceArguments } from './index.ts';
import { captureIo, FakeDaemon } from './test-support.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function webService(extra: Partial<Service> = {}): Service {
  return {
    ID: 'svcweb0000000000000000001',
    Version: { Index: 42 },
    CreatedAt: '2024-05-01T11:00:00Z',
    UpdatedAt: '2024-05-01T11:30:00Z',
    Spec: {
      Name: 'web',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'nginx:1.26' }, ForceUpdate: 0 },
      Mode: { Replicated: { Replicas: 2 } },
    },
    ...extra,
  };
}

describe('service create', () => {
  it('POST /services/create with the spec (image tagged), prints the ID; -d does not wait', async () => {
    const daemon = new FakeDaemon({
      'POST /services/create': { ID: 'newid123', Warnings: ['careful'] },
    });
    const io = captureIo(NOW);
    const { values, operands } = parseServiceArguments('create', ['-d', '--name', 'web', 'nginx']);
    await runCreate(daemon, operands[0]!, operands.slice(1), values, io);
    assert.deepEqual(daemon.requests, [
      {
        method: 'POST',
        path: '/services/create',
        body: {
          Name: 'web',
          Labels: {},
          TaskTemplate: {
            ContainerSpec: { Image: 'nginx:latest', Init: false, DNSConfig: {} },
            Resources: { Limits: {}, Reservations: {} },
            Placement: {},
            ForceUpdate: 0,
          },
          Mode: { Replicated: {} },
          EndpointSpec: { Mode: 'vip' },
        },
      },
    ]);
    assert.equal(io.stdout, 'newid123\n');
    assert.equal(io.stderr, 'careful\n');
  });

  it('without -d it waits on the new service ID', async () => {
    const daemon = new FakeDaemon({
      'POST /services/create': { ID: 'newid123', Warnings: null },
      'GET /services/newid123': webService({
        ID: 'newid123',
        UpdateStatus: { State: 'completed' },
      }),
    });
    const io = captureIo(NOW);
    const { values } = parseServiceArguments('create', ['nginx']);
    await runCreate(daemon, 'nginx', [], values, io);
    assert.deepEqual(daemon.lines(), [
      'POST /services/create',
      'GET /services/newid123?insertDefaults=false',
    ]);
  });

  it('once converged, it warns of published ports a node could not open', async () => {
    const conflict = {
      NodeID: 'node0003',
      Protocol: 'tcp',
      PublishedPort: 8080,
      Message: 'published port 8080/tcp of service web is already in use on this node',
    };
    const daemon = new FakeDaemon({
      'POST /services/create': { ID: 'newid123', Warnings: null },
      'GET /services/newid123': {
        ...webService({ ID: 'newid123', UpdateStatus: { State: 'completed' } }),
        PortConflicts: [conflict],
      },
    });
    const io = captureIo(NOW);
    const { values } = parseServiceArguments('create', ['nginx']);
    await runCreate(daemon, 'nginx', [], values, io);
    assert.equal(
      io.stderr,
      'Warning: node node0003: published port 8080/tcp of service web is already in use on this node\n',
    );
  });

  it('--network and --secret are looked up by name first', async () => {
    const daemon = new FakeDaemon({
      'GET /networks/backend': { Id: 'net0001', Name: 'backend' },
      'GET /secrets': [{ ID: 'sec0001', Spec: { Name: 'db_pass' } }],
      'POST /services/create': { ID: 'x' },
    });
    const { values } = parseServiceArguments('create', [
      '-d',
      '--network',
      'backend',
      '--secret',
      'db_pass',
      'nginx',
    ]);
    await runCreate(daemon, 'nginx', [], values, captureIo(NOW));
    assert.deepEqual(daemon.lines(), [
      'GET /networks/backend?scope=swarm',
      'GET /secrets?filters={"name":{"db_pass":true}}',
      'POST /services/create',
    ]);
    const body = daemon.requests[2]!.body as Service['Spec'];
    assert.deepEqual(body.TaskTemplate.Networks, [{ Target: 'net0001' }]);
    assert.equal(body.TaskTemplate.ContainerSpec!.Secrets![0]!.SecretID, 'sec0001');
  });
});

describe('service update / rollback / scale', () => {
  it('update: GET, then POST /services/{ID}/update?version&registryAuthFrom=spec with the changed spec', async () => {
    const daemon = new FakeDaemon({
      'GET /services/web': webService(),
      'POST /services/svcweb0000000000000000001/update': { Warnings: [] },
    });
    const io = captureIo(NOW);
    const { values } = parseServiceArguments('update', [
      '-d',
      '--image',
      'nginx:1.27',
      '--env-add',
      'A=1',
      'web',
    ]);
    await runUpdate(daemon, 'web', values, io);
    assert.deepEqual(daemon.lines(), [
      'GET /services/web?insertDefaults=false',
      'POST /services/svcweb0000000000000000001/update?registryAuthFrom=spec&version=42',
    ]);
    assert.deepEqual(daemon.requests[1]!.body, {
      Name: 'web',
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27', Env: ['A=1'] }, ForceUpdate: 0 },
      Mode: { Replicated: { Replicas: 2 } },
    });
    assert.equal(io.stdout, 'web\n');
  });

  it('update --rollback: rollback=previous and the spec as it is', async () => {
    const daemon = new FakeDaemon({
      'GET /services/web': webService(),
      'POST /services/svcweb0000000000000000001/update': {},
    });
    const { values } = parseServiceArguments('update', ['--rollback', '-d', 'web']);
    await runUpdate(daemon, 'web', values, captureIo(NOW));
    assert.equal(
      daemon.lines()[1],
      'POST /services/svcweb0000000000000000001/update?registryAuthFrom=spec&rollback=previous&version=42',
    );
    assert.deepEqual(daemon.requests[1]!.body, webService().Spec);
  });

  it('a bad flag value is reported before any request, as pflag does', async () => {
    const daemon = new FakeDaemon({});
    const { values } = parseServiceArguments('update', ['--limit-cpu', 'lots', 'web']);
    await assert.rejects(runUpdate(daemon, 'web', values, captureIo(NOW)), {
      message:
        'invalid argument "lots" for "--limit-cpu" flag: failed to parse lots as a rational number',
    });
    assert.equal(daemon.requests.length, 0);
  });

  it('update of a service that does not exist', async () => {
    const daemon = new FakeDaemon({});
    const { values } = parseServiceArguments('update', ['-d', '--image', 'x', 'nope']);
    await assert.rejects(runUpdate(daemon, 'nope', values, captureIo(NOW)), {
      message: 'Error: No such service: nope',
    });
  });

  it('rollback: POST update?rollback=previous, then waits', async () => {
    const daemon = new FakeDaemon({
      'GET /services/web': webService({ UpdateStatus: { State: 'completed' } }),
      'POST /services/svcweb0000000000000000001/update': {},
    });
    const io = captureIo(NOW);
    await runRollback(daemon, 'web', { detach: false, quiet: false }, io);
    assert.deepEqual(daemon.lines(), [
      'GET /services/web?insertDefaults=false',
      'POST /services/svcweb0000000000000000001/update?rollback=previous&version=42',
      'GET /services/web?insertDefaults=false',
    ]);
    assert.equal(io.stdout, 'web\n');
  });

  it('scale web=5 api=x: GET + update per service, errors gathered at the end', async () => {
    const daemon = new FakeDaemon({
      'GET /services/web': webService(),
      'POST /services/svcweb0000000000000000001/update': {},
      'GET /services/glob': webService({
        ID: 'g1',
        Spec: { ...webService().Spec, Name: 'glob', Mode: { Global: {} } },
      }),
    });
    const io = captureIo(NOW);
    await assert.rejects(
      runScale(daemon, ['web=5', 'api=x', 'glob=2', 'gone=1'], { detach: true }, io),
      {
        message: [
          'api: invalid replicas value x: strconv.ParseUint: parsing "x": invalid syntax',
          'glob: scale can only be used with replicated or replicated-job mode',
          'gone: Error: No such service: gone',
        ].join('\n'),
      },
    );
    assert.equal(io.stdout, 'web scaled to 5\n');
    assert.deepEqual((daemon.requests[1]!.body as Service['Spec']).Mode, {
      Replicated: { Replicas: 5 },
    });
    assert.equal(daemon.lines()[1], 'POST /services/svcweb0000000000000000001/update?version=42');
  });

  it('scale refuses a specifier without "="', async () => {
    await assert.rejects(
      runScale(new FakeDaemon({}), ['web'], { detach: true }, captureIo(NOW)),
      (error: Error) =>
        error.message.startsWith(
          "invalid scale specifier 'web'.\nSee 'shoal service scale --help'.",
        ),
    );
  });
});

describe('service rm / ls / ps / inspect', () => {
  it('rm: DELETE each, names printed, errors at the end', async () => {
    const daemon = new FakeDaemon({
      'DELETE /services/web': undefined,
      'DELETE /services/api': daemonError(500, 'boom'),
    });
    const io = captureIo(NOW);
    await assert.rejects(runRemove(daemon, ['web', 'gone', 'api'], io), {
      message: 'Error: No such service: gone\nError response from daemon: boom',
    });
    assert.equal(io.stdout, 'web\n');
    assert.deepEqual(daemon.lines(), [
      'DELETE /services/web',
      'DELETE /services/gone',
      'DELETE /services/api',
    ]);
  });

  it('ls: GET /services?filters&status=true; -q without status', async () => {
    const listed = [{ ...webService(), ServiceStatus: { RunningTasks: 2, DesiredTasks: 2 } }];
    const daemon = new FakeDaemon({ 'GET /services': listed });
    const io = captureIo(NOW);
    await runList(daemon, { quiet: false, filters: ['Name=web', 'label=a=b'] }, io);
    await runList(daemon, { quiet: true, filters: [] }, io);
    assert.deepEqual(daemon.lines(), [
      'GET /services?filters={"name":{"web":true},"label":{"a=b":true}}&status=true',
      'GET /services',
    ]);
    assert.match(io.stdout, /svcweb000000 {3}web {7}replicated {3}2\/2 {8}nginx:1\.26/);
    await assert.rejects(
      runList(daemon, { quiet: false, filters: ['bogus'] }, io),
      (error: Error & { exitCode?: number }) => {
        assert.equal(
          error.message,
          'invalid argument "bogus" for "-f, --filter" flag: bad format of filter (expected name=value)',
        );
        assert.equal(error.exitCode, 125);
        return true;
      },
    );
  });

  it('ps: services by ID and by name, tasks by service, names resolved', async () => {
    const task = {
      ID: 'task1aaaaaaaaaaaaaaaaaaaa',
      Version: { Index: 1 },
      CreatedAt: '2024-05-01T11:59:00Z',
      UpdatedAt: '2024-05-01T11:59:00Z',
      Labels: {},
      Spec: { ContainerSpec: { Image: 'nginx:1.26' } },
      ServiceID: 'svcweb0000000000000000001',
      Slot: 1,
      NodeID: 'node1id',
      Status: { Timestamp: '2024-05-01T11:59:30Z', State: 'running', Message: '' },
      DesiredState: 'running',
    };
    const daemon = new FakeDaemon({
      'GET /services': (request: { query?: { filters?: string } }) =>
        request.query?.filters?.includes('"name"') ? [webService()] : [],
      'GET /tasks': [task],
      'GET /services/svcweb0000000000000000001': webService(),
      'GET /nodes/node1id': { ID: 'node1id', Spec: {}, Description: { Hostname: 'pi-1' } },
      'GET /info': { Swarm: { NodeID: 'node1id' } },
    });
    const io = captureIo(NOW);
    await assert.rejects(
      runPs(
        daemon,
        ['web', 'missing'],
        { quiet: false, noTrunc: false, noResolve: false, filters: ['node=self'] },
        io,
      ),
      {
        message: 'no such service: missing',
      },
    );
    assert.deepEqual(daemon.lines(), [
      'GET /services?filters={"id":{"web":true,"missing":true}}',
      'GET /services?filters={"name":{"web":true,"missing":true}}',
      'GET /info',
      'GET /tasks?filters={"node":{"node1id":true},"service":{"svcweb0000000000000000001":true}}',
      'GET /services/svcweb0000000000000000001?insertDefaults=false',
      'GET /nodes/node1id',
    ]);
    assert.match(io.stdout, /^ID +NAME +IMAGE +NODE +DESIRED STATE +CURRENT STATE +ERROR +PORTS\n/);
    assert.match(
      io.stdout,
      /task1aaaaaaa {3}web\.1 {5}nginx:1\.26 {3}pi-1 {6}Running {9}Running 30 seconds ago/,
    );
  });

  it('ps of no known service fails with every miss', async () => {
    const daemon = new FakeDaemon({ 'GET /services': [] });
    await assert.rejects(
      runPs(
        daemon,
        ['a', 'b'],
        { quiet: false, noTrunc: false, noResolve: false, filters: [] },
        captureIo(NOW),
      ),
      {
        message: 'no such service: a\nno such service: b',
      },
    );
  });

  it('inspect: GET /services/{ref}?insertDefaults=true; JSON array; missing ones after', async () => {
    const daemon = new FakeDaemon({ 'GET /services/web': webService() });
    const io = captureIo(NOW);
    await assert.rejects(runInspect(daemon, ['web', 'gone'], { pretty: false }, io), {
      message: 'Error: no such service: gone',
    });
    assert.deepEqual(daemon.lines(), [
      'GET /services/web?insertDefaults=true',
      'GET /services/gone?insertDefaults=true',
    ]);
    assert.deepEqual(JSON.parse(io.stdout), [webService()]);
    assert.ok(io.stdout.startsWith('[\n    {\n        "ID": '));
    const formatted = captureIo(NOW);
    await runInspect(
      daemon,
      ['web'],
      { format: '{{.Spec.Name}} {{.Version.Index}}', pretty: false },
      formatted,
    );
    assert.equal(formatted.stdout, 'web 42\n');
    const none = captureIo(NOW);
    await assert.rejects(runInspect(daemon, ['gone'], { pretty: false }, none));
    assert.equal(none.stdout, '[]\n');
    await assert.rejects(runInspect(daemon, ['web'], { pretty: true, format: '{{.ID}}' }, none), {
      message: '--format is incompatible with human friendly format',
    });
  });

  it('inspect --pretty', async () => {
    const daemon = new FakeDaemon({ 'GET /services/web': webService() });
    const io = captureIo(NOW);
    await runInspect(daemon, ['web'], { pretty: true }, io);
    assert.match(
      io.stdout,
      /^\nID:\t\tsvcweb0000000000000000001\nName:\t\tweb\nService Mode:\tReplicated\n Replicas:\t2\n/,
    );
  });
});
