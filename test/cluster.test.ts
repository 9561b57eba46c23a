// A real cluster of `shoal daemon` processes on 127.0.0.1-5: init, two managers and a worker
// join with tokens, the leader is SIGKILLed and the cluster goes on; bad joins are refused
// with clear errors and change nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, createClientCredentials } from '../src/pki/index.ts';
import { callUnary, clusterServiceDefinition } from '../src/rpc/index.ts';
import { daemonsForTest, freePorts, waitFor } from '../src/testkit/index.ts';

interface NodeRow {
  Hostname: string;
  Status: string;
  ManagerStatus: string;
}

function rows(output: string): NodeRow[] {
  return output
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [Hostname, Status, ManagerStatus] = line.split('|');
      return { Hostname: Hostname!, Status: Status!, ManagerStatus: ManagerStatus ?? '' };
    });
}

test('a cluster forms, survives its leader, and refuses bad joins', {
  timeout: 240_000,
}, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'cluster-test');
  const [port] = await freePorts(1);
  const nodes = [];
  for (let i = 1; i <= 5; i++) nodes.push(await cluster.add(i, port!));
  const [n1, n2, n3, n4, n5] = nodes as [
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
  ];
  const joinNode = (node: typeof n1, token: string, remote: string) =>
    cluster.joinSwarm(node, token, remote);

  const init = await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']);
  assert.match(init, /Swarm initialized: current node \(\w{25}\) is now a manager\./);
  assert.match(
    init,
    new RegExp(
      `shoal swarm join --token SWMTKN-1-\\w{50}-\\w{25} ${n1.clusterAddr.replace(/\./g, '\\.')}`,
    ),
  );
  const managerToken = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'manager'])).trim();
  const workerToken = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'worker'])).trim();

  // Bad input first: each a clear error, nothing joined.
  const wrongSecret = workerToken.replace(
    /-(\w{25})$/,
    (_, s: string) => `-${s.startsWith('0') ? '1' : '0'}${s.slice(1)}`,
  );
  const refused = await joinNode(n5, wrongSecret, n1.clusterAddr);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /A valid join token is necessary to join this cluster/);
  const digest = workerToken.split('-')[2]!;
  const otherCa = workerToken.replace(
    digest,
    `${digest.startsWith('0') ? '1' : '0'}${digest.slice(1)}`,
  );
  const mismatch = await joinNode(n5, otherCa, n1.clusterAddr);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /remote CA does not match/);
  const malformed = await joinNode(n5, 'SWMTKN-1-nope', n1.clusterAddr);
  assert.equal(malformed.code, 1);
  assert.match(malformed.stderr, /invalid join token/);
  const nowhere = await joinNode(n5, workerToken, n5.clusterAddr);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /could not reach a swarm manager/);

  for (const manager of [n2, n3]) {
    const joined = await joinNode(manager, managerToken, n1.clusterAddr);
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout.trim(), 'This node joined a swarm as a manager.');
  }
  const worker = await joinNode(n4, workerToken, n1.clusterAddr);
  assert.equal(worker.stdout.trim(), 'This node joined a swarm as a worker.');

  const format = '{{.Hostname}}|{{.Status}}|{{.ManagerStatus}}';
  await waitFor('four ready nodes, three reachable managers', 30_000, async () => {
    const listed = rows(await cluster.ok(n2, ['node', 'ls', '--format', format]));
    const ready = listed.filter((r) => r.Status === 'Ready').length;
    const managers = listed.filter(
      (r) => r.ManagerStatus === 'Leader' || r.ManagerStatus === 'Reachable',
    ).length;
    return listed.length === 4 && ready === 4 && managers === 3 ? true : undefined;
  });
  assert.match(
    await cluster.ok(n3, ['node', 'ls']),
    /ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION/,
  );

  // A worker may not use manager endpoints or manager RPCs.
  const fromWorker = await cluster.cli(n4, ['node', 'ls']);
  assert.equal(fromWorker.code, 1);
  assert.match(fromWorker.stderr, /This node is not a swarm manager\. Worker nodes can't be used/);
  const certs = join(n4.dataDir, 'certificates');
  const workerTls = {
    rootBundlePem: readFileSync(join(certs, 'swarm-root-ca.crt'), 'utf8'),
    certPem: readFileSync(join(certs, 'swarm-node.crt'), 'utf8'),
    keyPem: readFileSync(join(certs, 'swarm-node.key'), 'utf8'),
  };
  const client = new grpc.Client(
    n1.clusterAddr,
    createClientCredentials(workerTls),
    clientChannelOptions('manager'),
  );
  try {
    await assert.rejects(
      callUnary(
        client,
        clusterServiceDefinition('Manager'),
        'Propose',
        { batch: Buffer.from('{}') },
        5000,
      ),
      (error: grpc.ServiceError) => error.code === grpc.status.PERMISSION_DENIED,
    );
  } finally {
    client.close();
  }

  // Kill the leader: the two other managers elect a new one and writes go on.
  await cluster.kill(n1);
  await waitFor('a write after the leader died', 30_000, async () => {
    const result = await cluster.cli(n2, ['node', 'update', '--label-add', 'zone=a', 'node-4']);
    return result.code === 0 ? true : undefined;
  });
  assert.equal(
    (
      await cluster.ok(n3, ['node', 'inspect', '-f', '{{ index .Spec.Labels "zone" }}', 'node-4'])
    ).trim(),
    'a',
  );
  await waitFor('the dead leader to be Down and Unreachable', 30_000, async () => {
    const listed = rows(await cluster.ok(n3, ['node', 'ls', '--format', format]));
    const dead = listed.find((r) => r.Hostname === 'node-1');
    const leaders = listed.filter((r) => r.ManagerStatus === 'Leader');
    return dead?.Status === 'Down' && dead.ManagerStatus === 'Unreachable' && leaders.length === 1
      ? true
      : undefined;
  });
  // Nothing of the refused joins was recorded.
  assert.equal(rows(await cluster.ok(n2, ['node', 'ls', '--format', format])).length, 4);

  // Promotion: the worker gets a manager certificate and a Raft seat.
  assert.match(
    await cluster.ok(n2, ['node', 'promote', 'node-4']),
    /Node node-4 promoted to a manager/,
  );
  await waitFor('node-4 to serve manager commands', 30_000, async () =>
    (await cluster.cli(n4, ['node', 'ls'])).code === 0 ? true : undefined,
  );
  // Demotion of the dead manager (the three live ones keep a quorum), then of the leader.
  assert.match(await cluster.ok(n3, ['node', 'demote', 'node-1']), /demoted to a worker/);
  const leader = rows(await cluster.ok(n3, ['node', 'ls', '--format', format])).find(
    (r) => r.ManagerStatus === 'Leader',
  )!;
  assert.match(await cluster.ok(n4, ['node', 'demote', leader.Hostname]), /demoted to a worker/);
  const demoted = nodes.find((n) => n.name === leader.Hostname)!;
  await waitFor('the demoted leader to act as a worker', 30_000, async () => {
    const result = await cluster.cli(demoted, ['node', 'ls']);
    return result.code === 1 && /Worker nodes can't be used/.test(result.stderr) ? true : undefined;
  });
  const survivors = nodes.filter((n) => n !== demoted && n !== n1);
  const last = survivors.find((n) => n !== n4)!;
  await waitFor('two managers left', 30_000, async () => {
    const listed = rows(await cluster.ok(n4, ['node', 'ls', '--format', format]));
    return listed.filter((r) => r.ManagerStatus !== '').length === 2 ? true : undefined;
  });
  const twoManagers = await cluster.cli(n4, ['info']);
  assert.match(twoManagers.stderr, /two-manager configuration/);
  const toOne = await cluster.cli(n4, ['node', 'demote', last.name]);
  assert.match(toOne.stdout, /demoted to a worker/, toOne.stderr);
  assert.doesNotMatch(toOne.stderr, /two-manager/, 'one manager left: no two-manager warning');
  const lastOne = await cluster.cli(n4, ['node', 'demote', 'node-4']);
  assert.equal(lastOne.code, 1);
  assert.match(lastOne.stderr, /attempting to demote the last manager of the swarm/);
});
