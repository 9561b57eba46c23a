// The dispatcher with real agents over mutual TLS on 127.0.0.1, on a one-manager cluster.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { type AgentSessionError, describeNode, type SessionReply } from '../../agent/index.ts';
import { RootCa } from '../../pki/index.ts';
import type { Change } from '../../store/index.ts';
import { nodeInput } from '../../store/test-support.ts';
import { waitFor } from '../../testkit/index.ts';
import { HEARTBEAT_FAILURE_MESSAGE } from './dispatcher.ts';
import { Harness } from './test-support.ts';

const PERIOD = 100;

test('an agent makes its node ready; silence makes it down; it comes back', async (t) => {
  const h = await Harness.start({ heartbeatPeriodMs: PERIOD });
  t.after(() => h.stop());
  await h.createNode('worker1');
  const tls = await h.tls('worker1');
  const agent = h.agent({ nodeId: 'worker1', tls });
  agent.start();

  const ready = await h.nodeInState('worker1', 'ready');
  assert.equal(ready.Status.Addr, '192.0.2.7', 'the host part of the advertised address');
  assert.equal(ready.Status.Message, undefined);
  assert.deepEqual(
    ready.Description,
    describeNode({ hostname: 'agent-worker1', version: '0.1.0' }),
  );
  await waitFor('the agent to be ready', 5000, async () =>
    agent.state === 'ready' ? true : undefined,
  );
  assert.equal(agent.currentManager(), h.addresses.get(1));

  // Silence: down within the grace (3 periods), checked every half period.
  const stoppedAt = Date.now();
  agent.stop();
  assert.equal(agent.currentManager(), null);
  const down = await h.nodeInState('worker1', 'down', 5000);
  const elapsed = Date.now() - stoppedAt;
  assert.ok(elapsed >= PERIOD, `down only after a silence (${elapsed} ms)`);
  // The grace, a check, a commit, a poll, and room for a busy machine.
  assert.ok(elapsed < 3 * PERIOD + 700, `down within the grace (${elapsed} ms)`);
  assert.equal(down.Status.Message, HEARTBEAT_FAILURE_MESSAGE);
  assert.equal(down.Status.Addr, '192.0.2.7');

  // A restarted agent makes it ready again.
  const again = h.agent({ nodeId: 'worker1', tls });
  again.start();
  const back = await h.nodeInState('worker1', 'ready');
  assert.equal(back.Status.Message, undefined);
});

test('idle heartbeats write nothing', async (t) => {
  // A period long enough that a busy test machine does not starve a node into 'down'.
  const period = 250;
  let proposals = 0;
  const h = await Harness.start({ heartbeatPeriodMs: period, onPropose: () => proposals++ });
  t.after(() => h.stop());
  const leader = await h.leader();
  await h.createNode('worker1');
  const replies: SessionReply[] = [];
  const agent = h.agent({
    nodeId: 'worker1',
    tls: await h.tls('worker1'),
    onReply: (r) => replies.push(r),
  });
  agent.start();
  await h.nodeInState('worker1', 'ready');
  await waitFor('a reply', 5000, async () => (replies.length > 0 ? true : undefined));
  const version = leader.store.version;
  const proposalsBefore = proposals;
  const repliesBefore = replies.length;
  await waitFor('four more heartbeats', 5000, async () =>
    replies.length >= repliesBefore + 4 ? true : undefined,
  );
  assert.equal(leader.store.version, version, 'the store did not move');
  assert.equal(proposals, proposalsBefore, 'nothing was proposed');
  for (const reply of replies) {
    assert.ok(
      reply.heartbeatPeriodMs >= 0.9 * period && reply.heartbeatPeriodMs <= 1.1 * period,
      `jitter within ±10 % (${reply.heartbeatPeriodMs})`,
    );
    assert.equal(reply.role, 'worker');
    assert.equal(reply.leaderAddr, '');
    assert.deepEqual(
      reply.managers.map((m) => m.addr),
      [h.addresses.get(1)],
    );
  }
  assert.ok(new Set(replies.map((r) => r.heartbeatPeriodMs)).size > 1, 'jittered per reply');
  assert.equal(agent.heartbeatPeriodMs(), replies.at(-1)!.heartbeatPeriodMs);
});

test('a changed description or address is written once; the same one is not', async (t) => {
  let proposals = 0;
  // Reconnecting takes a TLS handshake: a grace of 1.5 s keeps the node from going down.
  const h = await Harness.start({ heartbeatPeriodMs: 500, onPropose: () => proposals++ });
  t.after(() => h.stop());
  await h.createNode('worker1');
  const tls = await h.tls('worker1');
  let labels: Record<string, string> = {};
  const description = () => describeNode({ hostname: 'a', version: '0.1.0', labels });
  let replies = 0;
  const first = h.agent({ nodeId: 'worker1', tls, description, onReply: () => replies++ });
  first.start();
  await h.nodeInState('worker1', 'ready');
  await waitFor('a reply', 5000, async () => (replies > 0 ? true : undefined));
  const afterRegistration = proposals;

  labels = { zone: 'east' };
  await waitFor('the new labels in the store', 5000, async () =>
    (await h.node('worker1'))?.Description.Engine.Labels.zone === 'east' ? true : undefined,
  );
  assert.equal(proposals, afterRegistration + 1);
  first.stop();

  // Reconnecting with the same description and address changes nothing.
  const before = proposals;
  let secondReplies = 0;
  const second = h.agent({ nodeId: 'worker1', tls, description, onReply: () => secondReplies++ });
  second.start();
  await waitFor('two replies', 5000, async () => (secondReplies >= 2 ? true : undefined));
  assert.equal(proposals, before);

  // A new address is written.
  second.stop();
  const third = h.agent({ nodeId: 'worker1', tls, description, addr: '192.0.2.8:2377' });
  third.start();
  await waitFor('the new address', 5000, async () =>
    (await h.node('worker1'))?.Status.Addr === '192.0.2.8' ? true : undefined,
  );
});

test('strangers are refused: another CA, another cluster, a node not in the store', async (t) => {
  const h = await Harness.start({ heartbeatPeriodMs: PERIOD });
  t.after(() => h.stop());
  await h.createNode('worker1');

  const refused = async (agentTls: Awaited<ReturnType<Harness['tls']>>, nodeId: string) => {
    const errors: AgentSessionError[] = [];
    const states: string[] = [];
    const agent = h.agent({
      nodeId,
      tls: agentTls,
      onError: (e) => errors.push(e),
      onStateChange: (s) => states.push(s),
    });
    agent.start();
    await waitFor(`${nodeId} to be refused`, 5000, async () => errors[0]);
    agent.stop();
    assert.ok(!states.includes('ready'), `${nodeId} never got a session`);
    return errors[0]!;
  };

  // A certificate of another CA (the agent trusts our root, so only the server can stop it).
  const otherCa = await RootCa.create({ now: new Date() });
  const foreign = await refused(await h.tls('worker1', 'worker', { ca: otherCa }), 'worker1');
  assert.equal(foreign.code, grpc.status.UNAVAILABLE);

  const otherCluster = await refused(
    await h.tls('worker1', 'worker', { clusterId: 'cluster2' }),
    'worker1',
  );
  assert.equal(otherCluster.code, grpc.status.PERMISSION_DENIED);
  assert.match(otherCluster.message, /belongs to cluster cluster2/);

  const ghost = await refused(await h.tls('ghost'), 'ghost');
  assert.equal(ghost.code, grpc.status.PERMISSION_DENIED);
  assert.match(ghost.message, /node ghost is not a member of this cluster/);

  assert.equal((await h.node('worker1'))?.Status.State, 'unknown', 'nothing was registered');
  assert.equal(await h.node('ghost'), undefined);
});

test('a node removed from the store loses its session', async (t) => {
  const h = await Harness.start({ heartbeatPeriodMs: PERIOD });
  t.after(() => h.stop());
  const leader = await h.leader();
  await h.createNode('worker1');
  const errors: AgentSessionError[] = [];
  const agent = h.agent({
    nodeId: 'worker1',
    tls: await h.tls('worker1'),
    onError: (e) => errors.push(e),
  });
  agent.start();
  await h.nodeInState('worker1', 'ready');
  await leader.propose([{ kind: 'delete', table: 'nodes', id: 'worker1' }]);
  const error = await waitFor('the session to end', 5000, async () => errors[0]);
  assert.equal(error.code, grpc.status.PERMISSION_DENIED);
  assert.match(error.message, /not a member/);
});

test('a new leader gives known nodes twice the grace, then marks them down in batches', async (t) => {
  let now = 1_000_000;
  let proposals = 0;
  const h = await Harness.start({
    heartbeatPeriodMs: PERIOD,
    now: () => now,
    onPropose: () => proposals++,
    startDispatchers: false,
  });
  t.after(() => h.stop());
  const leader = await h.leader();
  const dispatcher = h.dispatchers.get(1)!;
  // 450 nodes the store says are ready, none connected.
  const ids = Array.from({ length: 450 }, (_, i) => `n${String(i).padStart(3, '0')}`);
  for (let start = 0; start < ids.length; start += 200) {
    const changes: Change[] = ids
      .slice(start, start + 200)
      .map((id) => ({ kind: 'create', table: 'nodes', object: nodeInput(id, id) }));
    await leader.propose(changes);
  }
  dispatcher.start();
  assert.equal(dispatcher.stats().leading, true);
  assert.equal(dispatcher.stats().tracked, 450);
  const checks = async (n: number) => {
    const target = dispatcher.stats().checks + n;
    await waitFor(`${n} checks`, 5000, async () =>
      dispatcher.stats().checks >= target ? true : undefined,
    );
  };
  const before = proposals;
  const version = leader.store.version;
  now += 3 * PERIOD + 1; // past one grace: not down yet
  await checks(2);
  assert.equal(proposals, before);
  assert.equal(dispatcher.stats().tracked, 450);
  now += 3 * PERIOD; // past twice the grace
  await waitFor('every node to be down', 5000, async () =>
    leader.store.find('nodes', (n) => n.Status.State === 'down').length === 450 ? true : undefined,
  );
  assert.equal(proposals - before, 3, '450 nodes in batches of at most 200');
  assert.equal(leader.store.version, version + 3);
  assert.equal(dispatcher.stats().pendingDown, 0);
  await checks(2);
  assert.equal(proposals - before, 3, 'down nodes are not written again');
});
