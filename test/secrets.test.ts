// Secrets and configs end to end, with real daemons (exec runtime) on three nodes: a secret and
// a templated config created with the CLI, a service on two nodes reading them through its
// files (content and mode checked by the tasks themselves), removal refused while in use,
// rotation with `service update --secret-rm a --secret-add b`, files only on the nodes that run
// the tasks and only while they run, and the secret in no `inspect` output, daemon log or file
// outside the memory-backed directory.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { existingMemoryRoot, nodeFilesDir } from '../src/agent/worker/index.ts';
import type { DaemonProcess, DaemonProcesses } from '../src/testkit/index.ts';
import { waitFor } from '../src/testkit/index.ts';
import { ClusterApi, running, threeNodeCluster } from './services-support.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every file under `dir` (bounded: a test's data dirs are small). */
function filesUnder(dir: string, found: string[] = []): string[] {
  if (!existsSync(dir) || found.length > 10_000) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, found);
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** The files under the nodes' data dirs and their logs that contain any of `needles`. */
function filesContaining(nodes: DaemonProcess[], needles: string[]): string[] {
  const hits: string[] = [];
  for (const node of nodes) {
    for (const file of [...filesUnder(node.dataDir), node.log]) {
      if (!existsSync(file) || statSync(file).size > 64 * 1024 * 1024) continue;
      const content = readFileSync(file);
      if (needles.some((needle) => content.includes(needle))) hits.push(file);
    }
  }
  return hits;
}

async function nodeId(cluster: DaemonProcesses, node: DaemonProcess): Promise<string> {
  return (await cluster.ok(node, ['info', '-f', '{{.Swarm.NodeID}}'])).trim();
}

/** The task directories holding files on a node (none when it never had any). */
function taskDirsOn(id: string): string[] {
  const root = existingMemoryRoot();
  if (root === undefined) return [];
  const dir = nodeFilesDir(root, id);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

test('secrets and configs reach only their tasks, in memory-backed files', {
  timeout: 300_000,
}, async (t) => {
  const { cluster, nodes } = await threeNodeCluster(t, 'secrets', {
    daemonArgs: ['--docker', 'none'],
    joinAs: 'worker',
  });
  const [n1] = nodes;
  const api = new ClusterApi(n1);
  t.after(() => api.close());
  const ids = new Map<string, DaemonProcess>();
  for (const node of nodes) ids.set(await nodeId(cluster, node), node);
  t.after(() => {
    // Whatever the outcome, no task files of these nodes stay in memory.
    const root = existingMemoryRoot();
    for (const id of root === undefined ? [] : ids.keys()) {
      rmSync(nodeFilesDir(root!, id), { recursive: true, force: true });
    }
  });

  const secretV1 = `s3cr3t-${randomBytes(12).toString('hex')}`;
  const secretV2 = `r0tated-${randomBytes(12).toString('hex')}`;
  const needles = [
    secretV1,
    secretV2,
    Buffer.from(secretV1).toString('base64'),
    Buffer.from(secretV2).toString('base64'),
  ];
  try {
    // --- create, with the CLI, from standard input
    const created = await cluster.cli(
      n1,
      ['secret', 'create', '-l', 'app=reader', 'db_pass', '-'],
      secretV1,
    );
    assert.equal(created.code, 0, created.stderr);
    const secretId = created.stdout.trim();
    assert.match(secretId, /^[a-z0-9]{25}$/);
    const template = [
      'service={{ .Service.Name }} slot={{ .Task.Slot }} node={{ .Node.Hostname }}',
      'greeting={{ env "GREETING" }} password={{ secret "db_pass" }}',
      '',
    ].join('\n');
    const config = await cluster.cli(
      n1,
      ['config', 'create', '--template-driver', 'golang', 'app.conf', '-'],
      template,
    );
    assert.equal(config.code, 0, config.stderr);
    const again = await cluster.cli(n1, ['secret', 'create', 'db_pass', '-'], 'other');
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr.trim(),
      'Error response from daemon: rpc error: code = AlreadyExists desc = secret db_pass already exists',
    );
    const ls = await cluster.ok(n1, ['secret', 'ls']);
    assert.match(ls, /^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED\n/);
    assert.match(ls, new RegExp(`^${secretId}\\s+db_pass\\s+\\S`, 'm'));

    // --- a service on two nodes reads them; each task reports what it sees (hashes, modes)
    const script = [
      'echo "secret=$(sha256sum < $SHOAL_SECRETS_DIR/db_pass | cut -c1-64) mode=$(stat -c %a $SHOAL_SECRETS_DIR/db_pass)"',
      'echo "config=$(sha256sum < $SHOAL_CONFIGS_DIR/app.conf | cut -c1-64) mode=$(stat -c %a $SHOAL_CONFIGS_DIR/app.conf)"',
      'exec sleep 1000',
    ].join('; ');
    await cluster.ok(n1, [
      'service',
      'create',
      '-d',
      '--name',
      'reader',
      '--replicas',
      '2',
      '--replicas-max-per-node',
      '1',
      '--secret',
      'source=db_pass,mode=0400',
      '--config',
      'source=app.conf,target=/app.conf',
      '--env',
      'GREETING=hi',
      'exec:/bin/sh',
      '-c',
      script,
    ]);
    const service = await api.service('reader');
    const tasks = await api.waitTasks(service.ID, '2 running', (ts) => running(ts).length === 2);
    const taskNodes = new Set(running(tasks).map((task) => task.NodeID!));
    assert.equal(taskNodes.size, 2, 'on two nodes');
    const expected = (slot: number, node: string) =>
      `service=reader slot=${slot} node=${node}\ngreeting=hi password=${secretV1}\n`;
    const logs = await waitFor('both tasks to report their files', 30_000, async () => {
      const text = (await cluster.cli(n1, ['service', 'logs', '--no-trunc', 'reader'])).stdout;
      return (text.match(/secret=/g) ?? []).length >= 2 ? text : undefined;
    });
    for (const task of running(tasks)) {
      const host = ids.get(task.NodeID!)!.name;
      const line = (prefix: string) =>
        new RegExp(`^reader\\.${task.Slot}\\.${task.ID}@${host}\\s+\\| ${prefix}$`, 'm');
      assert.match(logs, line(`secret=${sha256(secretV1)} mode=400`));
      assert.match(logs, line(`config=${sha256(expected(task.Slot!, host))} mode=444`));
    }
    // The files are on the memory-backed root, on the two nodes that run the tasks only.
    const root = existingMemoryRoot();
    assert.ok(root !== undefined, 'a memory-backed root for task files');
    for (const [id, node] of ids) {
      const mine = running(tasks)
        .filter((task) => task.NodeID === id)
        .map((task) => task.ID);
      assert.deepEqual(taskDirsOn(id), mine, `task files on ${node.name}`);
    }

    // --- never shown: inspect (CLI and API), service inspect
    for (const args of [
      ['secret', 'inspect', 'db_pass'],
      ['secret', 'inspect', '--pretty', 'db_pass'],
      ['secret', 'ls', '--format', '{{json .}}'],
      ['service', 'inspect', 'reader'],
    ]) {
      const out = await cluster.ok(n1, args);
      for (const needle of needles)
        assert.ok(!out.includes(needle), `${args.join(' ')} shows the secret`);
    }
    const inspected = JSON.parse(await cluster.ok(n1, ['secret', 'inspect', 'db_pass']));
    assert.deepEqual(inspected[0].Spec, { Name: 'db_pass', Labels: { app: 'reader' } });

    // --- removal refused while in use, and nothing changed
    const refused = await cluster.cli(n1, ['secret', 'rm', 'db_pass']);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.trim(),
      "Error response from daemon: rpc error: code = InvalidArgument desc = secret 'db_pass' is in use by the following service: reader",
    );
    assert.equal((await cluster.ok(n1, ['secret', 'ls', '-q'])).trim(), secretId);
    const configRefused = await cluster.cli(n1, ['config', 'rm', 'app.conf']);
    assert.equal(configRefused.code, 1);
    assert.match(
      configRefused.stderr,
      /config 'app.conf' is in use by the following service: reader/,
    );

    // --- rotation: a new secret at the same target; old tasks' files go with them
    const v2 = await cluster.cli(n1, ['secret', 'create', 'db_pass_v2', '-'], secretV2);
    assert.equal(v2.code, 0, v2.stderr);
    await cluster.ok(n1, [
      'service',
      'update',
      '-d',
      '--update-parallelism',
      '0',
      '--secret-rm',
      'db_pass',
      '--secret-add',
      'source=db_pass_v2,target=db_pass,mode=0400',
      'reader',
    ]);
    const oldIds = new Set(tasks.map((task) => task.ID));
    const rotated = await api.waitTasks(
      service.ID,
      '2 new tasks running',
      (ts) => {
        const fresh = running(ts).filter((task) => !oldIds.has(task.ID));
        return fresh.length === 2;
      },
      60_000,
    );
    const fresh = running(rotated).filter((task) => !oldIds.has(task.ID));
    await waitFor('the new tasks to report the rotated secret', 30_000, async () => {
      const text = (await cluster.cli(n1, ['service', 'logs', '--no-trunc', 'reader'])).stdout;
      return fresh.every((task) =>
        new RegExp(
          `^reader\\.${task.Slot}\\.${task.ID}@\\S+\\s+\\| secret=${sha256(secretV2)} mode=400$`,
          'm',
        ).test(text),
      )
        ? true
        : undefined;
    });
    await waitFor('only the running tasks to have files', 30_000, async () => {
      for (const id of ids.keys()) {
        const mine = fresh
          .filter((task) => task.NodeID === id)
          .map((task) => task.ID)
          .sort();
        if (JSON.stringify(taskDirsOn(id)) !== JSON.stringify(mine)) return undefined;
      }
      return true;
    });
    // Now unused, the old secret can go.
    assert.equal((await cluster.ok(n1, ['secret', 'rm', 'db_pass'])).trim(), 'db_pass');

    // --- on disk: the secret in no data dir and no daemon log (the Raft log is encrypted)
    assert.deepEqual(filesContaining(nodes, needles), []);

    // --- a node that leaves removes its tasks' files
    const leaver = fresh.find((task) => ids.get(task.NodeID!) !== n1)!;
    const leaverNode = ids.get(leaver.NodeID!)!;
    await cluster.ok(leaverNode, ['swarm', 'leave']);
    assert.deepEqual(taskDirsOn(leaver.NodeID!), []);
  } finally {
    await api.removeAll();
  }
  await waitFor('every task file to be gone', 30_000, async () =>
    [...ids.keys()].every((id) => taskDirsOn(id).length === 0) ? true : undefined,
  );
});
