import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { addKvService, KvClient, NotLeaderError, parseNotLeader } from './kv.ts';

async function serve(t: test.TestContext, leader: boolean): Promise<KvClient> {
  const data = new Map<string, Uint8Array>();
  const server = new grpc.Server();
  addKvService(server, {
    put(key, value) {
      if (!leader) throw new NotLeaderError(3, '10.0.0.3:4000');
      data.set(Buffer.from(key).toString('hex'), value);
      return { ok: true, leaderHint: 1 };
    },
    async get(key, linearizable) {
      if (linearizable && !leader) throw new NotLeaderError(0, '');
      if (key.length === 0) throw Object.assign(new Error('empty key'), { code: 3 });
      const value = data.get(Buffer.from(key).toString('hex'));
      return { found: value !== undefined, value: value ?? new Uint8Array(0) };
    },
    status: () => ({
      id: 1,
      leader: leader ? 1 : 3,
      term: 2 ** 40,
      commit: 10,
      applied: 9,
      role: leader ? 'leader' : 'follower',
    }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = new KvClient(`127.0.0.1:${port}`);
  t.after(() => {
    client.close();
    server.forceShutdown();
  });
  return client;
}

test('KV put, get and status on the leader', async (t) => {
  const client = await serve(t, true);
  await client.put('k', 'v0');
  assert.deepEqual(await client.putUnary('k', 'v1'), { ok: true, leaderHint: 1 });
  const got = await client.get('k');
  assert.equal(got.found, true);
  assert.equal(Buffer.from(got.value).toString(), 'v1');
  assert.deepEqual(await client.get('missing', false), { found: false, value: Buffer.alloc(0) });
  assert.deepEqual(await client.status(), {
    id: 1,
    leader: 1,
    term: 2 ** 40,
    commit: 10,
    applied: 9,
    role: 'leader',
  });
  await assert.rejects(client.get(''), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(parseNotLeader(err), null);
    return true;
  });
});

test('"not the leader" is FAILED_PRECONDITION naming the leader', async (t) => {
  const client = await serve(t, false);
  await assert.rejects(client.put('k', 'v'), (err: unknown) => {
    assert.ok(err instanceof NotLeaderError);
    assert.equal(err.leaderId, 3);
    assert.equal(err.leaderAddress, '10.0.0.3:4000');
    return true;
  });
  await assert.rejects(client.get('k'), (err: unknown) => {
    assert.ok(err instanceof NotLeaderError);
    assert.equal(err.leaderId, 0);
    assert.equal(err.leaderAddress, '');
    return true;
  });
  await assert.rejects(client.putUnary('k', 'v'), (err: unknown) => err instanceof NotLeaderError);
  // Stale reads are served by any node.
  assert.equal((await client.get('k', false)).found, false);
});

test('many puts and gets are pipelined over one stream and answered by id', async (t) => {
  const client = await serve(t, true);
  const keys = Array.from({ length: 500 }, (_, i) => `key-${i}`);
  await Promise.all(keys.map((key) => client.put(key, `value of ${key}`)));
  const values = await Promise.all(keys.map((key) => client.get(key)));
  values.forEach((got, i) => {
    assert.equal(Buffer.from(got.value).toString(), `value of ${keys[i]}`);
  });
});

test('a request without an answer in time fails with DEADLINE_EXCEEDED', async (t) => {
  const server = new grpc.Server();
  addKvService(server, {
    put: () => new Promise(() => {}), // never settles
    get: () => ({ found: false, value: new Uint8Array(0) }),
    status: () => ({ id: 1, leader: 1, term: 1, commit: 0, applied: 0, role: 'leader' }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = new KvClient(`127.0.0.1:${port}`, { timeoutMs: 200 });
  t.after(() => {
    client.close();
    server.forceShutdown();
  });
  await assert.rejects(client.put('k', 'v'), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    return true;
  });
  // The stream still serves later requests.
  assert.equal((await client.get('k')).found, false);
});
