// The agent's session against real managers (src/manager/dispatcher/test-support.ts).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Harness } from '../manager/dispatcher/test-support.ts';
import { waitFor } from '../testkit/index.ts';
import type { AgentSessionState } from './session.ts';

/** A loopback address nobody listens on. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `127.0.0.1:${address.port}`;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('a follower sends the agent to the leader; the agent learns the managers', async (t) => {
  const h = await Harness.start({ members: 3 });
  t.after(() => h.stop());
  const leader = await h.leader();
  await h.createNode('worker1');
  const leaderAddr = h.addresses.get(leader.raftId)!;
  const followerAddr = [...h.addresses.values()].find((a) => a !== leaderAddr)!;
  const agent = h.agent({
    nodeId: 'worker1',
    tls: await h.tls('worker1'),
    managers: [followerAddr],
  });
  agent.start();
  await waitFor('the agent to be ready', 5000, async () =>
    agent.state === 'ready' ? true : undefined,
  );
  assert.equal(agent.currentManager(), leaderAddr);
  assert.deepEqual(agent.knownManagers().sort(), [...h.addresses.values()].sort());
  await h.nodeInState('worker1', 'ready');
});

test('an unreachable manager is skipped with backoff', async (t) => {
  const h = await Harness.start({ heartbeatPeriodMs: 500 });
  t.after(() => h.stop());
  await h.createNode('worker1');
  const states: AgentSessionState[] = [];
  const agent = h.agent({
    nodeId: 'worker1',
    tls: await h.tls('worker1'),
    managers: [await deadAddress(), h.addresses.get(1)!],
    onStateChange: (s) => states.push(s),
  });
  agent.start();
  await h.nodeInState('worker1', 'ready');
  await waitFor('the agent to be ready', 5000, async () =>
    agent.state === 'ready' ? true : undefined,
  );
  assert.deepEqual(states.slice(0, 4), ['connecting', 'backoff', 'connecting', 'ready']);
  assert.equal(agent.currentManager(), h.addresses.get(1));
});

test('after a leader change, agents move to the new leader and nodes stay ready', async (t) => {
  // A new leader gives nodes twice the grace (here 6 s) to reconnect: room for a few TLS
  // handshakes and backoffs on a loaded machine.
  const h = await Harness.start({ members: 3, heartbeatPeriodMs: 1000 });
  t.after(() => h.stop());
  const first = await h.leader();
  for (const id of ['w1', 'w2']) await h.createNode(id);
  const agents = await Promise.all(
    ['w1', 'w2'].map(async (id) => h.agent({ nodeId: id, tls: await h.tls(id) })),
  );
  for (const agent of agents) agent.start();
  await h.nodeInState('w1', 'ready');
  await h.nodeInState('w2', 'ready');
  await waitFor('the agents on the leader', 5000, async () =>
    agents.every((a) => a.currentManager() === h.addresses.get(first.raftId) && a.state === 'ready')
      ? true
      : undefined,
  );
  // Every member's store: no node may be written anything but 'ready' from now on.
  const downs: string[] = [];
  for (const state of h.states.values()) {
    const watcher = state.store.watch({
      table: 'nodes',
      onEvent: (e) => {
        if (e.table === 'nodes' && e.object.Status.State !== 'ready') downs.push(e.object.ID);
      },
    });
    t.after(() => watcher.close());
  }

  h.isolate(first.raftId);
  const second = await waitFor('a new leader', 5000, async () => {
    const l = await h.leader();
    return l !== first ? l : undefined;
  });
  const secondAddr = h.addresses.get(second.raftId)!;
  await waitFor('the agents on the new leader', 10_000, async () =>
    agents.every((a) => a.currentManager() === secondAddr && a.state === 'ready')
      ? true
      : undefined,
  );
  for (const id of ['w1', 'w2']) assert.equal(second.store.get('nodes', id)?.Status.State, 'ready');
  assert.deepEqual(downs, [], 'no node went down over the leader change');
  const dispatcher = h.dispatchers.get(second.raftId)!;
  assert.equal(dispatcher.stats().leading, true);
  assert.equal(dispatcher.stats().sessions, 2);
});

test('stop leaves no timer behind, even during backoff', async () => {
  const before = timers();
  const h = await Harness.start();
  try {
    const states: AgentSessionState[] = [];
    const agent = h.agent({
      nodeId: 'worker1',
      tls: await h.tls('worker1'),
      managers: [await deadAddress()],
      onStateChange: (s) => states.push(s),
    });
    agent.start();
    await waitFor('a backoff', 5000, async () => (states.includes('backoff') ? true : undefined));
    agent.stop();
    agent.stop();
    assert.equal(agent.state, null);
    assert.equal(agent.currentManager(), null);
    assert.throws(() => agent.start(), /stopped/);
  } finally {
    await h.stop();
  }
  await waitFor('timers to be released', 5000, async () => (timers() <= before ? true : undefined));
});
