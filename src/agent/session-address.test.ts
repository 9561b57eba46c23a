// The agent's address read again while it runs (a new DHCP lease), against a real manager
// (src/manager/dispatcher/test-support.ts): each (re)connect reads it, and refreshAddress()
// announces a changed one on a new stream, so the node's Status.Addr follows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Harness } from '../manager/dispatcher/test-support.ts';
import { waitFor } from '../testkit/index.ts';
import type { AgentSessionState } from './session.ts';

test('a changed address is announced on a new stream; an unchanged one changes nothing', async (t) => {
  // A long heartbeat period: a loaded machine must not make the session fail on its own.
  const h = await Harness.start({ heartbeatPeriodMs: 2000 });
  t.after(() => h.stop());
  await h.createNode('worker1');
  let addr = '192.0.2.7:2377';
  let reads = 0;
  const states: AgentSessionState[] = [];
  const agent = h.agent({
    nodeId: 'worker1',
    tls: await h.tls('worker1'),
    addr: () => {
      reads++;
      return addr;
    },
    onStateChange: (state) => states.push(state),
  });
  const streams = () => states.filter((s) => s === 'connecting').length;
  agent.start();
  const ready = await h.nodeInState('worker1', 'ready');
  assert.equal(ready.Status.Addr, '192.0.2.7');
  await waitFor('the agent to be ready', 5000, async () =>
    agent.state === 'ready' ? true : undefined,
  );
  assert.equal(reads, streams(), 'read once per stream, not per heartbeat');

  // Unchanged: the stream stays.
  const before = streams();
  agent.refreshAddress();
  agent.refreshAddress();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(streams(), before);

  addr = '192.0.2.99:2377';
  agent.refreshAddress();
  agent.refreshAddress(); // several calls, one new stream
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(streams(), before + 1);
  await waitFor('the manager to record the new address', 5000, async () => {
    const node = await h.node('worker1');
    return node?.Status.Addr === '192.0.2.99' && node.Status.State === 'ready' ? true : undefined;
  });
  assert.equal(agent.currentManager(), h.addresses.get(1), 'the same manager');
});

test('a reconnect after a failure reads the address again', async (t) => {
  const h = await Harness.start({ members: 3, heartbeatPeriodMs: 500 });
  t.after(() => h.stop());
  await h.createNode('worker1');
  let addr = '192.0.2.7:2377';
  const agent = h.agent({ nodeId: 'worker1', tls: await h.tls('worker1'), addr: () => addr });
  agent.start();
  await h.nodeInState('worker1', 'ready');
  const first = await h.leader();
  // The address changes and the session breaks (the leader's dispatcher goes away): the agent
  // reconnects to another manager with the new address, without being told.
  addr = '192.0.2.99:2377';
  h.dispatchers.get(first.raftId)!.stop();
  h.isolate(first.raftId);
  await waitFor('the new leader to record the new address', 20_000, async () => {
    const node = await h.node('worker1');
    return node?.Status.Addr === '192.0.2.99' && node.Status.State === 'ready' ? true : undefined;
  });
});
