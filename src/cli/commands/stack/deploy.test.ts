// The requests `stack deploy` and `stack rm` make, in docker's order, against a recording daemon,
// starting from real compose text through the real loader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadStack, type StackDeployment } from '../../../compose/index.ts';
import type { Service, ServiceSpec, Task } from '../../../store/index.ts';
import { daemonError } from '../service/index.ts';
import { dependencyStatus, type WaitClock, waitForDependency } from './dependencies.ts';
import { runDeploy, runRemove } from './deploy.ts';
import { captureIo, type Recorded, RecordingDaemon, type Route } from './test-support.ts';

const COMPOSE = `
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    secrets: [db_password]
    configs: [site]
    networks: [default, shared]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    healthcheck:
      test: pg_isready
      interval: 1s
    networks: [back]
    secrets: [db_password]
networks:
  back:
  shared:
    external: true
secrets:
  db_password:
    environment: DB_PASSWORD
configs:
  site:
    environment: SITE
`;

function deployment(text = COMPOSE): StackDeployment {
  const environment: Record<string, string> = { DB_PASSWORD: 'pw', SITE: 'server {}' };
  return loadStack({
    stack: 'blog',
    files: [{ name: 'compose.yml', text }],
    workingDir: '/srv/blog',
    environment: (name) => environment[name],
    readFile: () => undefined,
  });
}

function stored(id: string, spec: ServiceSpec, version = 3): Service {
  return {
    ID: id,
    Version: { Index: version },
    CreatedAt: '2024-05-01T11:00:00Z',
    UpdatedAt: '2024-05-01T11:00:00Z',
    Spec: spec,
  };
}

function runningTask(serviceId: string, slot: number): Task {
  return {
    ID: `task-${serviceId}-${slot}`,
    Version: { Index: 1 },
    CreatedAt: '2024-05-01T11:59:00Z',
    UpdatedAt: '2024-05-01T11:59:00Z',
    Labels: {},
    Spec: {},
    ServiceID: serviceId,
    Slot: slot,
    Status: { Timestamp: '2024-05-01T11:59:30Z', State: 'running', Message: 'started' },
    DesiredState: 'running',
  };
}

const instantClock = (): WaitClock & { elapsed: number } => {
  const clock = {
    elapsed: 0,
    now: () => clock.elapsed,
    sleep: async (ms: number) => {
      clock.elapsed += ms;
    },
  };
  return clock;
};

/** A small swarm behind the routes: services, networks, secrets and configs it keeps. */
function swarmRoutes(initial: { services?: Service[]; manager?: boolean } = {}) {
  const services = new Map((initial.services ?? []).map((service) => [service.ID, service]));
  let next = 0;
  const byName = (name: string) => [...services.values()].find((s) => s.Spec.Name === name);
  const routes: Record<string, Route> = {
    'GET /info': () => ({ Swarm: { ControlAvailable: initial.manager ?? true } }),
    'GET /services': () => [...services.values()],
    'GET /networks': (request: Recorded) =>
      request.query?.filters
        ? []
        : [
            { Name: 'blog_back', Id: 'net-back' },
            { Name: 'blog_default', Id: 'net-default' },
          ],
    'GET /networks/shared': () => ({ Name: 'shared', Id: 'net-shared', Scope: 'swarm' }),
    'POST /networks/create': () => ({ Id: `net-${++next}` }),
    'GET /secrets/blog_db_password': () => daemonError(404, 'secret blog_db_password not found'),
    'POST /secrets/create': () => ({ ID: 'sec-1' }),
    'GET /configs/blog_site': () => ({ ID: 'cfg-1', Version: { Index: 5 } }),
    'POST /configs/cfg-1/update': () => undefined,
    'GET /secrets': () => [{ ID: 'sec-1', Spec: { Name: 'blog_db_password' } }],
    'GET /configs': () => [{ ID: 'cfg-1', Spec: { Name: 'blog_site' } }],
    'POST /services/create': (request: Recorded) => {
      const id = `svc-${++next}`;
      services.set(id, stored(id, request.body as ServiceSpec));
      routes[`GET /services/${(request.body as ServiceSpec).Name}`] = () =>
        byName((request.body as ServiceSpec).Name);
      return { ID: id };
    },
    'GET /tasks': (request: Recorded) => {
      const filters = JSON.parse(String(request.query?.filters)) as {
        service: Record<string, boolean>;
      };
      return Object.keys(filters.service).map((id) => runningTask(id, 1));
    },
  };
  for (const service of services.values()) {
    routes[`GET /services/${service.Spec.Name}`] = () => byName(service.Spec.Name);
    routes[`POST /services/${service.ID}/update`] = () => ({ Warnings: null });
  }
  return { routes, services };
}

describe('stack deploy', () => {
  it('creates networks, secrets and configs, then services in dependency order', async () => {
    const { routes } = swarmRoutes();
    const daemon = new RecordingDaemon(routes);
    const io = captureIo();
    await runDeploy(
      daemon,
      deployment(),
      { prune: false, resolveImage: 'always', detach: true, quiet: false },
      io,
      instantClock(),
    );
    assert.deepEqual(daemon.lines(), [
      'GET /info',
      'GET /networks/shared',
      'GET /networks',
      'POST /networks/create',
      'POST /networks/create',
      'GET /secrets/blog_db_password',
      'POST /secrets/create',
      'GET /configs/blog_site',
      'POST /configs/cfg-1/update',
      'GET /networks',
      'GET /secrets',
      'GET /secrets',
      'GET /configs',
      'GET /services',
      'POST /services/create',
      'GET /services/blog_db',
      'GET /tasks',
      'POST /services/create',
    ]);
    assert.equal(
      io.stdout,
      [
        'Creating network blog_back',
        'Creating network blog_default',
        'Creating secret blog_db_password',
        'Creating service blog_db',
        'Waiting for blog_db (service_healthy)',
        'Creating service blog_web',
        '',
      ].join('\n'),
    );
    const created = daemon.requests.filter((r) => r.path === '/services/create');
    const web = created[1]!.body as ServiceSpec;
    assert.equal(web.Name, 'blog_web');
    assert.deepEqual(web.TaskTemplate.Networks, [
      { Target: 'net-default', Aliases: ['web'] },
      { Target: 'shared', Aliases: ['web'] },
    ]);
    assert.deepEqual(web.TaskTemplate.ContainerSpec?.Secrets?.[0]?.SecretID, 'sec-1');
    assert.deepEqual(web.TaskTemplate.ContainerSpec?.Configs?.[0]?.ConfigID, 'cfg-1');
    const secret = daemon.requests.find((r) => r.path === '/secrets/create')!.body;
    assert.deepEqual(secret, {
      Name: 'blog_db_password',
      Labels: { 'com.docker.stack.namespace': 'blog' },
      Data: Buffer.from('pw').toString('base64'),
    });
    const configUpdate = daemon.requests.find((r) => r.path === '/configs/cfg-1/update')!;
    assert.deepEqual(configUpdate.query, { version: 5 });
  });

  it('updates only the services whose spec changed, with their version', async () => {
    const first = swarmRoutes();
    await runDeploy(
      new RecordingDaemon(first.routes),
      deployment(),
      { prune: false, resolveImage: 'never', detach: true, quiet: false },
      captureIo(),
      instantClock(),
    );
    const current = [...first.services.values()];
    const { routes } = swarmRoutes({ services: current });
    const daemon = new RecordingDaemon(routes);
    const io = captureIo();
    await runDeploy(
      daemon,
      deployment(COMPOSE.replace('nginx:1.27', 'nginx:1.28')),
      { prune: false, resolveImage: 'never', detach: true, quiet: false },
      io,
      instantClock(),
    );
    const web = current.find((service) => service.Spec.Name === 'blog_web')!;
    const updates = daemon.requests.filter(
      (r) => r.path.endsWith('/update') && r.path.startsWith('/services'),
    );
    assert.deepEqual(
      updates.map((r) => [r.path, r.query]),
      [[`/services/${web.ID}/update`, { version: 3 }]],
    );
    assert.equal((updates[0]!.body as ServiceSpec).TaskTemplate.ContainerSpec?.Image, 'nginx:1.28');
    assert.match(io.stdout, new RegExp(`Updating service blog_web \\(id: ${web.ID}\\)\n$`));
    assert.doesNotMatch(io.stdout, /(Creating|Updating) service blog_db/);
  });

  it('with --prune removes the services the files no longer name, first', async () => {
    const old = stored('old1', { ...deployment().services[0]!.spec, Name: 'blog_old' });
    const { routes } = swarmRoutes({ services: [old] });
    routes['DELETE /services/old1'] = () => undefined;
    const daemon = new RecordingDaemon(routes);
    const io = captureIo();
    await runDeploy(
      daemon,
      deployment(),
      { prune: true, resolveImage: 'never', detach: true, quiet: false },
      io,
      instantClock(),
    );
    assert.deepEqual(daemon.lines().slice(0, 3), [
      'GET /info',
      'GET /services',
      'DELETE /services/old1',
    ]);
    assert.match(io.stdout, /^Removing service blog_old\n/);
  });

  it('stops before anything is created when an external network is missing or not a manager', async () => {
    const { routes } = swarmRoutes();
    delete routes['GET /networks/shared'];
    const daemon = new RecordingDaemon(routes);
    const options = { prune: false, resolveImage: 'never' as const, detach: true, quiet: false };
    await assert.rejects(runDeploy(daemon, deployment(), options, captureIo()), {
      message:
        'network "shared" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed',
    });
    assert.ok(!daemon.lines().some((line) => line.startsWith('POST')));
    const worker = new RecordingDaemon(swarmRoutes({ manager: false }).routes);
    await assert.rejects(
      runDeploy(worker, deployment(), options, captureIo()),
      /not a swarm manager/,
    );
    assert.deepEqual(worker.lines(), ['GET /info']);
  });

  it('names the service that failed, with the daemon message', async () => {
    const { routes } = swarmRoutes();
    routes['POST /services/create'] = () => daemonError(400, 'rpc error: invalid image');
    await assert.rejects(
      runDeploy(
        new RecordingDaemon(routes),
        deployment(),
        { prune: false, resolveImage: 'never', detach: true, quiet: false },
        captureIo(),
        instantClock(),
      ),
      {
        message:
          'failed to create service blog_db: Error response from daemon: rpc error: invalid image',
      },
    );
  });
});

describe('depends_on waiting', () => {
  const db = stored('db1', {
    Name: 'blog_db',
    Labels: {},
    TaskTemplate: {},
    Mode: { Replicated: { Replicas: 2 } },
  });

  it('counts running tasks against the replicas, completed ones for jobs', () => {
    const one = [
      runningTask('db1', 1),
      {
        ...runningTask('db1', 2),
        Status: { ...runningTask('db1', 2).Status, State: 'starting' as const },
      },
    ];
    assert.deepEqual(dependencyStatus('service_healthy', db, one), {
      satisfied: false,
      detail: '1/2 healthy',
    });
    const two = [runningTask('db1', 1), runningTask('db1', 2)];
    assert.deepEqual(dependencyStatus('service_started', db, two), {
      satisfied: true,
      detail: '2/2 running',
    });
    const job = {
      ...db,
      Spec: { ...db.Spec, Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } } },
    };
    const done = [
      {
        ...runningTask('db1', 1),
        DesiredState: 'complete' as const,
        Status: { ...runningTask('db1', 1).Status, State: 'complete' as const },
      },
    ];
    assert.equal(dependencyStatus('service_completed_successfully', job, done).satisfied, true);
    assert.equal(dependencyStatus('service_completed_successfully', job, []).satisfied, false);
  });

  it('polls until the dependency is ready, and gives up at the deadline with what it saw', async () => {
    let polls = 0;
    const daemon = new RecordingDaemon({
      'GET /tasks': () =>
        ++polls < 3 ? [runningTask('db1', 1)] : [runningTask('db1', 1), runningTask('db1', 2)],
    });
    const clock = instantClock();
    await waitForDependency(daemon, 'blog_web', db, 'service_started', clock);
    assert.equal(polls, 3);

    const stuck = new RecordingDaemon({
      'GET /tasks': () => [
        {
          ...runningTask('db1', 1),
          Status: {
            Timestamp: '2024-05-01T11:59:30Z',
            State: 'failed' as const,
            Message: 'failed',
            Err: 'exit 1',
          },
        },
      ],
    });
    await assert.rejects(
      waitForDependency(stuck, 'blog_web', db, 'service_healthy', instantClock(), 2_000),
      {
        message:
          'service blog_web depends on blog_db (service_healthy), which is not ready after 2s: 0/2 healthy; last task error: exit 1',
      },
    );
    assert.equal(stuck.requests.length, 5);
  });
});

describe('stack rm', () => {
  it('removes services, then secrets, configs and networks; nothing found is a note', async () => {
    const web = stored('svc-web', { Name: 'blog_web', Labels: {}, TaskTemplate: {}, Mode: {} });
    const daemon = new RecordingDaemon({
      'GET /services': () => [web],
      'GET /networks': () => [{ Name: 'blog_default', Id: 'net-1' }],
      'GET /secrets': () => [{ ID: 'sec-1', Spec: { Name: 'blog_pw' } }],
      'GET /configs': () => [],
      'DELETE /services/svc-web': () => undefined,
      'DELETE /secrets/sec-1': () => undefined,
      'DELETE /networks/net-1': () => daemonError(409, 'network is in use'),
    });
    const io = captureIo();
    await assert.rejects(runRemove(daemon, ['blog'], io, instantClock()), {
      message: 'failed to remove some resources from stack: blog',
    });
    assert.equal(
      io.stdout,
      'Removing service blog_web\nRemoving secret blog_pw\nRemoving network blog_default\n',
    );
    assert.equal(
      io.stderr,
      'Failed to remove network net-1: Error response from daemon: network is in use\n',
    );

    let attempts = 0;
    const busy = new RecordingDaemon({
      'GET /services': () => [],
      'GET /networks': () => [{ Name: 'blog_default', Id: 'net-1' }],
      'GET /secrets': () => [],
      'GET /configs': () => [],
      'DELETE /networks/net-1': () =>
        ++attempts < 3
          ? daemonError(400, 'network demo_default is in use by task t1: wait for it to stop')
          : undefined,
    });
    await runRemove(busy, ['blog'], captureIo(), instantClock());
    assert.equal(attempts, 3, 'a network still held by stopping tasks is retried');

    const empty = new RecordingDaemon({
      'GET /services': () => [],
      'GET /networks': () => [],
      'GET /secrets': () => [],
      'GET /configs': () => [],
    });
    const quiet = captureIo();
    await runRemove(empty, ['gone'], quiet);
    assert.equal(quiet.stderr, 'Nothing found in stack: gone\n');
  });
});
