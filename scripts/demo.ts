// `npm run demo`: a real three-node Shoal cluster on this machine (daemons on 127.0.0.1-3,
// each with its own data dir and API socket). node-1 initializes the swarm, node-2 and
// node-3 join as managers; then the leader is SIGKILLed and the cluster carries on, and the
// old leader comes back. On a terminal the cluster keeps running for you to try commands.
// `npm run demo -- raft` runs the Raft key-value demo instead (scripts/demo-raft.ts).
import { join } from 'node:path';
import {
  type DaemonProcess,
  DaemonProcesses,
  freePorts,
  installCleanupHandlers,
  makeTempDir,
  removeTempDirs,
  waitFor,
} from '../src/testkit/index.ts';

if (process.argv.includes('raft')) {
  await import('./demo-raft.ts');
} else {
  await clusterDemo();
}

async function clusterDemo(): Promise<void> {
  const root = join(import.meta.dirname, '..');
  const cli = join(root, 'bin/shoal.mjs');
  const say = (line: string) => console.log(`\n\x1b[1m==> ${line}\x1b[0m`);
  installCleanupHandlers();
  const dir = makeTempDir('shoal-demo-');
  const cluster = new DaemonProcesses(dir, [process.execPath, cli]);
  const show = async (node: DaemonProcess, args: string[]) => {
    console.log(`$ shoal -H unix://${node.socket} ${args.join(' ')}`);
    process.stdout.write(await cluster.ok(node, args));
  };
  try {
    const [port] = await freePorts(1);
    say(`starting three daemons (node-1..3 on 127.0.0.1..3), state under ${dir}`);
    const nodes: DaemonProcess[] = [];
    for (let i = 1; i <= 3; i++) nodes.push(await cluster.add(i, port!));
    const [n1, n2, n3] = nodes as [DaemonProcess, DaemonProcess, DaemonProcess];

    say('node-1: swarm init (a 1 s dispatcher heartbeat makes the demo quick)');
    process.stdout.write(await cluster.initSwarm(n1, ['--dispatcher-heartbeat', '1s']));
    const token = (await cluster.ok(n1, ['swarm', 'join-token', '-q', 'manager'])).trim();
    for (const node of [n2, n3]) {
      say(`${node.name}: swarm join as a manager (mutual TLS, CA pinned by the token)`);
      const joined = await cluster.joinSwarm(node, token, n1.clusterAddr);
      if (joined.code !== 0) throw new Error(joined.stderr);
      process.stdout.write(joined.stdout);
    }
    await waitFor('three reachable managers', 30_000, async () => {
      const out = await cluster.ok(n2, ['node', 'ls', '--format', '{{.ManagerStatus}}']);
      return out.split('\n').filter((s) => s === 'Leader' || s === 'Reachable').length === 3
        ? true
        : undefined;
    });
    await show(n2, ['node', 'ls']);

    say('SIGKILL node-1, the leader: the two other managers elect a new one');
    await cluster.kill(n1);
    const started = Date.now();
    await waitFor('a write to succeed', 30_000, async () =>
      (await cluster.cli(n2, ['node', 'update', '--label-add', 'demo=survived', 'node-3'])).code ===
      0
        ? true
        : undefined,
    );
    console.log(`(first write accepted ${Date.now() - started} ms after the kill)`);
    await waitFor('node-1 to be seen down', 30_000, async () =>
      (await cluster.ok(n2, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).includes(
        'node-1 Down',
      )
        ? true
        : undefined,
    );
    await show(n2, ['node', 'ls']);

    say('restarting node-1: it rejoins from its own data dir and catches up');
    await cluster.start(n1);
    await waitFor('node-1 to be ready again', 30_000, async () =>
      (await cluster.ok(n3, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).includes(
        'node-1 Ready',
      )
        ? true
        : undefined,
    );
    await show(n1, ['node', 'inspect', '--pretty', 'node-3']);

    say('the cluster is yours to try');
    for (const node of nodes)
      console.log(`  export SHOAL_HOST=unix://${node.socket}   # ${node.name}`);
    console.log(`  node ${cli} node ls`);
    console.log(`  node ${cli} info`);
    console.log(`  node ${cli} swarm join-token worker`);
    if (process.stdout.isTTY) {
      console.log('\nPress Ctrl-C to stop the cluster and remove its data.');
      await new Promise(() => {});
    }
  } finally {
    await cluster.stop();
    removeTempDirs();
  }
}
