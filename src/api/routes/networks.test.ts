// /networks over a real API server on a unix socket, backed by a one-member manager holding
// the ingress network: Docker's JSON shapes, statuses and error bodies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterState } from '../../manager/index.ts';
import { managerWithIngress } from '../../manager/networks/test-support.ts';
import { type Json, withApi } from './test-support.ts';

const filters = (value: Record<string, string[]>) => encodeURIComponent(JSON.stringify(value));

test('networks: create, list with filters, inspect, delete', async (t) => {
  const cluster: ClusterState = await managerWithIngress(t);
  await withApi(t, { cluster }, async (call) => {
    const created = await call('POST', '/v1.41/networks/create', {
      Name: 'backend',
      CheckDuplicate: true,
      Driver: 'overlay',
      Attachable: true,
      Labels: { 'com.docker.stack.namespace': 'blog' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.30.0.0/24', Gateway: '10.30.0.254' }] },
    });
    assert.equal(created.status, 201, created.body);
    const { Id, Warning } = created.json();
    assert.equal(Warning, '');

    const inspected = await call('GET', `/v1.41/networks/backend`);
    assert.equal(inspected.status, 200);
    const network = inspected.json();
    assert.deepEqual(Object.keys(network), [
      'Name',
      'Id',
      'Created',
      'Scope',
      'Driver',
      'EnableIPv6',
      'IPAM',
      'Internal',
      'Attachable',
      'Ingress',
      'ConfigFrom',
      'ConfigOnly',
      'Containers',
      'Options',
      'Labels',
    ]);
    assert.equal(network.Id, Id);
    assert.equal(network.Scope, 'swarm');
    assert.equal(network.Driver, 'overlay');
    assert.equal(network.Attachable, true);
    assert.deepEqual(network.IPAM, {
      Driver: 'default',
      Options: null,
      Config: [{ Subnet: '10.30.0.0/24', Gateway: '10.30.0.254' }],
    });
    assert.deepEqual(network.Containers, {});
    assert.match(network.Created, /^\d{4}-\d\d-\d\dT/);
    // The docker CLI asks with ?scope=swarm when resolving a service's --network.
    assert.equal((await call('GET', `/networks/${Id}?scope=swarm`)).status, 200);
    assert.equal((await call('GET', `/networks/${Id}?scope=local`)).status, 404);

    const all = (await call('GET', '/networks')).json();
    assert.deepEqual(all.map((n: Json) => n.Name).sort(), ['backend', 'ingress']);
    const byLabel = await call(
      'GET',
      `/networks?filters=${filters({ label: ['com.docker.stack.namespace=blog'] })}`,
    );
    assert.deepEqual(
      byLabel.json().map((n: Json) => n.Name),
      ['backend'],
    );
    const byName = await call('GET', `/networks?filters=${filters({ name: ['back'] })}`);
    assert.deepEqual(
      byName.json().map((n: Json) => n.Name),
      ['backend'],
    );
    const builtin = await call('GET', `/networks?filters=${filters({ type: ['builtin'] })}`);
    assert.deepEqual(builtin.json(), []);
    const local = await call('GET', `/networks?filters=${filters({ scope: ['local'] })}`);
    assert.deepEqual(local.json(), []);
    const badType = await call('GET', `/networks?filters=${filters({ type: ['odd'] })}`);
    assert.equal(badType.status, 400);
    const badKey = await call('GET', `/networks?filters=${filters({ colour: ['red'] })}`);
    assert.deepEqual([badKey.status, badKey.json().message], [400, "invalid filter 'colour'"]);

    const removed = await call('DELETE', `/networks/${Id.slice(0, 10)}`);
    assert.equal(removed.status, 204);
    const gone = await call('GET', `/networks/${Id}`);
    assert.deepEqual([gone.status, gone.json().message], [404, `network ${Id} not found`]);
  });
});

test('networks: Docker statuses for bad requests', async (t) => {
  const cluster = await managerWithIngress(t);
  await withApi(t, { cluster }, async (call) => {
    const create = (body: unknown) => call('POST', '/networks/create', body);
    assert.equal(
      (await create({ Name: 'one', IPAM: { Config: [{ Subnet: '10.40.0.0/16' }] } })).status,
      201,
    );

    const cases: [unknown, number, RegExp][] = [
      [{ Name: 'one' }, 409, /^network with name one already exists$/],
      [
        { Name: 'two', IPAM: { Config: [{ Subnet: '10.40.8.0/24' }] } },
        403,
        /Pool overlaps with other one on this address space/,
      ],
      [
        { Name: 'three', IPAM: { Config: [{ Subnet: '10.40.8.0/33' }] } },
        400,
        /invalid subnet 10.40.8.0\/33/,
      ],
      [{ Name: 'host' }, 403, /operation is not permitted on predefined host network/],
      [{ Name: 'four', Driver: 'bridge' }, 400, /driver "bridge" is not supported/],
      [{ Name: 'five', Ingress: true }, 409, /ingress network \(.*\) is already present/],
    ];
    for (const [body, status, message] of cases) {
      const response = await create(body);
      assert.equal(response.status, status, `${JSON.stringify(body)}: ${response.body}`);
      assert.match(response.json().message, message);
    }
    const missing = await call('DELETE', '/networks/nope');
    assert.deepEqual([missing.status, missing.json().message], [404, 'network nope not found']);
    const names = (await call('GET', '/networks'))
      .json()
      .map((n: Json) => n.Name)
      .sort();
    assert.deepEqual(names, ['ingress', 'one'], 'nothing half-created');
  });
});

test('networks on a worker: none listed or found; changes need a manager', async (t) => {
  const worker = {
    cluster: null,
    identity: {
      nodeId: 'w1',
      clusterId: 'c1',
      role: 'worker' as const,
      advertiseAddr: '127.0.0.2:2377',
      managers: [],
    },
  };
  await withApi(t, worker, async (call) => {
    assert.deepEqual((await call('GET', '/networks')).json(), []);
    assert.equal((await call('GET', '/networks/ingress')).status, 404);
    const create = await call('POST', '/networks/create', { Name: 'x' });
    assert.equal(create.status, 503);
    assert.match(
      create.json().message,
      /^This node is not a swarm manager\. Worker nodes can't be used/,
    );
    assert.equal((await call('DELETE', '/networks/x')).status, 503);
  });
});
