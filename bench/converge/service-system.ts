// The harness shared by Shoal and Docker Swarm: one service of N replicas created with the
// system's own CLI (`service create -d`), timed until N tasks report RUNNING through the
// system's API; then `service scale -d NAME=0`, timed until the engine holds no container of
// the service. Both are polled the same way (GET /tasks and GET /containers/json, one request
// after the other, every pollMs), so both figures carry the same resolution: one poll interval
// plus one request.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { TASK_STATES } from '../../src/store/index.ts';
import {
  type EngineApi,
  PhaseTimeoutError,
  remainingMs,
  secondsBetween,
  sleep,
  type TaskView,
} from './engine.ts';

/** A system that runs services: Shoal's manager, or a Docker Engine in swarm mode. */
export interface ServiceSystem {
  readonly name: 'shoal' | 'swarm';
  /** Starts the system and makes it a one-node swarm whose node is ready (not timed). */
  setUp(timeoutMs: number): Promise<void>;
  /** The manager's API, where services and tasks are read. */
  readonly api: EngineApi;
  /** The engine the tasks' containers run on. */
  readonly engine: EngineApi;
  /** `service create -d --name NAME --replicas N IMAGE COMMAND...` with the system's CLI. */
  create(spec: ServiceRun, timeoutMs: number): Promise<string>;
  /** `service scale -d NAME=REPLICAS` with the system's CLI. */
  scale(name: string, replicas: number, timeoutMs: number): Promise<void>;
  /** Throws if the system's process died (checked at every poll). */
  checkAlive(): void;
  /** Stops everything the system started and removes its containers; never throws. */
  tearDown(): Promise<void>;
  /** Kills its processes now, synchronously (on the way out of a Ctrl-C). */
  killNow(): void;
  /** Its log files, for error reports. */
  logFiles(): string[];
  /** CPU seconds (user + system) its own process used so far, where that means something. */
  cpuSeconds?(): number | null;
}

export interface ServiceRun {
  name: string;
  replicas: number;
  image: string;
  command: string[];
}

export interface MeasureOptions {
  pollMs: number;
  phaseTimeoutMs: number;
  log: (line: string) => void;
}

/** Seconds from the start of the phase to each milestone; null when it was never seen. */
export interface ConvergeMilestones {
  /** The create command returned (the service exists). */
  create_cli_s: number | null;
  /** N tasks wanted running exist. */
  tasks_created_s: number | null;
  /** N tasks wanted running are assigned to a node or further along. */
  all_assigned_s: number | null;
  first_running_s: number | null;
  half_running_s: number | null;
  /** N tasks wanted running report RUNNING: the figure. */
  all_running_s: number | null;
}

export interface ScaleMilestones {
  /** The scale command returned. */
  scale_cli_s: number | null;
  /** No task of the service reports RUNNING any more. */
  tasks_stopped_s: number | null;
  /** The engine holds no running container of the service. */
  containers_stopped_s: number | null;
  /** The engine holds no container of the service at all: the figure. */
  containers_gone_s: number | null;
}

export interface ServiceRound {
  service_id?: string;
  converge_s: number | null;
  scale0_s: number | null;
  /** Absent when the system could not be set up. */
  converge?: ConvergeMilestones & {
    polls: number;
    poll_errors: number;
    /** Tasks of the service seen at the end (more than N: some were replaced). */
    tasks_seen: number;
    /** Tasks seen failed or rejected, with their errors (at most 10 distinct). */
    tasks_failed: number;
    task_errors: string[];
    /** Running containers of the service on the engine once N tasks were running. */
    engine_running_containers: number | null;
    /** The machine's 1-minute load average when the phase started and ended (shared machine). */
    loadavg_1m: [number, number | null];
    /** CPU seconds the system's own process used during the phase (Shoal's daemon). */
    cpu_s?: number;
  };
  scale0?: ScaleMilestones & {
    polls: number;
    poll_errors: number;
    loadavg_1m: [number, number | null];
    cpu_s?: number;
  };
  error?: string;
}

/** Swarm's task states in order (the store's list); a task only ever moves forward. */
const STATES: readonly string[] = TASK_STATES;
const rank = (state: string) => STATES.indexOf(state);
const RANK_ASSIGNED = rank('assigned');
/**
 * Polls wait for their answer until the phase's deadline: a busy manager answers late, and a
 * poll given up early would still be served, adding to its load a request each interval.
 */
const CHECK_TIMEOUT_MS = 30_000;
const TASK_ERRORS_MAX = 10;

function emptyConverge(): NonNullable<ServiceRound['converge']> {
  return {
    create_cli_s: null,
    tasks_created_s: null,
    all_assigned_s: null,
    first_running_s: null,
    half_running_s: null,
    all_running_s: null,
    polls: 0,
    poll_errors: 0,
    tasks_seen: 0,
    tasks_failed: 0,
    task_errors: [],
    engine_running_containers: null,
    loadavg_1m: [load1(), null],
  };
}

function emptyScale(): NonNullable<ServiceRound['scale0']> {
  return {
    scale_cli_s: null,
    tasks_stopped_s: null,
    containers_stopped_s: null,
    containers_gone_s: null,
    polls: 0,
    poll_errors: 0,
    loadavg_1m: [load1(), null],
  };
}

export const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

/** CPU seconds the system's process uses from now until into() records them. */
function cpuMeter(system: ServiceSystem) {
  const before = system.cpuSeconds?.() ?? null;
  return {
    into(m: { cpu_s?: number }) {
      const after = system.cpuSeconds?.() ?? null;
      if (before !== null && after !== null) m.cpu_s = Math.round((after - before) * 100) / 100;
    },
  };
}

/** Sets `milestones[key]` the first time `reached` holds. */
function mark<T extends object>(milestones: T, key: keyof T, reached: boolean, seconds: number) {
  if (reached && milestones[key] === null) (milestones[key] as number) = seconds;
}

/** One round on a system that is set up: converge, then scale to 0. Never throws. */
export async function measureService(
  system: ServiceSystem,
  run: ServiceRun,
  opts: MeasureOptions,
): Promise<ServiceRound> {
  const result: ServiceRound = {
    converge_s: null,
    scale0_s: null,
    converge: emptyConverge(),
    scale0: emptyScale(),
  };
  try {
    const serviceId = await converge(system, run, opts, result);
    result.service_id = serviceId;
    opts.log(`${run.replicas} replicas running after ${result.converge_s} s`);
    await scaleToZero(system, run, serviceId, opts, result);
    opts.log(`scaled to 0, containers gone after ${result.scale0_s} s`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    opts.log(`FAILED: ${result.error}`);
  }
  return result;
}

async function converge(
  system: ServiceSystem,
  run: ServiceRun,
  opts: MeasureOptions,
  result: ServiceRound,
): Promise<string> {
  const m = result.converge!;
  m.loadavg_1m = [load1(), null];
  const cpu = cpuMeter(system);
  const start = performance.now();
  const deadline = start + opts.phaseTimeoutMs;
  const serviceId = await system.create(run, remainingMs(deadline));
  m.create_cli_s = secondsBetween(start, performance.now());
  try {
    result.converge_s = await pollUntilRunning(
      system,
      run,
      serviceId,
      { start, deadline },
      opts,
      m,
    );
  } finally {
    m.loadavg_1m[1] = load1();
    cpu.into(m);
    // A cross-check, not timed (after a timeout too): what the engine itself runs.
    const label = `com.docker.swarm.service.id=${serviceId}`;
    m.engine_running_containers = await system.engine
      .containers(label, CHECK_TIMEOUT_MS)
      .then((containers) => containers.filter((c) => c.State === 'running').length)
      .catch(() => null);
  }
  return serviceId;
}

/** Polls the service's tasks until N run; returns the seconds since `phase.start`. */
async function pollUntilRunning(
  system: ServiceSystem,
  run: ServiceRun,
  serviceId: string,
  phase: { start: number; deadline: number },
  opts: MeasureOptions,
  m: NonNullable<ServiceRound['converge']>,
): Promise<number> {
  const failed = new Set<string>();
  const errors = new Set<string>();
  let last = '';
  for (;;) {
    system.checkAlive();
    let tasks: TaskView[] | undefined;
    try {
      tasks = await system.api.tasks(serviceId, remainingMs(phase.deadline));
      m.polls++;
    } catch {
      m.poll_errors++;
    }
    const seconds = secondsBetween(phase.start, performance.now());
    if (tasks !== undefined) {
      for (const t of tasks) {
        if (t.Status.State !== 'failed' && t.Status.State !== 'rejected') continue;
        failed.add(t.ID);
        if (t.Status.Err && errors.size < TASK_ERRORS_MAX) errors.add(t.Status.Err);
      }
      m.tasks_seen = tasks.length;
      m.tasks_failed = failed.size;
      m.task_errors = [...errors];
      const wanted = tasks.filter((t) => t.DesiredState === 'running');
      const running = wanted.filter((t) => t.Status.State === 'running').length;
      const assigned = wanted.filter((t) => rank(t.Status.State) >= RANK_ASSIGNED).length;
      mark(m, 'tasks_created_s', wanted.length >= run.replicas, seconds);
      mark(m, 'all_assigned_s', assigned >= run.replicas, seconds);
      mark(m, 'first_running_s', running >= 1, seconds);
      mark(m, 'half_running_s', running >= Math.ceil(run.replicas / 2), seconds);
      last = `${running}/${run.replicas} running, ${assigned} assigned, ${tasks.length} tasks`;
      if (running >= run.replicas) {
        m.all_running_s = seconds;
        return seconds;
      }
    }
    if (performance.now() >= phase.deadline) {
      throw new PhaseTimeoutError(
        `${system.name}: ${run.replicas} replicas not running within ${opts.phaseTimeoutMs / 1000} s (last poll: ${last || 'none answered'}; ${m.poll_errors} polls failed)`,
      );
    }
    await sleep(opts.pollMs);
  }
}

async function scaleToZero(
  system: ServiceSystem,
  run: ServiceRun,
  serviceId: string,
  opts: MeasureOptions,
  result: ServiceRound,
): Promise<void> {
  const m = result.scale0!;
  m.loadavg_1m = [load1(), null];
  const cpu = cpuMeter(system);
  const start = performance.now();
  const deadline = start + opts.phaseTimeoutMs;
  await system.scale(run.name, 0, remainingMs(deadline));
  m.scale_cli_s = secondsBetween(start, performance.now());
  try {
    result.scale0_s = await pollUntilGone(system, serviceId, { start, deadline }, opts, m);
  } finally {
    m.loadavg_1m[1] = load1();
    cpu.into(m);
  }
}

/** Polls the engine (and the tasks) until no container of the service is left. */
async function pollUntilGone(
  system: ServiceSystem,
  serviceId: string,
  phase: { start: number; deadline: number },
  opts: MeasureOptions,
  m: NonNullable<ServiceRound['scale0']>,
): Promise<number> {
  const label = `com.docker.swarm.service.id=${serviceId}`;
  const { start, deadline } = phase;
  let last = '';
  for (;;) {
    system.checkAlive();
    const timeoutMs = remainingMs(deadline);
    const [tasks, containers] = await Promise.all([
      system.api.tasks(serviceId, timeoutMs).catch(() => undefined),
      system.engine.containers(label, timeoutMs).catch(() => undefined),
    ]);
    const seconds = secondsBetween(start, performance.now());
    if (tasks === undefined || containers === undefined) m.poll_errors++;
    else m.polls++;
    if (tasks !== undefined) {
      mark(m, 'tasks_stopped_s', !tasks.some((t) => t.Status.State === 'running'), seconds);
    }
    if (containers !== undefined) {
      const running = containers.filter((c) => c.State === 'running').length;
      mark(m, 'containers_stopped_s', running === 0, seconds);
      last = `${containers.length} containers left, ${running} running`;
      if (containers.length === 0) {
        m.containers_gone_s = seconds;
        return seconds;
      }
    }
    if (performance.now() >= deadline) {
      throw new PhaseTimeoutError(
        `${system.name}: containers of the service still there ${opts.phaseTimeoutMs / 1000} s after scaling to 0 (last poll: ${last || 'none answered'})`,
      );
    }
    await sleep(opts.pollMs);
  }
}
