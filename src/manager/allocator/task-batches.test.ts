import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change, Task } from '../../store/index.ts';
import { allocateServiceEndpoint } from './service-endpoint.ts';
import { allocateBatch, waitingTasks } from './task-batches.ts';
import { network, service, task } from './test-support.ts';

const AT = '2024-01-02T00:00:00.000Z';
const create = (object: Task): Change => ({ kind: 'create', table: 'tasks', object });

describe('task allocation', () => {
  const ingress = network('ing', '10.0.0.0/24', { ingress: true, version: 3 });
  const backend = network('back', '10.0.1.0/24', { version: 7 });
  const web = service('web', ['back'], {
    ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080 }],
  });
  const state = { networks: [ingress, backend], services: [web], tasks: [] as Task[] };

  it('makes a new task pending with an address on ingress, then its own networks', () => {
    const { batch, consumed } = allocateBatch(state, [create(task('t1', web))], 200, AT);
    assert.equal(consumed, 1);
    const allocated = batch[0]!.kind === 'create' ? (batch[0]!.object as Task) : undefined;
    assert.equal(allocated?.Status.State, 'pending');
    assert.equal(allocated?.Status.Message, 'pending task scheduling');
    assert.deepEqual(
      allocated?.NetworksAttachments?.map((a) => [a.Network.ID, a.Addresses]),
      [
        ['ing', ['10.0.0.2/24']],
        ['back', ['10.0.1.2/24']],
      ],
    );
    // The cursors moved on both networks, which are written with their versions expected
    // (one of them is the fence: the latest written network).
    const writes = batch
      .slice(1)
      .map((c) => c.kind === 'update' && [c.object.ID, c.expectedVersion]);
    assert.deepEqual(writes, [
      ['ing', 3],
      ['back', 7],
    ]);
  });

  it('allocates job tasks (desired complete), not tasks desired shut down', () => {
    const job = { ...task('j1', web), DesiredState: 'complete' as const };
    const stopped = { ...task('s1', web), DesiredState: 'shutdown' as const };
    const { batch } = allocateBatch(state, [create(job), create(stopped)], 200, AT);
    assert.deepEqual(
      batch.slice(0, 2).map((c) => (c as { object: Task }).object.Status.State),
      ['pending', 'new'],
    );
  });

  it('leaves tasks of services on no network untouched but pending, with no network write', () => {
    const plain = service('plain', []);
    const { batch } = allocateBatch(
      { ...state, services: [plain] },
      [create(task('t1', plain))],
      200,
      AT,
    );
    assert.equal(batch.length, 1);
    assert.equal((batch[0] as { object: Task }).object.Status.State, 'pending');
    assert.equal((batch[0] as { object: Task }).object.NetworksAttachments, undefined);
  });

  it('keeps a task new, with the reason, while its network is full; writes nothing while that holds', () => {
    const tiny = network('tiny', '10.0.2.0/30');
    const owner = service('s', ['tiny']);
    const holder = task('holder', owner, 'running', [
      { Network: tiny, Addresses: ['10.0.2.2/30'] },
    ]);
    const full = { networks: [tiny], services: [owner], tasks: [holder] };
    const { batch } = allocateBatch(full, [create(task('t2', owner))], 200, AT);
    const waiting = (batch[0] as { object: Task }).object;
    assert.equal(waiting.Status.State, 'new');
    assert.match(waiting.Status.Err ?? '', /no available addresses on network net-tiny/);
    const stored = { ...waiting, Version: { Index: 5 } } as Task;
    const again = allocateBatch(
      { ...full, tasks: [holder, stored] },
      waitingTasks([holder, stored]),
      200,
      AT,
    );
    assert.deepEqual(again, { batch: [], consumed: 1 });
    // Once the holder ends, the waiting task gets its address.
    const ended = { ...holder, Status: { ...holder.Status, State: 'shutdown' as const } };
    const freed = allocateBatch(
      { ...full, tasks: [ended, stored] },
      waitingTasks([ended, stored]),
      200,
      AT,
    );
    const allocated = (freed.batch[0] as { object: Task }).object;
    assert.equal(allocated.Status.State, 'pending');
    assert.deepEqual(allocated.NetworksAttachments?.[0]?.Addresses, ['10.0.2.2/30']);
  });

  it('never makes a batch longer than the bound, network writes included', () => {
    const tasks = Array.from({ length: 450 }, (_, i) => create(task(`t${i}`, web)));
    let rest = tasks;
    const sizes: number[] = [];
    while (rest.length > 0) {
      const { batch, consumed } = allocateBatch(state, rest, 200, AT);
      assert.ok(batch.length <= 200, `batch of ${batch.length}`);
      sizes.push(batch.length);
      rest = rest.slice(consumed);
    }
    // 450 tasks and two network writes per batch: three batches.
    assert.equal(sizes.length, 3);
  });

  it('gives a service one VIP per network, ingress first; none in dnsrr mode', () => {
    const { virtualIps, writes } = allocateServiceEndpoint(state, web);
    assert.deepEqual(virtualIps, [
      { NetworkID: 'ing', Addr: '10.0.0.2/24' },
      { NetworkID: 'back', Addr: '10.0.1.2/24' },
    ]);
    assert.equal(writes.length, 2);
    const rr = service('rr', ['back'], { mode: 'dnsrr' });
    const dnsrr = allocateServiceEndpoint(state, rr);
    assert.deepEqual(dnsrr.virtualIps, []);
    assert.equal(dnsrr.writes.length, 1, 'still fenced: the network must not go meanwhile');
    // An update keeps the VIPs the service holds.
    const stored = { ...web, Endpoint: { VirtualIPs: virtualIps } };
    const kept = allocateServiceEndpoint({ ...state, services: [stored] }, stored);
    assert.deepEqual(kept.virtualIps, virtualIps);
  });

  it('refuses ingress ports without an ingress network, as swarmkit', () => {
    assert.throws(
      () => allocateServiceEndpoint({ ...state, networks: [backend] }, web),
      /service needs ingress network, but no ingress network is present/,
    );
  });
});
