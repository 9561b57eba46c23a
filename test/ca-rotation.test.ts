// Root CA rotation across real daemons, and the node's TLS key under autolock.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  isIssuedBy,
  parseJoinToken,
  rootBundleDigest,
  splitPemCertificates,
} from '../src/pki/index.ts';
import {
  type DaemonProcess,
  type DaemonProcesses,
  daemonsForTest,
  freePorts,
  waitFor,
} from '../src/testkit/index.ts';

const certificateOf = (node: DaemonProcess) =>
  readFileSync(join(node.dataDir, 'certificates/swarm-node.crt'), 'utf8');
const trustRootOf = (node: DaemonProcess) =>
  readFileSync(join(node.dataDir, 'certificates/swarm-root-ca.crt'), 'utf8');
const keyFileOf = (node: DaemonProcess) =>
  readFileSync(join(node.dataDir, 'certificates/swarm-node.key'), 'utf8');

async function readyNodes(cluster: DaemonProcesses, via: DaemonProcess): Promise<string[]> {
  const listed = await cluster.cli(via, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
  assert.equal(listed.code, 0, listed.stderr);
  return listed.stdout
    .trim()
    .split('\n')
    .filter((line) => line.endsWith(' Ready'))
    .sort();
}

async function waitReady(cluster: DaemonProcesses, via: DaemonProcess, names: string[]) {
  const wanted = names.map((name) => `${name} Ready`).sort();
  await waitFor(`${names.join(', ')} Ready`, 30_000, async () => {
    const ready = await readyNodes(cluster, via).catch((): string[] => []);
    return wanted.every((line) => ready.includes(line)) ? true : undefined;
  });
}

/** A service create through the API of `via`: a replicated write through Raft. */
async function createService(cluster: DaemonProcesses, via: DaemonProcess, name: string) {
  const created = await cluster.cli(via, [
    'service',
    'create',
    '-d',
    '--name',
    name,
    '--replicas',
    '0',
    'exec:/bin/sleep',
  ]);
  assert.equal(created.code, 0, created.stderr);
}

test('root CA rotation: every node moves to the new root and the cluster keeps working', {
  timeout: 240_000,
}, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'ca-rotation');
  cluster.daemonArgs = ['--docker', 'none'];
  const [port] = await freePorts(1);
  const [m1, m2, w3] = [
    await cluster.add(1, port!),
    await cluster.add(2, port!),
    await cluster.add(3, port!),
  ];
  await cluster.initSwarm(m1, ['--dispatcher-heartbeat', '1s']);
  const managerToken = (await cluster.ok(m1, ['swarm', 'join-token', '-q', 'manager'])).trim();
  const oldWorkerToken = (await cluster.ok(m1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  for (const [node, token] of [
    [m2, managerToken],
    [w3, oldWorkerToken],
  ] as const) {
    const joined = await cluster.joinSwarm(node, token, m1.clusterAddr);
    assert.equal(joined.code, 0, joined.stderr);
  }
  await waitReady(cluster, m1, ['node-1', 'node-2', 'node-3']);
  const oldRoot = await cluster.ok(m1, ['swarm', 'ca']);
  await createService(cluster, m2, 'before');

  // Rotate from the follower; while it converges the cluster answers and takes writes.
  const rotating = cluster.cli(m2, ['swarm', 'ca', '--rotate']);
  let writesDuring = 0;
  let done = false;
  void rotating.finally(() => {
    done = true;
  });
  while (!done && writesDuring < 3) {
    await createService(cluster, m1, `during-${writesDuring}`);
    assert.deepEqual(await readyNodes(cluster, m2), [
      'node-1 Ready',
      'node-2 Ready',
      'node-3 Ready',
    ]);
    writesDuring++;
  }
  const rotated = await rotating;
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.ok(writesDuring >= 1, 'at least one write went through while the rotation ran');
  assert.match(rotated.stdout, /desired root digest: sha256:[0-9a-f]{64}/);
  assert.match(rotated.stdout, /rotated TLS certificates: +3\/3 nodes/);
  assert.match(rotated.stdout, /rotated CA certificates: +3\/3 nodes/);
  const printedRoot = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/.exec(
    rotated.stdout,
  )?.[0];
  assert.ok(printedRoot, `the new root is printed: ${rotated.stdout}`);
  const newRoot = await cluster.ok(m1, ['swarm', 'ca']);
  assert.equal(printedRoot, newRoot);
  assert.notEqual(newRoot, oldRoot);
  assert.equal(
    (await cluster.ok(m1, ['info', '-f', '{{.Swarm.Cluster.RootRotationInProgress}}'])).trim(),
    'false',
  );

  // Every node holds a certificate from the new root and trusts the new root alone.
  for (const node of [m1, m2, w3]) {
    assert.ok(
      isIssuedBy(certificateOf(node), newRoot),
      `${node.name}'s certificate is from the new root`,
    );
    await waitFor(`${node.name} to trust the new root`, 15_000, async () =>
      splitPemCertificates(trustRootOf(node)).join('') === newRoot ? true : undefined,
    );
  }

  // Join tokens name the new root: the old one is refused, a new one works.
  const newWorkerToken = (await cluster.ok(m1, ['swarm', 'join-token', '-q', 'worker'])).trim();
  assert.notEqual(newWorkerToken, oldWorkerToken);
  assert.equal(parseJoinToken(newWorkerToken).digest, rootBundleDigest(newRoot));
  const n4 = await cluster.add(4, port!);
  const refused = await cluster.joinSwarm(n4, oldWorkerToken, m1.clusterAddr);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Root CA|join token/);
  const joined = await cluster.joinSwarm(n4, newWorkerToken, m2.clusterAddr);
  assert.equal(joined.code, 0, joined.stderr);
  assert.ok(isIssuedBy(certificateOf(n4), newRoot));

  // After it: writes, and a restarted manager rejoins its peers with the new material.
  await createService(cluster, m2, 'after');
  await cluster.kill(m2);
  await cluster.start(m2);
  await waitReady(cluster, m2, ['node-1', 'node-2', 'node-3', 'node-4']);
  await createService(cluster, m2, 'after-restart');
  const services = await cluster.ok(m1, ['service', 'ls', '--format', '{{.Name}}']);
  for (const name of ['before', 'during-0', 'after', 'after-restart']) {
    assert.ok(services.split('\n').includes(name), `service ${name} exists: ${services}`);
  }
});

test('under autolock the node key is sealed: a restarted manager serves nothing until unlocked', {
  timeout: 180_000,
}, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'ca-autolock-key');
  cluster.daemonArgs = ['--docker', 'none'];
  const [port] = await freePorts(1);
  const node = await cluster.add(1, port!);
  // Addresses may name an interface, as with docker: `lo` is 127.0.0.1, node-1's address.
  const unknown = await cluster.cli(node, ['swarm', 'init', '--advertise-addr', 'eth9-nope']);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    /advertise address must be a non-zero IP address or network interface \(with optional port number\): got "eth9-nope"/,
  );
  const init = await cluster.ok(node, [
    'swarm',
    'init',
    '--autolock',
    '--advertise-addr',
    'lo',
    '--listen-addr',
    `lo:${port}`,
  ]);
  assert.equal((await cluster.ok(node, ['info', '-f', '{{.Swarm.NodeAddr}}'])).trim(), '127.0.0.1');
  const key = /SWMKEY-1-\S+/.exec(init)?.[0];
  assert.ok(key);
  const sealed = keyFileOf(node);
  assert.match(sealed, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.doesNotMatch(sealed, /BEGIN (EC )?PRIVATE KEY/);

  await cluster.kill(node);
  await cluster.start(node);
  assert.equal(
    (await cluster.ok(node, ['info', '-f', '{{.Swarm.LocalNodeState}}'])).trim(),
    'locked',
  );
  const refused = await new Promise<string>((resolve) => {
    const socket = connect({ host: node.ip, port: port! });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED', 'a locked manager does not listen on its cluster port');
  const unlocked = await cluster.cli(node, ['swarm', 'unlock'], `${key}\n`);
  assert.equal(unlocked.code, 0, unlocked.stderr);
  await waitReady(cluster, node, ['node-1']);
  assert.equal(keyFileOf(node), sealed, 'unlocking leaves the sealed key as it was');

  // Autolock off: the key is plain again; on: sealed under the new unlock key.
  await cluster.ok(node, ['swarm', 'update', '--autolock=false']);
  await waitFor('a plain key file', 10_000, async () =>
    /^-----BEGIN PRIVATE KEY-----/.test(keyFileOf(node)) ? true : undefined,
  );
  const on = await cluster.ok(node, ['swarm', 'update', '--autolock=true']);
  const newKey = /SWMKEY-1-\S+/.exec(on)?.[0];
  assert.ok(newKey);
  await waitFor('a sealed key file', 10_000, async () =>
    /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n[^-]+-----END ENCRYPTED PRIVATE KEY-----\n$/.test(
      keyFileOf(node),
    )
      ? true
      : undefined,
  );
  await cluster.kill(node);
  await cluster.start(node);
  assert.equal(
    (await cluster.ok(node, ['info', '-f', '{{.Swarm.LocalNodeState}}'])).trim(),
    'locked',
  );
  const old = await cluster.cli(node, ['swarm', 'unlock'], `${key}\n`);
  assert.equal(old.code, 1, 'the previous unlock key opens nothing');
  const again = await cluster.cli(node, ['swarm', 'unlock'], `${newKey}\n`);
  assert.equal(again.code, 0, again.stderr);
  await waitReady(cluster, node, ['node-1']);
});
