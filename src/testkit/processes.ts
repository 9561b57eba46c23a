// Child processes, temp dirs, ports and polling shared by integration tests, the demo and the
// benchmarks. Every child started here is registered so that it is killed, and its data
// removed, on every way out: a normal end, a thrown error, Ctrl-C or SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Starts `command` with stdout and stderr appended to `logFile` (kept for diagnostics). */
export function spawnLogged(
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  // A file descriptor rather than a pipe: the child's output never passes through (or blocks
  // on) this process's event loop, which is busy measuring latencies.
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], env });
    live.add(child);
    // Without a listener a failed spawn (ENOENT) would throw from the event loop.
    child.once('error', () => live.delete(child));
    child.once('exit', () => live.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGKILLs `child` now (synchronously) and resolves once it has exited. */
export function killHard(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (hasExited(child) || child.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms of SIGKILL`)),
      timeoutMs,
    );
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  child.kill('SIGKILL');
  return exited;
}

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) {
    // Retries: a just-killed child may still be closing files in it.
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    tempDirs.delete(dir);
  }
}

/** On Ctrl-C, SIGTERM or any exit: kill every child and remove the temp dirs. */
export function installCleanupHandlers(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping every process the benchmark started`);
    killAllNow();
    removeTempDirs();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAllNow);
}

/** `count` distinct free TCP ports on 127.0.0.1 (held together so none is handed out twice). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port assigned');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined; fails after
 * `timeoutMs`. `check` throws to give up at once (e.g. the process being waited on exited).
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The last `lines` lines of a log file, for error reports. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

/**
 * One line describing any thrown value, gRPC errors included, without the per-call timings and
 * addresses grpc-js appends ("Deadline exceeded after 0.250s,remote_addr=..."), so that errors
 * of one kind are counted together.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const text =
    code === undefined ? `${err.name}: ${err.message}` : `${err.name}[${code}]: ${err.message}`;
  return text.replace(/ after \d+(\.\d+)?s\b.*$/, '');
}
