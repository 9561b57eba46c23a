// The network control API and the services' use of networks, on a real one-member manager.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSpec } from '../../store/index.ts';
import { ServiceControl } from '../services/index.ts';
import { NetworkError } from './errors.ts';
import { NetworkControl } from './network-control.ts';
import { managerWithIngress, testId } from './test-support.ts';
import { networkResource } from './view.ts';

function serviceSpec(name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    Name: name,
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
    Mode: { Replicated: { Replicas: 1 } },
    ...extra,
  };
}

const onNetworks = (name: string, ...targets: string[]) =>
  serviceSpec(name, {
    TaskTemplate: {
      ContainerSpec: { Image: 'busybox' },
      Networks: targets.map((Target) => ({ Target, Aliases: [`${name}-alias`] })),
    },
  });

async function rejects(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, (error as Error).message);
    assert.match((error as Error).message, message);
    return true;
  });
}

describe('network control', () => {
  it('creates networks in free blocks of the pool, or in the subnet asked for', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    const ingress = networkResource(networks.find('ingress'));
    assert.deepEqual(ingress.IPAM.Config, [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }]);
    assert.equal(ingress.Ingress, true);
    assert.equal(ingress.Options['com.docker.network.driver.overlay.vxlanid_list'], '4096');

    const { Id, Warning } = await networks.create({ Name: 'backend', Driver: 'overlay' });
    assert.equal(Warning, '');
    const backend = networkResource(networks.find(Id));
    assert.equal(backend.Name, 'backend');
    assert.equal(backend.Scope, 'swarm');
    assert.equal(backend.Driver, 'overlay');
    assert.deepEqual(backend.IPAM.Config, [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }]);
    assert.equal(backend.Options['com.docker.network.driver.overlay.vxlanid_list'], '4097');

    await networks.create({ Name: 'custom', IPAM: { Config: [{ Subnet: '10.0.2.0/23' }] } });
    const third = await networks.create({ Name: 'third' });
    assert.deepEqual(networkResource(networks.find(third.Id)).IPAM.Config, [
      { Subnet: '10.0.4.0/24', Gateway: '10.0.4.1' },
    ]);
    // By name (any case), full ID or unique ID prefix.
    assert.equal(networks.find('BACKEND').ID, Id);
    assert.equal(networks.find(Id.slice(0, 8)).ID, Id);
  });

  it('refuses an overlapping subnet, a taken name and a second ingress, creating nothing', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    await networks.create({ Name: 'backend', IPAM: { Config: [{ Subnet: '10.50.0.0/16' }] } });
    const before = state.store.count('networks');
    await rejects(
      networks.create({ Name: 'other', IPAM: { Config: [{ Subnet: '10.50.3.0/24' }] } }),
      'permission_denied',
      /^invalid pool request: Pool overlaps with other one on this address space \(10.50.3.0\/24 overlaps 10.50.0.0\/16 of network backend\)/,
    );
    await rejects(
      networks.create({ Name: 'Backend' }),
      'conflict',
      /^network with name Backend already exists$/,
    );
    await rejects(
      networks.create({ Name: 'mesh2', Ingress: true }),
      'conflict',
      /^rpc error: code = AlreadyExists desc = ingress network \(ingress0\) is already present$/,
    );
    assert.equal(state.store.count('networks'), before);
  });

  it('gives concurrent creates different subnets (the fence makes one retry)', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    const created = await Promise.all(
      Array.from({ length: 6 }, (_, i) => networks.create({ Name: `n${i}` })),
    );
    const subnets = created.map(
      ({ Id }) => networkResource(networks.find(Id)).IPAM.Config[0]!.Subnet,
    );
    assert.equal(new Set(subnets).size, 6, subnets.join(' '));
  });

  it('resolves service networks to IDs and gives VIPs in their subnets', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    const services = new ServiceControl(state, testId);
    const { Id: backendId } = await networks.create({ Name: 'backend' });
    const { ID } = await services.create(onNetworks('api', 'backend'));
    const api = services.find(ID);
    assert.deepEqual(api.Spec.TaskTemplate.Networks, [
      { Target: backendId, Aliases: ['api-alias'] },
    ]);
    assert.deepEqual(api.Endpoint?.VirtualIPs, [{ NetworkID: backendId, Addr: '10.0.1.2/24' }]);

    // Publishing a port adds a VIP on ingress; the backend VIP is kept.
    await services.update(
      ID,
      api.Version.Index,
      {
        ...api.Spec,
        EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080 }] },
      },
      false,
    );
    const published = services.find(ID);
    assert.deepEqual(published.Endpoint?.VirtualIPs, [
      { NetworkID: 'ingress0', Addr: '10.0.0.2/24' },
      { NetworkID: backendId, Addr: '10.0.1.2/24' },
    ]);
    // Leaving the network drops its VIP.
    await services.update(
      ID,
      published.Version.Index,
      {
        ...published.Spec,
        TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
      },
      false,
    );
    assert.deepEqual(services.find(ID).Endpoint?.VirtualIPs, [
      { NetworkID: 'ingress0', Addr: '10.0.0.2/24' },
    ]);
  });

  it('refuses unknown, local and ingress networks for services', async (t) => {
    const state = await managerWithIngress(t);
    const services = new ServiceControl(state, testId);
    await rejects(
      services.create(onNetworks('a', 'nope')),
      'not_found',
      /^network nope not found$/,
    );
    await rejects(
      services.create(onNetworks('b', 'bridge')),
      'permission_denied',
      /^The network bridge cannot be used with services\. Only networks scoped to the swarm can be used/,
    );
    await rejects(
      services.create(onNetworks('c', 'ingress')),
      'invalid_argument',
      /Service cannot be explicitly attached to the ingress network "ingress"/,
    );
    assert.equal(state.store.count('services'), 0);
  });

  it('refuses to remove a network in use, naming the service; removes it once free', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    const services = new ServiceControl(state, testId);
    const { Id } = await networks.create({ Name: 'backend' });
    const { ID } = await services.create(onNetworks('api', Id));
    await rejects(
      networks.remove('backend'),
      'failed_precondition',
      new RegExp(
        `^rpc error: code = FailedPrecondition desc = network backend \\(${Id}\\) is in use by service api \\(${ID}\\)`,
      ),
    );
    await services.remove(ID);
    await networks.remove('backend');
    await rejects(networks.remove('backend'), 'not_found', /^network backend not found$/);
  });

  it('lets a network go while only tasks told to stop, or of removed services, hold it', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    const services = new ServiceControl(state, testId);
    const { Id } = await networks.create({ Name: 'backend' });
    const { ID } = await services.create(onNetworks('api', Id));
    const spec = state.store.get('services', ID)!.Spec;
    await services.update(
      ID,
      state.store.get('services', ID)!.Version.Index,
      {
        ...spec,
        TaskTemplate: { ...spec.TaskTemplate, Networks: [] },
      },
      false,
    );
    const network = networks.find(Id);
    const task = (id: string, desired: 'running' | 'shutdown') => ({
      ID: id,
      Labels: {},
      Spec: spec.TaskTemplate,
      ServiceID: ID,
      Slot: 1,
      Status: { State: 'running' as const, Message: 'started', Timestamp: '' },
      DesiredState: desired,
      NetworksAttachments: [{ Network: network, Addresses: ['10.0.1.9/24'] }],
    });
    await state.propose([{ kind: 'create', table: 'tasks', object: task('t1', 'running') }]);
    await rejects(
      networks.remove('backend'),
      'failed_precondition',
      /network backend \(.*\) is in use by task t1/,
    );
    const running = state.store.get('tasks', 't1')!;
    await state.propose([
      {
        kind: 'update',
        table: 'tasks',
        expectedVersion: running.Version.Index,
        object: { ...running, DesiredState: 'shutdown' },
      },
      { kind: 'create', table: 'tasks', object: task('t2', 'running') },
    ]);
    await rejects(networks.remove('backend'), 'failed_precondition', /in use by task t2/);
    await services.remove(ID);
    await networks.remove('backend');
  });

  it('removes the ingress network only while no service publishes through it', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    const services = new ServiceControl(state, testId);
    const { ID } = await services.create(
      serviceSpec('web', { EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80 }] } }),
    );
    await rejects(
      networks.remove('ingress'),
      'failed_precondition',
      /ingress network cannot be removed because service web \(.*\) depends on it/,
    );
    await services.remove(ID);
    await networks.remove('ingress');
    await rejects(
      services.create(
        serviceSpec('web2', { EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80 }] } }),
      ),
      'failed_precondition',
      /service needs ingress network, but no ingress network is present/,
    );
    // A new ingress network can be created then.
    await networks.create({ Name: 'mesh', Ingress: true });
    assert.equal(networks.find('mesh').Spec.Ingress, true);
    assert.ok(networks.list().every((n) => n.Spec.Name !== 'ingress'));
  });

  it('answers NetworkError for a bad request', async (t) => {
    const state = await managerWithIngress(t);
    const networks = new NetworkControl(state, testId);
    await assert.rejects(networks.create({ Name: 'x', Driver: 'macvlan' }), NetworkError);
  });
});
