// A manager back on a new address: the pure reads of its member entry, and the updater run
// against three real ClusterStates whose in-memory network delivers a message only where
// the sender's store says the receiver is, as the Raft transport dials (the moved member hears
// nothing until the others' stores name its new address).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message, NodeId } from '../raft/index.ts';
import type { Change, ObjectInput, Store } from '../store/index.ts';
import { nodeInput } from '../store/test-support.ts';
import { waitFor } from '../testkit/index.ts';
import type { ClusterState } from './cluster-state.ts';
import { addressOfRaftMember } from './cluster-view.ts';
import {
  MemberAddressUpdater,
  memberAddressChange,
  memberEntry,
  redirectOf,
  registrationTargets,
} from './member-address.ts';
import { testMember } from './test-support.ts';

const RAFT_IDS = { n1: 1, n2: 2, n3: 3 } as Record<string, number>;
const nodeOf = (raftId: number) => `n${raftId}`;
const initialAddr = (raftId: number) => `10.0.0.${raftId}:2377`;

function clusterInput(): ObjectInput<'cluster'> {
  return {
    ID: 'cluster',
    Spec: { Name: 'default' },
    JoinTokens: { Worker: '', Manager: '' },
    Internal: { rootCaKeyPem: '', raftIds: RAFT_IDS },
  } as unknown as ObjectInput<'cluster'>;
}

function managerInput(raftId: number): ObjectInput<'nodes'> {
  return {
    ...nodeInput(nodeOf(raftId), nodeOf(raftId)),
    Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
    ManagerStatus: { Reachability: 'reachable', Addr: initialAddr(raftId) },
  };
}

const SEED: Change[] = [
  { kind: 'create', table: 'cluster', object: clusterInput() },
  ...[1, 2, 3].map((id): Change => ({ kind: 'create', table: 'nodes', object: managerInput(id) })),
];

/** Three managers; each one's real address, and cuts. */
class Managers {
  readonly members = new Map<NodeId, ClusterState>();
  /** Where each member really listens now. */
  readonly actual = new Map<NodeId, string>();
  readonly down = new Set<NodeId>();

  constructor() {
    for (const id of [1, 2, 3]) {
      const state = testMember({
        raftId: id,
        bootstrap: { voters: [1, 2, 3], learners: [], removed: [] },
        send: (messages) => this.send(messages),
        forward: (leader, batch) => this.members.get(leader)!.proposeHere(batch),
      });
      this.members.set(id, state);
      this.actual.set(id, initialAddr(id));
      state.start();
    }
  }

  /** Delivered when the sender's store names the receiver's real address (or names none yet). */
  private send(messages: Message[]): void {
    for (const m of messages) {
      if (this.down.has(m.from) || this.down.has(m.to)) continue;
      const dialled = addressOfRaftMember(this.members.get(m.from)!.store, m.to);
      if (dialled !== '' && dialled !== this.actual.get(m.to)) continue;
      setImmediate(() => this.members.get(m.to)?.step(m));
    }
  }

  async leader(): Promise<ClusterState> {
    return waitFor('a leader', 5000, async () =>
      [...this.members.values()].find((m) => m.isLeader() && !this.down.has(m.raftId)),
    );
  }

  /**
   * The Manager.JoinRaft answer as the leader gives it for a manager already in the group: a
   * follower names the leader, the leader records the caller's address.
   */
  register(caller: NodeId) {
    return async (target: string, addr: string) => {
      const member = [...this.members.values()].find((m) => this.actual.get(m.raftId) === target);
      if (!member || this.down.has(member.raftId)) throw new Error(`14 UNAVAILABLE: ${target}`);
      if (!member.isLeader()) {
        const leader = addressOfRaftMember(member.store, member.leader());
        throw new Error(`9 FAILED_PRECONDITION: not the leader; the leader is at ${leader}`);
      }
      const node = member.store.get('nodes', nodeOf(caller))!;
      if (node.ManagerStatus?.Addr !== addr)
        await member.propose([memberAddressChange(node, addr)]);
      return { raftId: caller };
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.stop()));
  }
}

async function seeded(t: { after: (fn: () => Promise<void>) => void }): Promise<Managers> {
  const managers = new Managers();
  t.after(() => managers.stop());
  await (await managers.leader()).propose(SEED);
  await waitFor('every manager to hold the seed', 5000, async () =>
    [...managers.members.values()].every((m) => m.store.count('nodes') === 3) ? true : undefined,
  );
  return managers;
}

function addrIn(store: Store, raftId: number): string | undefined {
  return store.get('nodes', nodeOf(raftId))?.ManagerStatus?.Addr;
}

test('the member entry is current, stale, or not known yet', async (t) => {
  const managers = await seeded(t);
  const store = managers.members.get(1)!.store;
  assert.deepEqual(memberEntry(store, 'n2', 2, '10.0.0.2:2377'), { kind: 'current' });
  const stale = memberEntry(store, 'n2', 2, '10.0.0.22:2377');
  assert.equal(stale.kind === 'stale' && stale.recorded, '10.0.0.2:2377');
  assert.deepEqual(memberEntry(store, 'n9', 9, '10.0.0.9:2377'), { kind: 'unknown' });
  assert.deepEqual(
    memberEntry(store, 'n2', 7, '10.0.0.2:2377'),
    { kind: 'unknown' },
    'another Raft id is not this member entry',
  );
});

test('the leader is asked first, then every other manager, never the old self', async (t) => {
  const managers = await seeded(t);
  const store = managers.members.get(1)!.store;
  assert.deepEqual(registrationTargets(store, 3, 2), ['10.0.0.2:2377', '10.0.0.1:2377']);
  assert.deepEqual(registrationTargets(store, 3, 0), ['10.0.0.1:2377', '10.0.0.2:2377']);
  assert.deepEqual(registrationTargets(store, 3, 3), ['10.0.0.1:2377', '10.0.0.2:2377']);
  assert.equal(
    redirectOf(new Error('9 FAILED_PRECONDITION: not the leader; the leader is at 10.0.0.1:2377')),
    '10.0.0.1:2377',
  );
  assert.equal(redirectOf(new Error('14 UNAVAILABLE: No connection established')), null);
});

test('a follower back on a new address is recorded there and votes from it', async (t) => {
  const managers = await seeded(t);
  const leader = await managers.leader();
  const moved = [...managers.members.values()].find((m) => m !== leader)!;
  const movedId = moved.raftId;
  const newAddr = `10.0.0.${100 + movedId}:2377`;
  managers.actual.set(movedId, newAddr); // the others still dial the old one: it hears nothing
  const calls: string[] = [];
  const register = managers.register(movedId);
  const lines: string[] = [];
  const updater = new MemberAddressUpdater({
    state: moved,
    nodeId: nodeOf(movedId),
    raftId: movedId,
    advertiseAddr: newAddr,
    register: (target, addr) => {
      calls.push(target);
      return register(target, addr);
    },
    log: (line) => lines.push(line),
  });
  t.after(() => updater.stop());
  updater.start();
  // Committed by the two others alone: the leader cannot reach the moved member yet.
  await waitFor('every manager to record the new address', 10_000, async () =>
    [...managers.members.values()].every((m) => addrIn(m.store, movedId) === newAddr)
      ? true
      : undefined,
  );
  await waitFor('the updater to see its entry current and stop', 10_000, async () =>
    updater.done ? true : undefined,
  );
  const callsWhenDone = calls.length;
  assert.ok(callsWhenDone >= 1);
  assert.ok(!calls.includes(initialAddr(movedId)), 'its own old address is never asked');
  assert.ok(lines.some((l) => l.includes(`its member entry says ${initialAddr(movedId)}`)));

  // The leader goes: the two left elect one of them, which needs the moved member's vote (or
  // the moved member leads, which needs the other's), then commit with its acknowledgements.
  managers.down.add(leader.raftId);
  const survivor = await managers.leader();
  await survivor.propose([
    {
      kind: 'update',
      table: 'nodes',
      object: {
        ...survivor.store.get('nodes', 'n1')!,
        Spec: { ...managerInput(1).Spec, Labels: { q: '2' } },
      },
      expectedVersion: survivor.store.get('nodes', 'n1')!.Version.Index,
    },
  ]);
  await waitFor('the moved member to apply the write', 5000, async () =>
    moved.store.get('nodes', 'n1')?.Spec.Labels.q === '2' ? true : undefined,
  );
  assert.equal(calls.length, callsWhenDone, 'nothing is asked once the entry is current');
});

test('the leader back on a new address proposes the change itself', async (t) => {
  const managers = await seeded(t);
  const leader = await managers.leader();
  const id = leader.raftId;
  const newAddr = `10.0.0.${100 + id}:2377`;
  const updater = new MemberAddressUpdater({
    state: leader,
    nodeId: nodeOf(id),
    raftId: id,
    advertiseAddr: newAddr,
    register: () => Promise.reject(new Error('the leader asks nobody')),
    log: () => {},
  });
  t.after(() => updater.stop());
  updater.start();
  await waitFor('the entry to name the new address', 10_000, async () =>
    updater.done && addrIn(leader.store, id) === newAddr ? true : undefined,
  );
  assert.equal(leader.store.get('nodes', nodeOf(id))?.ManagerStatus?.Reachability, 'reachable');
});

test('a manager the cluster no longer counts as one stops asking', async (t) => {
  const managers = await seeded(t);
  const leader = await managers.leader();
  const follower = [...managers.members.values()].find((m) => m !== leader)!;
  let calls = 0;
  const lines: string[] = [];
  const updater = new MemberAddressUpdater({
    state: follower,
    nodeId: nodeOf(follower.raftId),
    raftId: follower.raftId,
    advertiseAddr: '10.0.0.200:2377',
    register: () => {
      calls++;
      return Promise.reject(
        Object.assign(new Error('7 PERMISSION_DENIED: node n2 is not a manager'), { code: 7 }),
      );
    },
    log: (line) => lines.push(line),
  });
  t.after(() => updater.stop());
  updater.start();
  await waitFor('the updater to give up', 10_000, async () => (updater.done ? true : undefined));
  assert.equal(calls, 1);
  assert.ok(lines.some((l) => l.includes('is not a manager')));
});

test('a manager whose address changes while it runs has its entry follow, each time', async (t) => {
  const managers = await seeded(t);
  const leader = await managers.leader();
  const moved = [...managers.members.values()].find((m) => m !== leader)!;
  const id = moved.raftId;
  const lines: string[] = [];
  const updater = new MemberAddressUpdater({
    state: moved,
    nodeId: nodeOf(id),
    raftId: id,
    advertiseAddr: initialAddr(id),
    register: managers.register(id),
    log: (line) => lines.push(line),
  });
  t.after(() => updater.stop());
  updater.start();
  await waitFor('the unchanged entry to be found current', 10_000, async () =>
    updater.done ? true : undefined,
  );
  assert.equal(lines.length, 0, 'nothing to update at start');

  const recordedEverywhere = (addr: string) => async () =>
    updater.done && [...managers.members.values()].every((m) => addrIn(m.store, id) === addr)
      ? true
      : undefined;
  // A new lease while the daemon runs.
  const first = `10.0.0.${100 + id}:2377`;
  managers.actual.set(id, first);
  updater.follow(first);
  assert.equal(updater.done, false);
  await waitFor('every manager to record the first move', 10_000, recordedEverywhere(first));

  // Two more in a row, the second before the first is recorded: the last one wins.
  const second = `10.0.0.${150 + id}:2377`;
  const third = `10.0.0.${200 + id}:2377`;
  managers.actual.set(id, second);
  updater.follow(second);
  managers.actual.set(id, third);
  updater.follow(third);
  assert.equal(updater.address, third);
  await waitFor('every manager to record the last move', 10_000, recordedEverywhere(third));
  updater.follow(third);
  assert.equal(updater.done, true, 'the same address again changes nothing');
  assert.ok(lines.some((l) => l.includes(`advertises ${third}`)));
});
