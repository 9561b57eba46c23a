// What /proc says about a process, for the exec runtime: whether a PID is still the process a
// state file describes (same boot, same start time, not a zombie), since PIDs are reused.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z, T, ... */
  state: string;
  /** Process group. */
  pgrp: number;
  /** Clock ticks since boot when the process started (field 22). */
  startTicks: number;
}

/**
 * Parses /proc/PID/stat. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so the fields after it are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  // Fields from 3 (state) on.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTicks = Number(fields[19]);
  if (state === undefined || !Number.isInteger(pgrp) || !Number.isInteger(startTicks)) {
    return undefined;
  }
  return { state, pgrp, startTicks };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;

/** This boot's random ID: a state file from before a reboot names no live process. */
export function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown';
    }
  }
  return cachedBootId;
}

/** Whether `pid` is still the process that started at `startTicks` in boot `boot`, alive. */
export function isSameLiveProcess(pid: number, startTicks: number, boot: string): boolean {
  if (boot !== bootId()) return false;
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTicks === startTicks && stat.state !== 'Z';
}
