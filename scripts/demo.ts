// `npm run demo`: a real three-node Shoal cluster on this machine (daemons on 127.0.0.1-3, each
// with its own data dir and API socket). node-1 initializes the swarm, node-2 and node-3 join as
// managers; then the leader is SIGKILLed and the cluster carries on, and the old leader comes
// back. Then a service of three replicas is deployed, attached, so docker's progress display
// shows it converge: containers of the local Docker Engine when one answers (the image
// shoal-test/busybox, built locally from the host's static busybox), else host processes
// (`exec:/bin/sh`). The demo never starts dockerd itself: it would outlive the demo, so it only
// says how to. Then a web service publishes a port, and every node's address answers on it
// from every replica (the routing mesh). On a terminal the cluster keeps running for you to try
// commands until Ctrl-C.
// On every way out (the end without a terminal, Ctrl-C, SIGTERM, an error) every service is
// removed and the demo waits until their tasks, containers and processes are gone before it
// stops the daemons; whatever is still there after that (a second Ctrl-C skips the wait) is
// force-removed, so nothing is left behind.
// `npm run demo -- raft` runs the Raft key-value demo instead (scripts/demo-raft.ts).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { ExecDriver, probeDocker } from '../src/runtime/index.ts';
import { dockerClient, ensureBusyboxImage } from '../src/testkit/docker.ts';
import {
  type DaemonProcess,
  DaemonProcesses,
  freePorts,
  makeTempDir,
  removeTempDirs,
  waitFor,
} from '../src/testkit/index.ts';

const SERVICE = 'demo';
const WEB = 'web';
const REPLICAS = 3;
/** How long the way out waits for tasks, containers and processes to go before forcing. */
const REMOVAL_TIMEOUT_MS = 60_000;
/** Signals closer together than this are one: see Interrupts. */
const SIGNAL_REPEAT_MS = 1000;
const DOCKER_SOCKET = '/var/run/docker.sock';
const DOCKERD_PATHS = ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'];
const SETSID_PATHS = ['/usr/bin/setsid', '/bin/setsid'];

class Interrupted extends Error {}

const heading = (line: string) => console.log(`\n\x1b[1m==> ${line}\x1b[0m`);

/**
 * Ctrl-C or SIGTERM. The first stops the demo at its next step and starts the clean way out;
 * the second stops waiting for tasks to go (what is left is force-removed); the third exits.
 */
class Interrupts {
  count = 0;
  readonly requested: Promise<void>;
  private resolve: () => void = () => {};

  constructor(private readonly killNow: () => void) {
    this.requested = new Promise((resolve) => {
      this.resolve = resolve;
    });
    let lastMs = 0;
    const on = (signal: NodeJS.Signals) => {
      // One Ctrl-C can arrive twice: from the terminal and relayed by tsx, which resends it
      // when the child's acknowledgement crosses its own signal.
      if (Date.now() - lastMs < SIGNAL_REPEAT_MS) return;
      lastMs = Date.now();
      this.count++;
      if (this.count === 1) {
        console.error(`\n${signal}: removing the services, then stopping (again to hurry)`);
        this.resolve();
      } else if (this.count === 2) {
        console.error(`\n${signal}: not waiting for tasks; force-removing what is left`);
      } else {
        this.killNow();
        process.exit(130);
      }
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  }

  get hurried(): boolean {
    return this.count >= 2;
  }

  /** Throws once interrupted: called between the demo's steps. */
  check(): void {
    if (this.count > 0) throw new Interrupted();
  }
}

/** Where the service's tasks run, and what the daemons' engine is. */
interface Runtime {
  /** The engine's client when one answers (the way out looks for containers there). */
  docker: Dockerode | null;
  containers: boolean;
  /** The containers' image (when containers). */
  image?: string;
  /** `service create` arguments from the first flag to the end. */
  args: string[];
  note: string;
}

/** Docker when an engine answers and the busybox image can be made here; else exec. */
async function chooseRuntime(): Promise<Runtime> {
  // The replica's slot and node come from swarm's templates, expanded in each task's env.
  const script =
    'trap "exit 0" TERM; while true; do echo "hello from replica $REPLICA on $NODE"; sleep 2; done';
  const args = ['--env', 'REPLICA={{.Task.Slot}}', '--env', 'NODE={{.Node.Hostname}}'];
  const exec = (why: string, docker: Dockerode | null = null): Runtime => ({
    docker,
    containers: false,
    args: [...args, 'exec:/bin/sh', '-c', script],
    note: `${why}; the replicas run as host processes (exec:/bin/sh)`,
  });
  const found = await probeDocker(DOCKER_SOCKET);
  if (found === null) {
    const installed = DOCKERD_PATHS.find((path) => existsSync(path));
    return exec(
      installed
        ? `no Docker Engine answers on ${DOCKER_SOCKET} (${installed} is installed: start it, e.g. \`systemctl start docker\` or \`dockerd &\`, and run the demo again to get containers)`
        : `no Docker Engine on ${DOCKER_SOCKET}`,
    );
  }
  // The engine found, as is (ensureDockerEngine could start one).
  const engine = { socketPath: DOCKER_SOCKET, version: found.version, started: false };
  const docker = dockerClient(engine);
  try {
    const image = await ensureBusyboxImage(docker);
    return {
      docker,
      containers: true,
      image,
      args: [...args, image, 'sh', '-c', script],
      note: `Docker Engine ${engine.version}: the replicas are containers of ${image} (built locally, nothing pulled)`,
    };
  } catch (error) {
    return exec(`Docker Engine ${engine.version}, but ${(error as Error).message}`, docker);
  }
}

/** The web replicas: busybox httpd in containers, or a tiny Node server as exec tasks. */
function webArgs(runtime: Runtime): string[] {
  const env = ['--env', 'REPLICA={{.Task.Slot}}', '--env', 'NODE={{.Node.Hostname}}'];
  if (runtime.containers && runtime.image !== undefined) {
    const image = runtime.image;
    const script =
      'mkdir -p /www && echo "replica $REPLICA on $NODE" > /www/index.html && exec httpd -f -p 80 -h /www';
    return [...env, image, 'sh', '-c', script];
  }
  // Exec tasks are told their port in PORT; the mesh connects there.
  const server =
    "const e = process.env; require('http').createServer((q, r) => r.end('replica ' + e.REPLICA + ' on ' + e.NODE + '\\n')).listen(e.PORT, '127.0.0.1')";
  return [...env, `exec:${process.execPath}`, '-e', server];
}

/** One HTTP GET on a new connection: the body's first line, or what went wrong. */
function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const request = get({ host, port, path: '/', agent: false, timeout: 5000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(body.trim().split('\n')[0] ?? ''));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve(`(${error.message})`));
  });
}

async function clusterDemo(): Promise<void> {
  const root = join(import.meta.dirname, '..');
  const cli = join(root, 'bin/shoal.mjs');
  const dir = makeTempDir('shoal-demo-');
  // The daemons (and the CLI runs the demo collects) in sessions of their own: the terminal's
  // Ctrl-C then reaches the demo alone, which removes the services through the daemons before
  // it stops them.
  const setsid = SETSID_PATHS.find((path) => existsSync(path));
  const cluster = new DaemonProcesses(dir, [...(setsid ? [setsid] : []), process.execPath, cli]);
  const killDaemons = () => {
    for (const daemon of cluster.daemons) daemon.child?.kill('SIGKILL');
  };
  process.once('exit', killDaemons);
  const interrupts = new Interrupts(killDaemons);
  const say = (line: string) => {
    interrupts.check();
    heading(line);
  };
  const until = <T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) =>
    waitFor(what, timeoutMs, async () => {
      interrupts.check();
      return check();
    });
  const show = async (node: DaemonProcess, args: string[]) => {
    interrupts.check();
    console.log(`$ shoal ${args.join(' ')}`);
    process.stdout.write(await cluster.ok(node, args));
  };
  /** A CLI command on the demo's own terminal: progress is drawn live, Ctrl-C reaches it. */
  const attached = (node: DaemonProcess, args: string[]) => {
    interrupts.check();
    console.log(
      `$ shoal ${args.map((arg) => (/[\s$"'{}]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`,
    );
    return new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, '-H', `unix://${node.socket}`, ...args], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  };

  let runtime: Runtime | undefined;
  const nodeIds: string[] = [];
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
    await until('three reachable managers', 30_000, async () => {
      const out = await cluster.ok(n2, ['node', 'ls', '--format', '{{.ManagerStatus}}']);
      return out.split('\n').filter((s) => s === 'Leader' || s === 'Reachable').length === 3
        ? true
        : undefined;
    });
    await show(n2, ['node', 'ls']);
    for (const line of (await cluster.ok(n1, ['node', 'ls', '-q'])).split('\n'))
      if (line.trim() !== '') nodeIds.push(line.trim());

    say('SIGKILL node-1, the leader: the two other managers elect a new one');
    await cluster.kill(n1);
    const started = Date.now();
    await until('a write to succeed', 30_000, async () =>
      (await cluster.cli(n2, ['node', 'update', '--label-add', 'demo=survived', 'node-3'])).code ===
      0
        ? true
        : undefined,
    );
    console.log(`(first write accepted ${Date.now() - started} ms after the kill)`);
    await until('node-1 to be seen down', 30_000, async () =>
      (await cluster.ok(n2, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).includes(
        'node-1 Down',
      )
        ? true
        : undefined,
    );
    await show(n2, ['node', 'ls']);

    say('restarting node-1: it rejoins from its own data dir and catches up');
    await cluster.start(n1);
    await until('node-1 to be ready again', 30_000, async () =>
      (await cluster.ok(n3, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).includes(
        'node-1 Ready',
      )
        ? true
        : undefined,
    );
    await show(n1, ['node', 'inspect', '--pretty', 'node-3']);
    // Writes through node-1 need it to know the leader again, not only to be Ready.
    await until('node-1 to see a leader', 30_000, async () => {
      const out = await cluster.cli(n1, ['node', 'ls', '--format', '{{.ManagerStatus}}']);
      return out.code === 0 && out.stdout.split('\n').includes('Leader') ? true : undefined;
    });

    runtime = await chooseRuntime();
    say(`deploying the service "${SERVICE}", ${REPLICAS} replicas: ${runtime.note}`);
    const created = await attached(n1, [
      'service',
      'create',
      '--name',
      SERVICE,
      '--replicas',
      String(REPLICAS),
      ...runtime.args,
    ]);
    interrupts.check();
    if (created !== 0) throw new Error(`service create exited ${created}`);
    await show(n1, ['service', 'ls']);
    await show(n1, ['service', 'ps', SERVICE]);
    await show(n2, ['node', 'ps', 'node-2']);

    const [published] = (await freePorts(1)) as [number];
    say(`the routing mesh: "${WEB}", ${REPLICAS} web replicas published on port ${published}`);
    const web = await cluster.cli(n1, [
      'service',
      'create',
      '-d',
      '--name',
      WEB,
      '--replicas',
      String(REPLICAS),
      '--publish',
      `${published}:80`,
      ...webArgs(runtime),
    ]);
    if (web.code !== 0) throw new Error(`service create ${WEB}: ${web.stderr}`);
    await until(`${REPLICAS} ${WEB} replicas running`, 90_000, async () => {
      const out = await cluster.ok(n1, ['service', 'ls', '--filter', `name=${WEB}`]);
      return out.includes(`${REPLICAS}/${REPLICAS}`) ? true : undefined;
    });
    console.log('every node answers on the published port, from every replica (round robin):');
    for (const node of nodes) {
      const answers: string[] = [];
      for (let i = 0; i < REPLICAS; i++) answers.push(await httpGet(node.ip, published));
      console.log(`  curl http://${node.ip}:${published}/  ->  ${answers.join(' | ')}`);
    }

    say('the cluster is yours to try');
    console.log(`  alias shoal='node ${cli}'`);
    for (const node of nodes)
      console.log(`  export SHOAL_HOST=unix://${node.socket}   # ${node.name}`);
    console.log(`  shoal service scale ${SERVICE}=5          # progress until 5/5 run`);
    console.log(`  shoal service ps ${SERVICE}`);
    console.log(`  shoal service logs -f ${SERVICE}           # every node's replicas`);
    console.log(
      `  curl http://127.0.0.2:${published}/           # the mesh: any node, any replica`,
    );
    console.log(`  shoal service update --env-add GREETING=hi ${SERVICE}   # a rolling update`);
    console.log('  shoal node ps node-3');
    console.log('  shoal node update --availability drain node-3   # its replicas move');
    console.log('  shoal node ls; shoal info; shoal swarm join-token worker');
    if (runtime.containers)
      console.log(`  docker ps --filter label=com.docker.swarm.service.name=${SERVICE}`);
    if (process.stdout.isTTY) {
      console.log('\nPress Ctrl-C to remove the services, stop the cluster and remove its data.');
      await interrupts.requested;
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
  } finally {
    try {
      await leaveNothingBehind(cluster, nodeIds, runtime?.docker ?? null, interrupts);
    } finally {
      removeTempDirs();
      if (interrupts.count > 0) process.exitCode = 130;
    }
  }
}

/**
 * The way out: remove every service through a live manager, wait until no task is left on any
 * node and their containers (by the nodes' IDs) and processes (the exec runtime's task dirs)
 * are gone, stop the daemons, then force-remove whatever is still there.
 */
async function leaveNothingBehind(
  cluster: DaemonProcesses,
  nodeIds: readonly string[],
  docker: Dockerode | null,
  interrupts: Interrupts,
): Promise<void> {
  const ids = new Set(nodeIds);
  const containers = async () => {
    if (docker === null) return [];
    const found = await Promise.all(
      [...ids].map((id) =>
        docker.listContainers({
          all: true,
          filters: { label: [`com.docker.swarm.node.id=${id}`] },
        }),
      ),
    );
    return found.flat();
  };
  const execTasks = () =>
    cluster.daemons.flatMap((daemon) => {
      try {
        return readdirSync(join(daemon.dataDir, 'exec', 'tasks'));
      } catch {
        return [];
      }
    });
  const live = cluster.daemons.filter((daemon) => daemon.child !== null);
  let manager: DaemonProcess | undefined;
  let services: string[] = [];
  const lines = (text: string) => text.split('\n').filter((line) => line !== '');
  for (const daemon of live) {
    const listed = await cluster.cli(daemon, ['service', 'ls', '--format', '{{.Name}}']);
    if (listed.code !== 0) continue;
    manager = daemon;
    services = lines(listed.stdout);
    break;
  }
  if (manager && services.length > 0) {
    heading('removing the services, waiting for their tasks, containers and processes to go');
    console.log(`$ shoal service rm ${services.join(' ')}`);
    const removed = await cluster.cli(manager, ['service', 'rm', ...services]);
    process.stdout.write(removed.stdout + removed.stderr);
    const at = manager;
    const started = Date.now();
    const gone = await waitFor(
      'the tasks, containers and processes to go',
      REMOVAL_TIMEOUT_MS,
      async () => {
        if (interrupts.hurried) return false;
        // The nodes as they are now (you may have added or removed some).
        const current = lines((await cluster.cli(at, ['node', 'ls', '-q'])).stdout);
        for (const id of current) ids.add(id);
        const tasks = await cluster.cli(at, ['node', 'ps', '-q', ...current]);
        if (tasks.code !== 0 || tasks.stdout.trim() !== '') return undefined;
        if ((await containers()).length > 0 || execTasks().length > 0) return undefined;
        return true;
      },
      250,
    ).catch((error: Error) => {
      console.error(error.message);
      return false;
    });
    if (gone) console.log(`(all gone ${Date.now() - started} ms after the removal)`);
  }
  if (live.length > 0) heading('stopping the daemons');
  await cluster.stop();
  // Whatever outlived the daemons: left by an interrupted or failed removal.
  let forced = 0;
  for (const container of await containers().catch(() => [])) {
    await docker?.getContainer(container.Id).remove({ force: true });
    forced++;
  }
  for (const daemon of cluster.daemons) {
    const stateDir = join(daemon.dataDir, 'exec');
    if (!existsSync(join(stateDir, 'tasks'))) continue;
    const driver = new ExecDriver({ stateDir });
    try {
      for (const task of await driver.list()) {
        await driver.remove(task.taskId);
        forced++;
      }
    } finally {
      await driver.close();
    }
  }
  if (forced > 0) console.log(`(force-removed ${forced} leftover containers or processes)`);
}

// Last: the constants and classes above are initialized by now.
if (process.argv.includes('raft')) {
  await import('./demo-raft.ts');
} else {
  await clusterDemo();
}
