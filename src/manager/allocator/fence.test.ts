// The fence, tested against the real store: writers compute batches from views that go stale
// (as managers whose copies lag, or a leader racing a follower) and the store applies them in
// any order. Whatever applies must leave no address, subnet or VXLAN id held twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasEnded } from '../../orchestrator/index.ts';
import {
  type Batch,
  type Change,
  ConflictError,
  NotFoundError,
  type ObjectInput,
  Store,
  type Task,
} from '../../store/index.ts';
import { seededRandom } from '../../store/test-support.ts';
import { allocateNetwork, ingressNetworkInput, VXLAN_ID_OPTION } from '../networks/index.ts';
import { addressingOf } from './address-book.ts';
import { AllocationError } from './errors.ts';
import { fenceNetwork } from './fence.ts';
import { overlaps } from './ipv4.ts';
import { allocateServiceEndpoint } from './service-endpoint.ts';
import { allocateBatch } from './task-batches.ts';

const AT = '2024-01-01T00:00:00.000Z';

function view(store: Store) {
  return {
    networks: store.list('networks'),
    services: store.list('services'),
    tasks: store.list('tasks'),
  };
}

function checkInvariants(store: Store, context: string): void {
  const held = new Map<string, string>();
  const hold = (networkId: string, address: string, holder: string) => {
    const key = `${networkId} ${address.split('/')[0]}`;
    const other = held.get(key);
    assert.equal(other, undefined, `${context}: ${key} held by ${other} and ${holder}`);
    held.set(key, holder);
  };
  for (const service of store.list('services')) {
    for (const vip of service.Endpoint?.VirtualIPs ?? []) hold(vip.NetworkID, vip.Addr, service.ID);
  }
  for (const task of store.list('tasks')) {
    if (hasEnded(task)) continue;
    for (const attachment of task.NetworksAttachments ?? []) {
      for (const address of attachment.Addresses) hold(attachment.Network.ID, address, task.ID);
    }
  }
  const networks = store.list('networks');
  const vxlanIds = new Set<string>();
  for (const [i, a] of networks.entries()) {
    const vxlan = a.DriverState?.Options?.[VXLAN_ID_OPTION] ?? '';
    assert.ok(!vxlanIds.has(vxlan), `${context}: VXLAN id ${vxlan} twice`);
    vxlanIds.add(vxlan);
    for (const b of networks.slice(i + 1)) {
      assert.ok(
        !overlaps(addressingOf(a)!.subnet, addressingOf(b)!.subnet),
        `${context}: networks ${a.ID} and ${b.ID} overlap`,
      );
    }
  }
}

function newTask(id: string, serviceId: string, store: Store): ObjectInput<'tasks'> {
  const service = store.get('services', serviceId)!;
  return {
    ID: id,
    Labels: {},
    Spec: structuredClone(service.Spec.TaskTemplate),
    ServiceID: serviceId,
    Status: { Timestamp: AT, State: 'new', Message: 'created' },
    DesiredState: 'running',
  };
}

type Writer = (store: Store, random: () => number, id: string) => Change[] | undefined;

const writers: Writer[] = [
  // A service on one or two networks, maybe publishing a port (ingress VIP too).
  (store, random, id) => {
    const networks = store.list('networks').filter((n) => !n.Spec.Ingress);
    if (networks.length === 0) return undefined;
    const picked = networks.filter(() => random() < 0.6).slice(0, 2);
    const spec = {
      Name: `svc-${id}`,
      Labels: {},
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        Networks: picked.map((n) => ({ Target: n.ID })),
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: random() < 0.3 ? { Ports: [{ Protocol: 'tcp' as const, TargetPort: 80 }] } : {},
    };
    const draft = { ID: id, Spec: spec, Endpoint: {} };
    const { virtualIps, writes } = allocateServiceEndpoint(view(store), draft);
    const object = { ...draft, Endpoint: { VirtualIPs: virtualIps } };
    return [{ kind: 'create', table: 'services', object }, ...writes];
  },
  // A few tasks of a service, allocated as the orchestration loop does.
  (store, random, id) => {
    const services = store.list('services');
    if (services.length === 0) return undefined;
    const service = services[Math.floor(random() * services.length)]!;
    const creates: Change[] = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => ({
      kind: 'create',
      table: 'tasks',
      object: newTask(`${id}-${i}`, service.ID, store),
    }));
    return allocateBatch(view(store), creates, 200, AT).batch;
  },
  // A task ends: its addresses are free again (no fence needed to free).
  (store, random) => {
    const live = store.list('tasks').filter((t) => !hasEnded(t));
    if (live.length === 0) return undefined;
    const task = live[Math.floor(random() * live.length)]!;
    const ended: Task = { ...task, Status: { ...task.Status, State: 'shutdown' } };
    return [{ kind: 'update', table: 'tasks', object: ended, expectedVersion: task.Version.Index }];
  },
  // A network from the pool (small blocks, so they run out and clash).
  (store, _random, id) => {
    const networks = store.list('networks');
    const object = allocateNetwork({
      id,
      spec: { Name: `net-${id}`, Labels: {}, DriverConfiguration: { Name: 'overlay' } },
      cluster: { DefaultAddrPool: ['10.0.0.0/26'], SubnetSize: 29 },
      networks,
    });
    const fence = fenceNetwork(networks);
    const changes: Change[] = [{ kind: 'create', table: 'networks', object }];
    if (fence) {
      changes.push({
        kind: 'update',
        table: 'networks',
        object: fence,
        expectedVersion: fence.Version.Index,
      });
    }
    return changes;
  },
];

describe('allocation fence', () => {
  it('property: batches from stale views never hand out an address, subnet or VXLAN id twice', () => {
    let applied = 0;
    let fenced = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const random = seededRandom(seed);
      const store = new Store();
      let index = 0;
      const apply = (changes: Change[]) => {
        const batch: Batch = { timestamp: AT, changes };
        return store.apply(++index, batch);
      };
      const ingress = ingressNetworkInput('ingress', {
        DefaultAddrPool: ['10.0.0.0/26'],
        SubnetSize: 29,
      });
      assert.ok(apply([{ kind: 'create', table: 'networks', object: ingress }]).ok);
      const pending: Change[][] = [];
      for (let step = 0; step < 150; step++) {
        const context = `seed ${seed} step ${step}`;
        if (pending.length > 0 && random() < 0.5) {
          const [changes] = pending.splice(Math.floor(random() * pending.length), 1);
          const result = apply(changes!);
          if (result.ok) applied++;
          else {
            assert.ok(
              result.error instanceof ConflictError || result.error instanceof NotFoundError,
              `${context}: ${result.error.message}`,
            );
            fenced++;
          }
          checkInvariants(store, context);
          continue;
        }
        const writer = writers[Math.floor(random() * writers.length)]!;
        try {
          const changes = writer(store, random, `o${seed}-${step}`);
          if (changes && changes.length > 0) pending.push(changes);
        } catch (error) {
          if (!(error instanceof AllocationError)) throw error;
        }
      }
    }
    assert.ok(applied > 500, `batches applied: ${applied}`);
    assert.ok(fenced > 100, `batches fenced off: ${fenced}`);
  });
});
