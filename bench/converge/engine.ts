// What the converge benchmark asks of a Docker Engine API server (a Docker Engine, or a Shoal
// manager, which serves the same swarm endpoints): tasks of a service, containers by label;
// plus commands run with a deadline and the phase deadline itself. One client shape for every
// system, so that Shoal, Swarm and the raw baseline are observed the same way.
import { spawn } from 'node:child_process';
import { ApiClient } from '../../src/api/index.ts';

/** A phase that did not finish within its deadline. */
export class PhaseTimeoutError extends Error {
  override readonly name = 'PhaseTimeoutError';
}

/** Milliseconds left before `deadline` (a performance.now() value), at least 1. */
export function remainingMs(deadline: number): number {
  return Math.max(1, Math.round(deadline - performance.now()));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds with millisecond precision, from two performance.now() values. */
export const secondsBetween = (start: number, end: number) => Math.round(end - start) / 1000;

/** The fields of a task (Docker's and Shoal's shape alike) the benchmark reads. */
export interface TaskView {
  ID: string;
  DesiredState: string;
  Status: { State: string; Err?: string };
}

export interface ContainerView {
  Id: string;
  State: string;
}

/** Requests to one Engine API socket; each bounded by `timeoutMs`. */
export class EngineApi {
  private readonly client: ApiClient;

  constructor(readonly socketPath: string) {
    this.client = new ApiClient({ socketPath });
  }

  /** Every task of the service (its history included), as the server lists them. */
  async tasks(serviceId: string, timeoutMs: number): Promise<TaskView[]> {
    const response = await this.client.get('/tasks', {
      query: { filters: JSON.stringify({ service: [serviceId] }) },
      timeoutMs,
    });
    return ok(response, 'GET /tasks').json<TaskView[]>();
  }

  /** Containers, stopped ones included, carrying `label` (`key` or `key=value`). */
  async containers(label: string, timeoutMs: number): Promise<ContainerView[]> {
    const response = await this.client.get('/containers/json', {
      query: { all: 1, filters: JSON.stringify({ label: [label] }) },
      timeoutMs,
    });
    return ok(response, 'GET /containers/json').json<ContainerView[]>();
  }

  /** Force-removes every container carrying `label`; returns how many there were. */
  async removeContainers(label: string, timeoutMs: number): Promise<number> {
    const found = await this.containers(label, timeoutMs);
    await Promise.all(
      found.map((c) =>
        this.client.delete(`/containers/${c.Id}`, { query: { force: 1, v: 1 }, timeoutMs }),
      ),
    );
    return found.length;
  }

  async json<T>(path: string, timeoutMs: number): Promise<T> {
    return ok(await this.client.get(path, { timeoutMs }), `GET ${path}`).json<T>();
  }

  async delete(path: string, timeoutMs: number): Promise<number> {
    return (await this.client.delete(path, { timeoutMs })).status;
  }

  close(): void {
    this.client.close();
  }
}

function ok<T extends { status: number; text(): string }>(response: T, what: string): T {
  if (response.status >= 200 && response.status < 300) return response;
  throw new Error(`${what}: HTTP ${response.status}: ${response.text().trim()}`);
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command and collects its output; SIGKILLs it after `timeoutMs` (reported as a
 * PhaseTimeoutError). Rejects when it cannot start.
 */
export function runCommand(
  command: string,
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new PhaseTimeoutError(
            `\`${[command, ...args].join(' ')}\` did not finish within ${timeoutMs} ms`,
          ),
        );
      } else {
        resolve({ code: code ?? -1, stdout, stderr });
      }
    });
  });
}

/** Runs a command that must exit 0; returns its trimmed standard output. */
export async function runOk(
  command: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const result = await runCommand(command, args, timeoutMs, env);
  if (result.code !== 0) {
    throw new Error(
      `\`${[command, ...args].join(' ')}\` exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout.trim();
}
