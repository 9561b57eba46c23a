// The `exec` runtime: each task with an `exec:PROGRAM` image is a supervised host process
// (how the spec becomes a process: exec-spec.ts). Layout, under the driver's state directory:
//   tasks/<taskId>/state.json     pid, start time, boot ID, spec, exit (exec-state.ts)
//   tasks/<taskId>/stdout.fifo    the process's stdout and stderr (exec-output.ts)
//   tasks/<taskId>/stderr.fifo
//   tasks/<taskId>/output.log(.1) timestamped, rotating logs (exec-logs.ts)
//   tasks/<taskId>/work/          the working directory unless ContainerSpec.Dir names one
// A process is spawned detached (its own session and process group) with the FIFOs as stdout
// and stderr, so it outlives the agent; a driver started later finds it through its state
// file (list, inspect, start) and adopts it: it reads its output again, resumes its
// healthcheck and polls /proc for its end. Exit codes: when the driver spawned the process it
// is the parent and reports the real one (128 + signal number when killed by a signal, as
// Docker does); a process that ends while adopted, or while no agent ran, has an exit status
// nobody can know: exitCode -1 and error "exit status unknown: the process was adopted after
// an agent restart". stop() signals the whole process group (StopSignal, default SIGTERM, then
// SIGKILL after the grace period); when a process the driver spawned exits, what is left of
// its group is killed too, as Docker kills a container's processes with its init. Limits go
// through cgroup v2 where the host allows it (exec-cgroup.ts); healthchecks follow Docker's
// rules (exec-health.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type Health,
  type LogEntry,
  type LogOptions,
  type RunSpec,
  type RuntimeDriver,
  RuntimeError,
  type RuntimeStatus,
} from './driver.ts';
import { Cgroups } from './exec-cgroup.ts';
import { HealthMonitor, type ProbeContext } from './exec-health.ts';
import { type LogRecord, LogWriter, readAll, readSince, selectEntries } from './exec-logs.ts';
import { makeFifo, OutputPump, openFifoForProcess } from './exec-output.ts';
import { bootId, isSameLiveProcess, readProcStat } from './exec-proc.ts';
import {
  argvOf,
  assertTaskId,
  checkFiles,
  checkSupported,
  DEFAULT_PATH,
  environmentOf,
  exitCodeOfSignal,
  type HealthPlan,
  healthPlanOf,
  parseGroup,
  parsePasswd,
  parseSignal,
  type ResolvedUser,
  resolveProgram,
  resolveUser,
  specHash,
} from './exec-spec.ts';
import { type ExecTaskState, newState, readState, writeState } from './exec-state.ts';
import { errorText, type RuntimeLogger, silentLogger } from './logger.ts';
import { missingStatus, StatusListeners } from './status.ts';
import { formatRfc3339Nano } from './timestamps.ts';

export interface ExecDriverOptions {
  /** Where tasks' state, logs and default working directories live (created if missing). */
  stateDir: string;
  /** Size at which a task's log file rotates; a task keeps at most two. Default 4 MiB. */
  logFileBytesMax?: number;
  /** How often /proc is checked for the end of adopted processes. Default 500 ms. */
  pollIntervalMs?: number;
  /** The cgroup v2 mount for limits; null runs every task without limits. */
  cgroupRoot?: string | null;
  logger?: RuntimeLogger;
}

export const EXIT_UNKNOWN_ERROR =
  'exit status unknown: the process was adopted after an agent restart';
const DEFAULT_LOG_FILE_BYTES_MAX = 4 * 1024 * 1024;
/** How long stop() and remove() wait for a process to go after SIGKILL. */
const KILL_WAIT_MS = 10_000;
/** After its process exited, a task's output counts as complete this long after at the latest
 * (descendants that left the process group may keep the FIFOs open). */
const OUTPUT_DRAIN_MS = 1000;
/** How often a following logs() reader looks at the files when no write woke it. */
const FOLLOW_POLL_MS = 250;

interface Plan {
  argv: string[];
  program: string;
  env: Record<string, string>;
  workDir: string;
  defaultWorkDir: boolean;
  user?: ResolvedUser;
  health?: HealthPlan;
}

interface LiveTask {
  dir: string;
  state: ExecTaskState;
  /** Set when this driver spawned the process (it is the parent). */
  child?: ChildProcess;
  pollTimer?: NodeJS.Timeout;
  pumps: OutputPump[];
  log: LogWriter;
  health?: HealthMonitor;
  exited: Promise<void>;
  markExited: () => void;
  exitedAtMs?: number;
}

export class ExecDriver implements RuntimeDriver {
  readonly name = 'exec' as const;
  private readonly tasksDir: string;
  private readonly logFileBytesMax: number;
  private readonly pollIntervalMs: number;
  private readonly logger: RuntimeLogger;
  private readonly cgroups: Cgroups | undefined;
  private readonly listeners: StatusListeners;
  private readonly tasks = new Map<string, LiveTask>();
  private readonly starting = new Map<string, Promise<RuntimeStatus>>();
  /** Emits a task ID when its log files grew, to wake logs() followers. */
  private readonly written = new EventEmitter();
  private closed = false;

  constructor(options: ExecDriverOptions) {
    this.tasksDir = join(options.stateDir, 'tasks');
    this.logFileBytesMax = options.logFileBytesMax ?? DEFAULT_LOG_FILE_BYTES_MAX;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.logger = options.logger ?? silentLogger;
    const cgroupRoot = options.cgroupRoot === undefined ? '/sys/fs/cgroup' : options.cgroupRoot;
    this.cgroups = cgroupRoot === null ? undefined : new Cgroups(cgroupRoot, this.logger);
    this.listeners = new StatusListeners((error) =>
      this.logger.warn(`exec: a watch listener threw: ${errorText(error)}`),
    );
    this.written.setMaxListeners(0);
    mkdirSync(this.tasksDir, { recursive: true });
    // Traversable, so a task running as another user can reach its working directory.
    chmodSync(this.tasksDir, 0o711);
  }

  async prepare(spec: RunSpec): Promise<void> {
    this.assertOpen();
    assertTaskId(spec.taskId);
    this.plan(spec);
  }

  start(spec: RunSpec): Promise<RuntimeStatus> {
    this.assertOpen();
    assertTaskId(spec.taskId);
    const inFlight = this.starting.get(spec.taskId);
    if (inFlight !== undefined) return inFlight;
    const started = this.startOnce(spec).finally(() => this.starting.delete(spec.taskId));
    this.starting.set(spec.taskId, started);
    return started;
  }

  async inspect(taskId: string): Promise<RuntimeStatus> {
    this.assertOpen();
    assertTaskId(taskId);
    const task = this.load(taskId);
    return task === undefined ? missingStatus(taskId) : this.statusOf(task);
  }

  watch(listener: (status: RuntimeStatus) => void): () => void {
    this.assertOpen();
    return this.listeners.add(listener);
  }

  async stop(taskId: string, graceMs: number): Promise<void> {
    this.assertOpen();
    assertTaskId(taskId);
    const task = this.load(taskId);
    if (task === undefined || task.state.exitCode !== undefined) return;
    this.signal(task, parseSignal(task.state.spec.container.StopSignal));
    if (await this.waitForExit(task, Math.max(0, graceMs))) return;
    this.signal(task, 'SIGKILL');
    if (await this.waitForExit(task, KILL_WAIT_MS)) return;
    throw new RuntimeError(
      `task ${taskId} (pid ${task.state.pid}) did not exit within ${KILL_WAIT_MS} ms of SIGKILL`,
    );
  }

  async remove(taskId: string): Promise<void> {
    this.assertOpen();
    assertTaskId(taskId);
    const task = this.load(taskId);
    if (task !== undefined) {
      if (task.state.exitCode === undefined) {
        this.signal(task, 'SIGKILL');
        if (!(await this.waitForExit(task, KILL_WAIT_MS))) {
          throw new RuntimeError(`task ${taskId} (pid ${task.state.pid}) survived SIGKILL`);
        }
      }
      this.release(task);
      this.cgroups?.remove(task.state.cgroup);
    }
    this.tasks.delete(taskId);
    this.listeners.forget(taskId);
    rmSync(this.taskDir(taskId), { recursive: true, force: true, maxRetries: 3 });
  }

  async list(): Promise<RuntimeStatus[]> {
    this.assertOpen();
    let names: string[];
    try {
      names = readdirSync(this.tasksDir);
    } catch {
      return [];
    }
    const statuses: RuntimeStatus[] = [];
    for (const name of names) {
      try {
        assertTaskId(name);
        const task = this.load(name);
        if (task !== undefined) statuses.push(this.statusOf(task));
      } catch (error) {
        this.logger.warn(`exec: skipping unreadable task ${name}: ${errorText(error)}`);
      }
    }
    return statuses;
  }

  async *logs(taskId: string, options: LogOptions): AsyncIterable<LogEntry> {
    this.assertOpen();
    assertTaskId(taskId);
    const task = this.load(taskId);
    if (task === undefined) throw new RuntimeError(`no such task: ${taskId}`, false);
    const dir = task.dir;
    let read = readAll(dir);
    yield* selectEntries(read.entries, options);
    if (!options.follow) return;
    const sinceOnly: LogOptions = options.since === undefined ? {} : { since: options.since };
    for (;;) {
      if (options.signal?.aborted) return;
      // Decided before reading: once output is complete, this read has all of it.
      const complete = this.outputComplete(taskId);
      read = readSince(dir, read.position);
      yield* selectEntries(read.entries, sinceOnly);
      if (complete) return;
      await this.nextWrite(taskId, options.signal);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.tasks.values()) this.release(task);
    this.tasks.clear();
    this.listeners.clear();
    this.written.emit('closed');
    this.written.removeAllListeners();
  }

  // --- start ------------------------------------------------------------------------------

  private async startOnce(spec: RunSpec): Promise<RuntimeStatus> {
    const existing = this.load(spec.taskId);
    if (existing !== undefined) {
      // A task's spec never changes; a different one here means a caller bug, not a restart.
      if (existing.state.specHash !== specHash(spec)) {
        this.logger.warn(`exec: start() of existing task ${spec.taskId} with a different spec`);
      }
      return this.statusOf(existing);
    }
    const plan = this.plan(spec);
    const dir = this.taskDir(spec.taskId);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    try {
      return await this.spawnTask(spec, plan, dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private async spawnTask(spec: RunSpec, plan: Plan, dir: string): Promise<RuntimeStatus> {
    if (plan.defaultWorkDir) {
      mkdirSync(plan.workDir, { recursive: true, mode: 0o700 });
      if (plan.user !== undefined) chownSync(plan.workDir, plan.user.uid, plan.user.gid);
    }
    // The secret and config directories are the task's own: its user's, and nobody else's.
    for (const filesDir of spec.files ? [spec.files.secretsDir, spec.files.configsDir] : []) {
      chmodSync(filesDir, 0o700);
      if (plan.user !== undefined) chownSync(filesDir, plan.user.uid, plan.user.gid);
    }
    const fifos = { stdout: join(dir, 'stdout.fifo'), stderr: join(dir, 'stderr.fifo') };
    makeFifo(fifos.stdout);
    makeFifo(fifos.stderr);
    const log = new LogWriter(dir, this.logFileBytesMax);
    const sink = (records: LogRecord[]) => this.appendLog(spec.taskId, log, records);
    const stdoutFd = openFifoForProcess(fifos.stdout);
    const stderrFd = openFifoForProcess(fifos.stderr);
    let child: ChildProcess;
    const pumps: OutputPump[] = [];
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let onExit: (() => void) | undefined;
    try {
      child = spawn(plan.program, plan.argv.slice(1), {
        argv0: plan.argv[0],
        cwd: plan.workDir,
        env: plan.env,
        uid: plan.user?.uid,
        gid: plan.user?.gid,
        detached: true,
        stdio: ['ignore', stdoutFd, stderrFd],
      });
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        onExit?.();
      });
      // Opened while this process still holds a writer, so output of a process that exits at
      // once is still in the pipes.
      pumps.push(this.pump(spec.taskId, fifos.stdout, 'stdout', sink));
      pumps.push(this.pump(spec.taskId, fifos.stderr, 'stderr', sink));
    } catch (error) {
      for (const pump of pumps) pump.close();
      log.close();
      throw new RuntimeError(`starting ${plan.argv[0]}: ${(error as Error).message}`);
    } finally {
      closeSync(stdoutFd);
      closeSync(stderrFd);
    }
    try {
      await once(child, 'spawn');
    } catch (error) {
      for (const pump of pumps) pump.close();
      log.close();
      throw new RuntimeError(this.spawnErrorMessage(plan, error as NodeJS.ErrnoException), false);
    }
    child.unref();
    // Later errors (a failed kill) must not become uncaught 'error' events.
    child.on('error', (error) =>
      this.logger.warn(`exec: task ${spec.taskId} process: ${errorText(error)}`),
    );
    const pid = child.pid!;
    const state = newState({
      taskId: spec.taskId,
      runtimeId: randomBytes(32).toString('hex'),
      spec,
      specHash: specHash(spec),
      pid,
      startTicks: readProcStat(pid)?.startTicks ?? -1,
      bootId: bootId(),
      startedAt: formatRfc3339Nano(),
      workDir: plan.workDir,
      health: plan.health === undefined ? 'none' : 'starting',
    });
    const cgroup = this.cgroups?.limit(spec.taskId, pid, spec.resources);
    if (cgroup !== undefined) state.cgroup = cgroup;
    writeState(dir, state);
    const task = this.liveTask(dir, state, log, pumps);
    task.child = child;
    this.tasks.set(spec.taskId, task);
    onExit = () => this.onChildExit(task, exit!.code, exit!.signal);
    if (plan.health !== undefined) this.startHealth(task, plan.health, this.probeContext(plan));
    const status = this.statusOf(task);
    this.listeners.emit(status);
    if (exit !== undefined) onExit();
    return status;
  }

  private spawnErrorMessage(plan: Plan, error: NodeJS.ErrnoException): string {
    const program = plan.argv[0];
    if (error.code === 'EACCES' || error.code === 'ENOENT') {
      const who = plan.user === undefined ? '' : ` as uid ${plan.user.uid}`;
      return (
        `starting ${program}${who}: ${error.code}: ${plan.program} or working directory ` +
        `${plan.workDir} is not accessible${plan.defaultWorkDir ? ' (the state directory must be traversable)' : ''}`
      );
    }
    return `starting ${program}: ${error.message}`;
  }

  // --- plans ------------------------------------------------------------------------------

  /** What running `spec` means here; RuntimeError when it cannot run. */
  private plan(spec: RunSpec): Plan {
    const container = spec.container;
    checkSupported(container);
    checkFiles(spec);
    const argv = argvOf(container);
    parseSignal(container.StopSignal);
    const health = healthPlanOf(container.Healthcheck);
    const user = container.User ? this.resolveUser(container.User) : undefined;
    const defaultWorkDir = !container.Dir;
    const workDir = container.Dir || join(this.taskDir(spec.taskId), 'work');
    if (!defaultWorkDir) checkDirectory(workDir);
    const env = environmentOf(spec, user?.home ?? workDir);
    const program = resolveProgram(argv[0]!, env.PATH ?? DEFAULT_PATH, isExecutableFile);
    if (program === undefined) {
      throw new RuntimeError(`exec program not found: ${argv[0]} (image ${container.Image})`);
    }
    const plan: Plan = { argv, program, env, workDir, defaultWorkDir };
    if (user !== undefined) plan.user = user;
    if (health !== undefined) plan.health = health;
    return plan;
  }

  private resolveUser(user: string): ResolvedUser {
    const read = (path: string) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    };
    const resolved = resolveUser(
      user,
      parsePasswd(read('/etc/passwd')),
      parseGroup(read('/etc/group')),
    );
    const ownUid = process.getuid?.();
    if (ownUid !== 0 && (resolved.uid !== ownUid || resolved.gid !== process.getgid?.())) {
      throw new RuntimeError(
        `running an exec task as user ${user} needs an agent running as root`,
        false,
      );
    }
    return resolved;
  }

  private probeContext(plan: Plan): ProbeContext {
    const context: ProbeContext = { env: plan.env, cwd: plan.workDir };
    if (plan.user !== undefined) {
      context.uid = plan.user.uid;
      context.gid = plan.user.gid;
    }
    return context;
  }

  // --- adoption and exits -----------------------------------------------------------------

  /** The task, adopting it from its state file when this driver does not know it yet. */
  private load(taskId: string): LiveTask | undefined {
    const known = this.tasks.get(taskId);
    if (known !== undefined) return known;
    if (this.closed) return undefined;
    const dir = this.taskDir(taskId);
    const state = readState(dir);
    if (state === undefined) return undefined;
    const log = new LogWriter(dir, this.logFileBytesMax);
    const task = this.liveTask(dir, state, log, []);
    this.tasks.set(taskId, task);
    if (state.exitCode !== undefined) {
      task.markExited();
    } else if (!isSameLiveProcess(state.pid, state.startTicks, state.bootId)) {
      this.finish(task, -1, EXIT_UNKNOWN_ERROR);
    } else {
      this.adopt(task);
    }
    this.listeners.seen(this.statusOf(task));
    return task;
  }

  private adopt(task: LiveTask): void {
    const { taskId } = task.state;
    const sink = (records: LogRecord[]) => this.appendLog(taskId, task.log, records);
    for (const stream of ['stdout', 'stderr'] as const) {
      try {
        task.pumps.push(this.pump(taskId, join(task.dir, `${stream}.fifo`), stream, sink));
      } catch (error) {
        this.logger.warn(`exec: cannot read the ${stream} of task ${taskId}: ${errorText(error)}`);
      }
    }
    task.pollTimer = setInterval(() => this.checkAdopted(task), this.pollIntervalMs);
    task.pollTimer.unref();
    const healthPlan = healthPlanOf(task.state.spec.container.Healthcheck);
    if (healthPlan === undefined) return;
    try {
      const plan = this.plan(task.state.spec);
      plan.workDir = task.state.workDir;
      this.startHealth(task, healthPlan, this.probeContext(plan));
    } catch (error) {
      this.logger.warn(
        `exec: cannot resume the healthcheck of task ${taskId}: ${errorText(error)}`,
      );
    }
  }

  private checkAdopted(task: LiveTask): void {
    const s = task.state;
    if (s.exitCode !== undefined || task.child !== undefined) return;
    if (!isSameLiveProcess(s.pid, s.startTicks, s.bootId))
      this.finish(task, -1, EXIT_UNKNOWN_ERROR);
  }

  private onChildExit(task: LiveTask, code: number | null, signal: NodeJS.Signals | null): void {
    if (task.state.exitCode !== undefined) return;
    const exitCode = code ?? (signal === null ? -1 : exitCodeOfSignal(signal));
    const oom = signal === 'SIGKILL' && this.cgroups?.oomKilled(task.state.cgroup) === true;
    // Whatever the process left in its group goes with it.
    this.signalGroup(task.state.pid, 'SIGKILL');
    this.finish(task, exitCode, oom ? 'OOM killed' : undefined);
  }

  private finish(task: LiveTask, exitCode: number, error: string | undefined): void {
    const s = task.state;
    s.exitCode = exitCode;
    s.finishedAt = formatRfc3339Nano();
    if (error !== undefined) s.error = error;
    task.health?.stop();
    clearInterval(task.pollTimer);
    task.exitedAtMs = Date.now();
    this.persist(task);
    task.markExited();
    this.listeners.emit(this.statusOf(task));
    this.written.emit(s.taskId);
  }

  // --- signals ----------------------------------------------------------------------------

  private signal(task: LiveTask, signal: NodeJS.Signals): void {
    const s = task.state;
    if (s.exitCode !== undefined) return;
    // An adopted PID is signalled only while it is still the same process.
    if (task.child === undefined && !isSameLiveProcess(s.pid, s.startTicks, s.bootId)) return;
    this.signalGroup(s.pid, signal);
  }

  /** Signals the process group led by `pid` (the process alone if the group is not allowed). */
  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') return;
      try {
        process.kill(pid, signal);
      } catch {
        // Gone.
      }
    }
  }

  private async waitForExit(task: LiveTask, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (task.state.exitCode === undefined) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        task.exited,
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.min(remaining, 50));
        }),
      ]);
      clearTimeout(timer);
      this.checkAdopted(task);
    }
    return true;
  }

  // --- health, logs, bookkeeping ----------------------------------------------------------

  private startHealth(task: LiveTask, plan: HealthPlan, context: ProbeContext): void {
    const initial = task.state.health === 'none' ? 'starting' : task.state.health;
    task.health = new HealthMonitor({
      plan,
      context,
      startedAtMs: Date.parse(task.state.startedAt),
      initial,
      onChange: (status: Health) => {
        if (task.state.exitCode !== undefined || this.closed) return;
        task.state.health = status;
        this.persist(task);
        this.listeners.emit(this.statusOf(task));
      },
    });
  }

  private pump(
    taskId: string,
    path: string,
    stream: 'stdout' | 'stderr',
    sink: (records: LogRecord[]) => void,
  ): OutputPump {
    const pump = new OutputPump(path, stream, sink, (error) =>
      this.logger.warn(`exec: reading the ${stream} of task ${taskId}: ${errorText(error)}`),
    );
    // Followers wait for the end of output to end themselves.
    void pump.done.then(() => this.written.emit(taskId));
    return pump;
  }

  private appendLog(taskId: string, log: LogWriter, records: LogRecord[]): void {
    try {
      log.append(records);
    } catch (error) {
      this.logger.warn(`exec: writing the log of task ${taskId}: ${errorText(error)}`);
    }
    this.written.emit(taskId);
  }

  /** Whether everything the task will ever write is in its log files. */
  private outputComplete(taskId: string): boolean {
    const task = this.tasks.get(taskId);
    if (task === undefined) return true;
    if (task.state.exitCode === undefined) return false;
    if (task.pumps.every((pump) => pump.finished)) return true;
    return Date.now() - (task.exitedAtMs ?? 0) > OUTPUT_DRAIN_MS;
  }

  /** Resolves on the task's next log write, after FOLLOW_POLL_MS, or on abort. */
  private nextWrite(taskId: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.written.off(taskId, done);
        this.written.off('closed', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, FOLLOW_POLL_MS);
      this.written.on(taskId, done);
      this.written.on('closed', done);
      signal?.addEventListener('abort', done);
    });
  }

  private liveTask(
    dir: string,
    state: ExecTaskState,
    log: LogWriter,
    pumps: OutputPump[],
  ): LiveTask {
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    return { dir, state, log, pumps, exited, markExited };
  }

  private statusOf(task: LiveTask): RuntimeStatus {
    const s = task.state;
    const status: RuntimeStatus = {
      taskId: s.taskId,
      phase: s.exitCode === undefined ? 'running' : 'exited',
      runtimeId: s.runtimeId,
      health: s.health,
      startedAt: s.startedAt,
    };
    if (s.exitCode === undefined) status.pid = s.pid;
    else {
      status.exitCode = s.exitCode;
      if (s.finishedAt !== undefined) status.finishedAt = s.finishedAt;
    }
    if (s.error !== undefined) status.error = s.error;
    return status;
  }

  private persist(task: LiveTask): void {
    try {
      writeState(task.dir, task.state);
    } catch (error) {
      this.logger.warn(`exec: writing the state of task ${task.state.taskId}: ${errorText(error)}`);
    }
  }

  /** Lets go of a task's handles; its process keeps running. */
  private release(task: LiveTask): void {
    task.health?.stop();
    clearInterval(task.pollTimer);
    for (const pump of task.pumps) pump.close();
    task.log.close();
    task.child?.removeAllListeners('exit');
  }

  private taskDir(taskId: string): string {
    return join(this.tasksDir, taskId);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('ExecDriver is closed');
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function checkDirectory(path: string): void {
  if (!path.startsWith('/')) {
    throw new RuntimeError(`working directory ${path} is not an absolute path`, false);
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isDirectory) throw new RuntimeError(`working directory ${path} does not exist`);
}
