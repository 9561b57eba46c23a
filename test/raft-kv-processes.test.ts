// Three `shoal raft-kv` members as real processes on loopback: clients keep writing while the
// leader is SIGKILLed and restarted, twice; afterwards every acknowledged write must be on
// every member.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LeaderWriter, MemberProcesses } from '../src/raftkv/member-processes.ts';
import { KvClient } from '../src/rpc/index.ts';
import { freePorts, makeTempDir, removeTempDirs, waitFor } from '../src/testkit/index.ts';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist/shoal.mjs');
const WRITERS = 4;

test('acknowledged writes survive leader SIGKILLs and restarts', {
  timeout: 180_000,
}, async (t) => {
  assert.ok(existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
  const cluster = new MemberProcesses({
    root: makeTempDir('shoal-raftkv-test-'),
    ports: await freePorts(6),
    shoal: [process.execPath, cli],
  });
  t.after(async () => {
    await cluster.stop();
    removeTempDirs();
  });
  await cluster.start(20_000);

  const acknowledged = new Map<string, string>();
  let writing = true;
  const writerLoop = async (writer: number) => {
    const client = new LeaderWriter(cluster.member(0).client, 1000);
    try {
      for (let i = 0; writing; i++) {
        const key = `w${writer}-${i}`;
        try {
          await client.put(key, Buffer.from(`value of ${key}`));
          acknowledged.set(key, `value of ${key}`);
        } catch {
          // Unknown outcome (the member died or timed out): try another member.
          client.retarget(cluster.member(i % cluster.size).client);
        }
      }
    } finally {
      client.close();
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writerLoop(w));

  for (let round = 0; round < 2; round++) {
    const before = acknowledged.size;
    await waitFor('writes to be acknowledged', 30_000, async () =>
      acknowledged.size >= before + 100 ? true : undefined,
    );
    const leader = await cluster.leader(10_000);
    await cluster.kill(leader);
    const afterKill = acknowledged.size;
    await waitFor('writes to resume under a new leader', 30_000, async () =>
      acknowledged.size >= afterKill + 50 ? true : undefined,
    );
    await cluster.restart(leader, 30_000);
  }
  writing = false;
  await Promise.all(writers);
  assert.ok(acknowledged.size >= 400, `only ${acknowledged.size} writes acknowledged`);

  // Every member catches up to the leader's commit index, then holds every acknowledged write.
  const leader = await cluster.leader(10_000);
  const commit = (await cluster.status(leader))!.commit;
  await waitFor('every member to apply the whole log', 30_000, async () => {
    for (let i = 0; i < cluster.size; i++) {
      const status = await cluster.status(i);
      if (!status || status.applied < commit) return undefined;
    }
    return true;
  });
  for (let i = 0; i < cluster.size; i++) {
    const client = new KvClient(cluster.member(i).client);
    try {
      const missing: string[] = [];
      for (const [key, value] of acknowledged) {
        const got = await client.get(key, false);
        if (!got.found || Buffer.from(got.value).toString() !== value) missing.push(key);
      }
      assert.deepEqual(missing.slice(0, 10), [], `member ${i + 1} lost ${missing.length} writes`);
    } finally {
      client.close();
    }
  }
});
