// `npm run bench -- mesh`: requests/s and p99 latency of HTTP through Shoal's routing mesh,
// against the same backends reached directly and through HAProxy 2.6 in tcp mode, measured
// with wrk on loopback in one run. The backends are the service's own tasks: nginx processes
// (exec runtime) that Shoal starts on one node; direct and HAProxy runs target their assigned
// ports. Prints a table and writes bench/results/mesh.json (mesh-remote.json with --remote,
// where the tasks run on a second node and the mesh reaches them through the tunnel).
//
// This machine's speed drifts a lot within a run (a shared VM: the same path can lose half its
// requests/s between rounds), so the three paths are run in rounds, each round in a rotated
// order, and the ratios reported are the medians of each round's own ratios: a pair measured
// seconds apart shares the machine's state of the moment. The proxies' CPU time per request
// (HAProxy's process, the Shoal daemon) is reported too, as a drift-free view of their cost.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../src/api/index.ts';
import type { Task } from '../../src/store/index.ts';
import {
  daemonsForTest,
  freePorts,
  killHard,
  makeTempDir,
  waitFor,
} from '../../src/testkit/index.ts';
import { cpuSeconds, median } from './cpu.ts';
import { parseWrk, type WrkResult } from './wrk.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const usage = `npm run bench -- mesh [options]
  --replicas N         nginx tasks behind the service (default 1)
  --duration-s N       each wrk run (default 5)
  --connections N      wrk connections (default 50)
  --threads N          wrk threads (default 1)
  --haproxy-threads N  HAProxy threads (default 1: the mesh runs one event loop)
  --rounds N           rounds of the three paths, order rotated; medians reported (default 5)
  --remote             tasks on a second node: the mesh reaches them through the tunnel
                       (mutual TLS, gRPC) instead of dialling them on its own node`;

const NGINX_CONF = `worker_processes 1;
pid PIDFILE;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path DIR/body;
  proxy_temp_path DIR/proxy;
  fastcgi_temp_path DIR/fastcgi;
  uwsgi_temp_path DIR/uwsgi;
  scgi_temp_path DIR/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:PORT;
    location / { return 200 "hello from the mesh bench\\n"; }
  }
}`;

/** The exec task's script: writes its nginx config for the port Shoal assigned, then runs it. */
function nginxScript(): string {
  const conf = NGINX_CONF.replaceAll('PIDFILE', '$D/nginx.pid')
    .replaceAll('DIR', '$D')
    .replaceAll('PORT', '$PORT');
  return `D=$(mktemp -d); cat > $D/nginx.conf <<EOF\n${conf}\nEOF\nexec /usr/sbin/nginx -c $D/nginx.conf -g 'daemon off;'`;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function wrk(url: string, opts: Options): WrkResult {
  const out = execFileSync(
    'wrk',
    [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency', url],
    { encoding: 'utf8' },
  );
  return parseWrk(out);
}

type Path = 'direct' | 'haproxy' | 'mesh';

interface Options {
  replicas: number;
  durationS: number;
  connections: number;
  threads: number;
  haproxyThreads: number;
  rounds: number;
  remote: boolean;
}

/** The loopback port Shoal assigned an exec task (nginx rewrites its own environ). */
function assignedPort(dataDir: string, taskId: string): number {
  const ports = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as Record<
    string,
    Record<string, number>
  >;
  const port = ports[taskId]?.['80'];
  if (port === undefined) throw new Error(`task ${taskId} has no assigned port`);
  return port;
}

async function withHaproxy<T>(
  backends: number[],
  threads: number,
  body: (port: number, pid: number) => Promise<T>,
): Promise<T> {
  const [port] = (await freePorts(1)) as [number];
  const dir = makeTempDir('shoal-bench-haproxy-');
  const config = [
    'global',
    `  nbthread ${threads}`,
    '  maxconn 8000',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend mesh',
    `  bind 127.0.0.1:${port}`,
    '  default_backend tasks',
    'backend tasks',
    '  balance roundrobin',
    ...backends.map((p, i) => `  server t${i} 127.0.0.1:${p}`),
  ].join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), `${config}\n`);
  const child = spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitFor('haproxy to listen', 10_000, async () => {
      try {
        execFileSync('curl', ['-sf', `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
        return true;
      } catch {
        return undefined;
      }
    });
    if (child.pid === undefined) throw new Error('haproxy did not start');
    return await body(port, child.pid);
  } finally {
    await killHard(child);
  }
}

/** One wrk run, with the CPU its proxy used per request (null for the direct path). */
interface Sample extends WrkResult {
  cpuUsPerRequest: number | null;
}

/** The sample with the median requests/s (its own p99 kept with it). */
function medianResult(samples: Sample[]): Sample {
  const sorted = [...samples].sort((x, y) => x.rps - y.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The median over rounds of `a`'s requests/s over `b`'s in the same round. */
function pairedRatio(a: Sample[], b: Sample[]): number {
  return Math.round(median(a.map((x, i) => x.rps / b[i]!.rps)) * 1000) / 1000;
}

function medianCpu(samples: Sample[]): number | null {
  const known = samples.flatMap((s) => (s.cpuUsPerRequest === null ? [] : [s.cpuUsPerRequest]));
  return known.length === 0 ? null : Math.round(median(known) * 10) / 10;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      replicas: { type: 'string' },
      'duration-s': { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      'haproxy-threads': { type: 'string' },
      rounds: { type: 'string' },
      remote: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const opts: Options = {
    replicas: positiveInt('replicas', values.replicas, 1),
    durationS: positiveInt('duration-s', values['duration-s'], 5),
    connections: positiveInt('connections', values.connections, 50),
    threads: positiveInt('threads', values.threads, 1),
    haproxyThreads: positiveInt('haproxy-threads', values['haproxy-threads'], 1),
    rounds: positiveInt('rounds', values.rounds, 5),
    remote: values.remote === true,
  };
  execFileSync(
    process.execPath,
    [join(root, 'scripts/setup.mjs'), '--apt', 'wrk,haproxy,nginx-light'],
    {
      stdio: 'inherit',
    },
  );
  const cleanups: (() => Promise<void>)[] = [];
  const after = (fn: () => Promise<void>) => cleanups.push(fn);
  try {
    const daemons = daemonsForTest(after, 'bench-mesh');
    daemons.daemonArgs = ['--docker', 'none'];
    const [clusterPort, workerPort, published] = (await freePorts(3)) as [number, number, number];
    const node = await daemons.add(1, clusterPort);
    await daemons.initSwarm(node, []);
    // With --remote the tasks run on a worker: the manager's published port reaches them
    // through the tunnel.
    let taskNode = node;
    if (opts.remote) {
      taskNode = await daemons.add(2, workerPort);
      const token = (await daemons.ok(node, ['swarm', 'join-token', '-q', 'worker'])).trim();
      const joined = await daemons.joinSwarm(taskNode, token, node.clusterAddr);
      if (joined.code !== 0) throw new Error(`swarm join: ${joined.stderr}`);
    }
    const api = new ApiClient({ socketPath: node.socket });
    after(async () => api.close());
    const created = await api.request('POST', '/services/create', {
      body: {
        Name: 'bench-web',
        TaskTemplate: {
          ContainerSpec: { Image: 'exec:/bin/sh', Args: ['-c', nginxScript()] },
          ...(opts.remote ? { Placement: { Constraints: ['node.role==worker'] } } : {}),
        },
        Mode: { Replicated: { Replicas: opts.replicas } },
        EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: published }] },
      },
    });
    if (created.status !== 201) throw new Error(`service create: ${created.text()}`);
    const serviceId = created.json<{ ID: string }>().ID;
    after(async () => {
      await api.request('DELETE', `/services/${serviceId}`);
      await waitFor('the bench tasks to stop', 30_000, async () => {
        const left = (await api.request('GET', '/tasks')).json<Task[]>();
        return left.every((t) => t.Status.State !== 'running') ? true : undefined;
      });
    });
    const tasks = await waitFor('the nginx tasks to run', 60_000, async () => {
      const list = (await api.request('GET', '/tasks')).json<Task[]>();
      const up = list.filter((t) => t.Status.State === 'running');
      return up.length === opts.replicas ? up : undefined;
    });
    const backends = tasks.map((task) => assignedPort(taskNode.dataDir, task.ID));
    const meshUrl = `http://127.0.0.1:${published}/`;
    await waitFor('the mesh to answer', 15_000, async () => {
      try {
        execFileSync('curl', ['-sf', meshUrl], { stdio: 'ignore' });
        return true;
      } catch {
        return undefined;
      }
    });
    console.log(`backends: ${backends.map((p) => `127.0.0.1:${p}`).join(', ')}`);
    // Warm-up, unmeasured.
    wrk(meshUrl, { ...opts, durationS: 2 });
    // Rounds interleave the three paths, so drift on a shared machine hits them alike;
    // medians are reported.
    const samples: Record<Path, Sample[]> = { direct: [], haproxy: [], mesh: [] };
    // The mesh's cost is that of every daemon on the path (both ends of the tunnel).
    const daemonPids = [...new Set([node, taskNode])].map((daemon) => {
      const pid = daemon.child?.pid;
      if (pid === undefined) throw new Error(`the Shoal daemon ${daemon.name} is not running`);
      return pid;
    });
    await withHaproxy(backends, opts.haproxyThreads, async (haproxyPort, haproxyPid) => {
      const runs: Record<Path, { url: string; pids: number[] }> = {
        direct: { url: `http://127.0.0.1:${backends[0]}/`, pids: [] },
        haproxy: { url: `http://127.0.0.1:${haproxyPort}/`, pids: [haproxyPid] },
        mesh: { url: meshUrl, pids: daemonPids },
      };
      const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
      const paths: Path[] = ['direct', 'haproxy', 'mesh'];
      for (let round = 1; round <= opts.rounds; round++) {
        const order = paths.map((_, i) => paths[(i + round - 1) % paths.length]!);
        for (const path of order) {
          const { url, pids } = runs[path];
          const cpuBefore = cpuOf(pids);
          const result = wrk(url, opts);
          const cpu = pids.length === 0 ? null : cpuOf(pids) - cpuBefore;
          const requests = result.rps * opts.durationS;
          const sample: Sample = {
            ...result,
            cpuUsPerRequest: cpu === null ? null : Math.round((cpu / requests) * 1e7) / 10,
          };
          samples[path].push(sample);
          const cost =
            sample.cpuUsPerRequest === null ? '' : `, ${sample.cpuUsPerRequest} CPU-us/req`;
          console.log(
            `round ${round} ${path.padEnd(8)} ${sample.rps} req/s, p99 ${sample.p99Ms} ms${cost}`,
          );
        }
      }
    });
    const direct = medianResult(samples.direct);
    const haproxy = medianResult(samples.haproxy);
    const mesh = medianResult(samples.mesh);
    const result = {
      direct_rps: direct.rps,
      haproxy_rps: haproxy.rps,
      shoal_userspace_rps: mesh.rps,
      shoal_kernel_rps: null,
      direct_p99_ms: direct.p99Ms,
      haproxy_p99_ms: haproxy.p99Ms,
      shoal_userspace_p99_ms: mesh.p99Ms,
      shoal_kernel_p99_ms: null,
      ratios: {
        userspace_vs_haproxy: pairedRatio(samples.mesh, samples.haproxy),
        userspace_vs_direct: pairedRatio(samples.mesh, samples.direct),
        kernel_vs_direct: null,
      },
      ratio_method: 'median over rounds of the ratio within each round',
      haproxy_cpu_us_per_request: medianCpu(samples.haproxy),
      shoal_userspace_cpu_us_per_request: medianCpu(samples.mesh),
      targets: { userspace_vs_haproxy: 0.8, kernel_vs_direct: 0.95 },
      kernel_path: 'none: this kernel has no IPVS, and Shoal has no nftables path yet',
      samples,
      config: {
        ...opts,
        backends: backends.length,
        haproxy_mode: 'tcp',
        mesh_path: opts.remote ? 'tunnel to another node' : 'local task',
      },
      machine: { cpus: cpus().length, node: process.version },
      at: new Date().toISOString(),
    };
    console.log('');
    console.log('path        req/s      p99 ms   vs HAProxy  vs direct  CPU-us/req');
    const row = (name: string, path: Path, r: Sample) =>
      console.log(
        `${name.padEnd(10)}  ${String(r.rps).padStart(9)}  ${String(r.p99Ms).padStart(7)}   ${String(pairedRatio(samples[path], samples.haproxy)).padStart(9)}  ${String(pairedRatio(samples[path], samples.direct)).padStart(9)}  ${String(medianCpu(samples[path]) ?? '-').padStart(10)}`,
      );
    row('direct', 'direct', direct);
    row('haproxy', 'haproxy', haproxy);
    row('shoal', 'mesh', mesh);
    console.log('(req/s and p99: the median run; ratios: the median of per-round ratios)');
    console.log('kernel      (none on this machine)');
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    const file = opts.remote ? 'mesh-remote.json' : 'mesh.json';
    writeFileSync(join(root, 'bench/results', file), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote bench/results/${file}`);
    return 0;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`clean-up: ${(error as Error).message}`);
      }
    }
  }
}
