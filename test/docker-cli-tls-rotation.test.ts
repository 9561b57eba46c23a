// The TLS API port across a root CA rotation: `docker --tlsverify` with a client certificate
// works before; `docker swarm ca --rotate` moves the cluster to a new root; then the port serves
// a certificate from the new root and accepts client certificates from it only. Raw TCP
// without TLS, and TLS without a client certificate, are refused throughout.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect as connectTls } from 'node:tls';
import {
  type DaemonProcess,
  type DaemonProcesses,
  daemonsForTest,
  freePorts,
  makeTempDir,
  waitFor,
} from '../src/testkit/index.ts';
import { DockerCli, dockerCliAvailable } from './docker-cli-support.ts';

const skip = dockerCliAvailable() ? false : 'no docker CLI at /usr/local/bin/docker';

async function issueClient(cluster: DaemonProcesses, node: DaemonProcess) {
  const dir = makeTempDir('shoal-client-cert-');
  await cluster.ok(node, ['ca', 'issue-client', '--out', dir, '--name', 'tester', '--force']);
  return dir;
}

/** Whether a TLS handshake trusting only `caPem` accepts the server's certificate. */
function serverTrusted(port: number, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What a plain HTTP request on the TLS port gets: never an API answer. */
function plainAnswer(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.once('connect', () => socket.write('GET /v1.41/nodes HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.once('close', () => resolve(answer));
    socket.once('error', () => resolve(answer));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

test('the TLS API follows a root CA rotation', { skip, timeout: 300_000 }, async (t) => {
  const cluster = daemonsForTest(t.after.bind(t), 'docker-cli-tls');
  const [port, tlsPort] = await freePorts(2);
  cluster.daemonArgs = ['--docker', 'none', '--tls-listen', `127.0.0.1:${tlsPort}`];
  const node = await cluster.add(1, port!);
  await cluster.initSwarm(node, ['--dispatcher-heartbeat', '1s']);
  const docker = new DockerCli();
  const host = `tcp://127.0.0.1:${tlsPort}`;
  const withCerts = (dir: string) => ({
    host,
    env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
  });
  const nodeLs = (dir: string) =>
    docker.run(null, ['node', 'ls', '--format', '{{.Hostname}}'], withCerts(dir));

  const before = await issueClient(cluster, node);
  const oldRoot = readFileSync(join(before, 'ca.pem'), 'utf8');
  await waitFor(
    'the TLS listener',
    30_000,
    async () => ((await nodeLs(before)).code === 0 ? true : undefined),
    200,
  );
  assert.equal((await nodeLs(before)).stdout.trim(), 'node-1');

  const rotated = await docker.run(node, ['swarm', 'ca', '--rotate']);
  assert.equal(rotated.code, 0, rotated.stderr);
  const newRoot = (await docker.ok(node, ['swarm', 'ca'])).trim();
  assert.notEqual(newRoot, oldRoot.trim());
  assert.equal(
    (
      await docker.ok(node, ['info', '--format', '{{.Swarm.Cluster.RootRotationInProgress}}'])
    ).trim(),
    'false',
  );

  await waitFor(
    'the port to serve a certificate from the new root',
    30_000,
    async () => ((await serverTrusted(tlsPort!, newRoot)) ? true : undefined),
    200,
  );
  assert.equal(await serverTrusted(tlsPort!, oldRoot), false, 'the old root no longer signs');
  const stale = await nodeLs(before);
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /certificate/);

  const after = await issueClient(cluster, node);
  assert.equal(readFileSync(join(after, 'ca.pem'), 'utf8').trim(), newRoot);
  const fresh = await nodeLs(after);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(fresh.stdout.trim(), 'node-1');
  // A certificate of the old root, with the new root to check the server: the port refuses it.
  const mixed = makeTempDir('shoal-client-cert-');
  for (const [file, from] of [
    ['ca.pem', after],
    ['cert.pem', before],
    ['key.pem', before],
  ] as const) {
    copyFileSync(join(from, file), join(mixed, file));
  }
  const oldClient = await nodeLs(mixed);
  assert.notEqual(oldClient.code, 0);
  // TLS 1.3: the client learns of the refusal as a closed connection.
  assert.match(oldClient.stderr, /certificate|tls|EOF|connection reset/i);

  const anonymous = await docker.run(
    null,
    ['--tlsverify', '--tlscacert', join(after, 'ca.pem'), 'node', 'ls'],
    { host },
  );
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.stderr, /certificate required|bad certificate/);
  const plain = await plainAnswer(tlsPort!);
  assert.doesNotMatch(plain, /"ID"|node-1/, 'no API answer without TLS');
});
