// The state file of an exec task (`<stateDir>/tasks/<taskId>/state.json`): what a driver needs
// to find the process again after an agent restart, and what it learned since (exit, health).
// Written whole to a temporary file and renamed over the old one, so a crash leaves either the
// old or the new state, never half of one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Health, RunSpec } from './driver.ts';

export const STATE_FILE = 'state.json';
const STATE_VERSION = 1;

export interface ExecTaskState {
  version: number;
  taskId: string;
  /** The handle reported as RuntimeStatus.runtimeId. */
  runtimeId: string;
  spec: RunSpec;
  specHash: string;
  pid: number;
  /** /proc/PID/stat start time (clock ticks since boot); with bootId it tells PID reuse apart. */
  startTicks: number;
  bootId: string;
  /** RFC 3339. */
  startedAt: string;
  workDir: string;
  /** The task's cgroup, when it has limits. */
  cgroup?: string;
  health: Health;
  exitCode?: number;
  finishedAt?: string;
  error?: string;
}

export function writeState(dir: string, state: ExecTaskState): void {
  const path = join(dir, STATE_FILE);
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The task's state, or undefined when it has none (never started, or a torn start). */
export function readState(dir: string): ExecTaskState | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as ExecTaskState;
  if (state.version !== STATE_VERSION) {
    throw new Error(
      `${join(dir, STATE_FILE)}: state version ${state.version} is not ${STATE_VERSION}`,
    );
  }
  return state;
}

export function newState(fields: Omit<ExecTaskState, 'version'>): ExecTaskState {
  return { version: STATE_VERSION, ...fields };
}
