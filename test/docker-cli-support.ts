// Runs the stock docker CLI (/usr/local/bin/docker) against a Shoal daemon, for the Docker API
// conformance tests. Each run has its own DOCKER_CONFIG (no user config or contexts leak in),
// a hard time limit, and collects what it printed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CliResult, DaemonProcess } from '../src/testkit/index.ts';
import { makeTempDir } from '../src/testkit/index.ts';

export const DOCKER_CLI = '/usr/local/bin/docker';
const RUN_TIMEOUT_MS = 120_000;

export function dockerCliAvailable(): boolean {
  return existsSync(DOCKER_CLI);
}

export interface DockerRunOptions {
  input?: string;
  env?: Record<string, string>;
  /** The daemon address, when not the daemon's unix socket (e.g. tcp://... for TLS). */
  host?: string;
  /** The working directory (compose files name their secret files relative to it). */
  cwd?: string;
}

export class DockerCli {
  private readonly config = makeTempDir('shoal-docker-config-');

  /** Runs `docker args...` against `daemon`; never throws for a non-zero exit. */
  run(daemon: DaemonProcess | null, args: string[], options: DockerRunOptions = {}) {
    const host = options.host ?? (daemon ? `unix://${daemon.socket}` : undefined);
    return new Promise<CliResult>((resolve, reject) => {
      const child = spawn(DOCKER_CLI, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: this.config,
          DOCKER_CONFIG: this.config,
          DOCKER_CLI_HINTS: 'false',
          ...(host ? { DOCKER_HOST: host } : {}),
          ...options.env,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(options.input ?? '');
    });
  }

  /** Runs a command that must exit 0; returns its standard output. */
  async ok(daemon: DaemonProcess | null, args: string[], options: DockerRunOptions = {}) {
    const result = await this.run(daemon, args, options);
    if (result.code !== 0) {
      throw new Error(
        `docker ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
      );
    }
    return result.stdout;
  }

  /** Runs a command that must fail; returns what it printed. */
  async fails(daemon: DaemonProcess | null, args: string[], options: DockerRunOptions = {}) {
    const result = await this.run(daemon, args, options);
    if (result.code === 0) {
      throw new Error(`docker ${args.join(' ')} succeeded but should fail: ${result.stdout}`);
    }
    return result;
  }

  /**
   * Starts a long-running command (`docker events`, `logs -f`) and hands its output lines as
   * they come; `stop()` kills it and resolves when it exited.
   */
  stream(daemon: DaemonProcess, args: string[]) {
    const child = spawn(DOCKER_CLI, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.config,
        DOCKER_CONFIG: this.config,
        DOCKER_HOST: `unix://${daemon.socket}`,
      },
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    return {
      lines: () => output.split('\n').filter((line) => line !== ''),
      errors: () => errors,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  }
}
