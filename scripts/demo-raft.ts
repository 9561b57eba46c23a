// `npm run demo -- raft`: a three-member Raft cluster of real `shoal raft-kv` processes on
// loopback. Shows the election, replication to every member, a SIGKILL of the leader with the new
// election and the write that follows it, and the old leader catching up after a restart.
import { join } from 'node:path';
import { LeaderWriter, MemberProcesses } from '../src/raftkv/member-processes.ts';
import { KvClient } from '../src/rpc/index.ts';
import {
  freePorts,
  installCleanupHandlers,
  makeTempDir,
  removeTempDirs,
} from '../src/testkit/index.ts';

const root = join(import.meta.dirname, '..');
const say = (line: string) => console.log(`\x1b[1m==>\x1b[0m ${line}`);

async function showMembers(cluster: MemberProcesses): Promise<void> {
  for (let i = 0; i < cluster.size; i++) {
    const status = await cluster.status(i).catch(() => undefined);
    const m = cluster.member(i);
    const line = status
      ? `${status.role.padEnd(9)} term ${status.term}, commit ${status.commit}, applied ${status.applied}`
      : 'down';
    console.log(`    member ${m.id} (client ${m.client}): ${line}`);
  }
}

installCleanupHandlers();
const dir = makeTempDir('shoal-demo-');
const cluster = new MemberProcesses({
  root: dir,
  ports: await freePorts(6),
  shoal: [process.execPath, join(root, 'dist/shoal.mjs')],
});
try {
  say(`starting 3 Raft members (shoal raft-kv), each its own process, data in ${dir}`);
  let started = Date.now();
  await cluster.start(20_000);
  const leader = await cluster.leader(5_000);
  say(`member ${leader + 1} won the election in ${Date.now() - started} ms`);
  await showMembers(cluster);

  const writer = new LeaderWriter(cluster.member(leader).client);
  say('writing 200 keys through the leader (each acknowledged once on a majority, fsynced)');
  started = Date.now();
  for (let i = 0; i < 200; i++) await writer.put(`demo-${i}`, Buffer.from(`value ${i}`));
  say(`200 writes in ${Date.now() - started} ms; every member applies them:`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await showMembers(cluster);

  say(`SIGKILL the leader (member ${leader + 1})`);
  await cluster.kill(leader);
  started = Date.now();
  const survivor = cluster.member((leader + 1) % cluster.size).client;
  writer.retarget(survivor);
  for (;;) {
    try {
      await writer.put('after-failover', Buffer.from('still writable'));
      break;
    } catch {
      writer.retarget(cluster.member((leader + 1 + (Date.now() % 2)) % cluster.size).client);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const next = await cluster.leader(5_000);
  say(
    `member ${next + 1} leads now; first write accepted ${Date.now() - started} ms after the kill`,
  );
  await showMembers(cluster);

  say(`restarting member ${leader + 1} on its own data dir: it catches up from the log`);
  await cluster.restart(leader, 20_000);
  await showMembers(cluster);
  const client = new KvClient(cluster.member(leader).client);
  const value = await client.get('after-failover', false);
  say(`member ${leader + 1} reads after-failover = "${Buffer.from(value.value).toString()}"`);
  client.close();
  writer.close();
  say(
    'done. The simulator checks the same code under thousands of faults: npm run sim -- --seeds 1000',
  );
} finally {
  await cluster.stop();
  removeTempDirs();
}
