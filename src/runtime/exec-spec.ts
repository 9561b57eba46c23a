// How the exec runtime reads a task's ContainerSpec, pure and unit-tested (the file system
// look-ups are passed in). The rules:
// - Image `exec:PROGRAM` names the program: an absolute path, or a bare name looked up in the
//   task's PATH (its Env's PATH, else DEFAULT_PATH). Relative paths with a slash are refused.
// - argv: ContainerSpec.Command replaces [PROGRAM] the way it replaces a container's
//   entrypoint, and Args follow: argv = [...(Command ?? [PROGRAM]), ...Args]. argv[0] is
//   resolved like PROGRAM (so with a Command, PROGRAM only documents what the service runs).
// - Environment: only PATH=DEFAULT_PATH and HOME (the user's home, else the working
//   directory), then ContainerSpec.Env, then RunSpec.env; later entries win, an entry without
//   "=" unsets the name. Nothing leaks from the agent's own environment.
// - User: "uid", "uid:gid", "name", "name:group" (names from /etc/passwd and /etc/group). A
//   uid with no group and no passwd entry runs with gid = uid, not Docker's 0: on the host,
//   group root opens files a task should not see. Supplementary groups are not set (dropped).
// - What a host process cannot honour is refused (RuntimeError, not retryable) rather than
//   ignored: Mounts, Devices, Privileged, CapabilityAdd/Drop, Sysctls, ReadOnly, Ulimits,
//   Groups, TTY, OpenStdin, Hosts, DNSConfig. Hostname and Init are ignored (a host process
//   keeps the host's name; the process group is killed as a whole).
// - Secrets and configs: the agent writes them in a private, memory-backed directory per kind
//   (RunSpec.files); the task finds them through SHOAL_SECRETS_DIR and SHOAL_CONFIGS_DIR, set
//   after every other variable, each file at its target there (a secret's target relative to
//   /run/secrets, an absolute target without its leading '/').
import { createHash } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { ContainerSpec, HealthConfig } from '../store/index.ts';
import { EXEC_IMAGE_PREFIX, type RunSpec, RuntimeError } from './driver.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The program an `exec:PROGRAM` image names. */
export function programOf(image: string): string {
  if (!image.startsWith(EXEC_IMAGE_PREFIX)) {
    throw new RuntimeError(`not an exec image: ${image} (expected exec:PROGRAM)`, false);
  }
  const program = image.slice(EXEC_IMAGE_PREFIX.length);
  if (program === '') throw new RuntimeError(`exec image names no program: ${image}`, false);
  return program;
}

/** ContainerSpec fields the exec runtime refuses, each with why. */
const UNSUPPORTED: [keyof ContainerSpec, string][] = [
  ['Mounts', 'a host process sees the host file system'],
  ['Devices', 'a host process sees the host devices'],
  ['Privileged', 'a host process has the privileges of its user'],
  ['CapabilityAdd', 'capabilities are those of the user'],
  ['CapabilityDrop', 'capabilities are those of the user'],
  ['Sysctls', 'a host process shares the host kernel settings'],
  ['ReadOnly', 'a host process shares the host file system'],
  ['Ulimits', 'limits are inherited from the agent'],
  ['Groups', 'supplementary groups cannot be set'],
  ['TTY', 'no terminal is allocated'],
  ['OpenStdin', 'stdin is not attached'],
  ['Hosts', 'a host process uses the host /etc/hosts'],
  ['DNSConfig', 'a host process uses the host resolver'],
];

function isUsed(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** The RuntimeError for the first field of `container` the exec runtime cannot honour. */
export function checkSupported(container: ContainerSpec): void {
  const used = UNSUPPORTED.filter(([field]) => isUsed(container[field]));
  if (used.length === 0) return;
  const names = used.map(([field]) => field).join(', ');
  throw new RuntimeError(
    `the exec runtime does not support ${names} (${used[0]![1]}); ` +
      'use a container image for that service',
    false,
  );
}

/** argv as documented in the header: [...(Command ?? [PROGRAM]), ...Args]. */
export function argvOf(container: ContainerSpec): string[] {
  const head =
    container.Command !== undefined && container.Command.length > 0
      ? container.Command
      : [programOf(container.Image)];
  return [...head, ...(container.Args ?? [])];
}

/** `name` with the environment entries applied in order ("K=V" sets, "K" unsets). */
export function applyEnv(base: Record<string, string>, entries: string[]): Record<string, string> {
  const env = { ...base };
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals === -1) delete env[entry];
    else if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

/** The variables naming a task's secret and config directories. */
export const SECRETS_DIR_ENV = 'SHOAL_SECRETS_DIR';
export const CONFIGS_DIR_ENV = 'SHOAL_CONFIGS_DIR';

/** The task's environment, per the header's rules. */
export function environmentOf(spec: RunSpec, home: string): Record<string, string> {
  const files = spec.files;
  return applyEnv({ PATH: DEFAULT_PATH, HOME: home }, [
    ...(spec.container.Env ?? []),
    ...(spec.env ?? []),
    ...(files
      ? [`${SECRETS_DIR_ENV}=${files.secretsDir}`, `${CONFIGS_DIR_ENV}=${files.configsDir}`]
      : []),
  ]);
}

/** A task that references secrets or configs runs only with the files the agent wrote. */
export function checkFiles(spec: RunSpec): void {
  const container = spec.container;
  const wanted = isUsed(container.Secrets) || isUsed(container.Configs);
  if (wanted && spec.files === undefined) {
    throw new RuntimeError(
      'the task references secrets or configs but the agent provided no files for them',
      false,
    );
  }
}

/**
 * The absolute path `program` runs as: itself when absolute, else the first directory of
 * `path` where `isExecutable` holds; undefined when none.
 */
export function resolveProgram(
  program: string,
  path: string,
  isExecutable: (candidate: string) => boolean,
): string | undefined {
  if (program.startsWith('/')) return isExecutable(program) ? program : undefined;
  if (program.includes('/')) {
    throw new RuntimeError(
      `exec program ${program} must be an absolute path or a name looked up in PATH`,
      false,
    );
  }
  for (const dir of path.split(':')) {
    if (!dir.startsWith('/')) continue; // empty or relative PATH entries would mean the cwd
    const candidate = `${dir.replace(/\/+$/, '')}/${program}`;
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.split(':');
    if (line.startsWith('#') || fields.length < 7) return [];
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) return [];
    return [{ name: fields[0]!, uid, gid, home: fields[5]! }];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.split(':');
    if (line.startsWith('#') || fields.length < 3) return [];
    const gid = Number(fields[2]);
    return Number.isInteger(gid) ? [{ name: fields[0]!, gid }] : [];
  });
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The passwd home directory, when the user has an entry. */
  home?: string;
}

const NUMERIC = /^\d+$/;

/** ContainerSpec.User per the header's rules; RuntimeError (not retryable) when unknown. */
export function resolveUser(
  user: string,
  passwd: PasswdEntry[],
  groups: GroupEntry[],
): ResolvedUser {
  const [userPart = '', groupPart] = user.split(':', 2);
  if (userPart === '') throw new RuntimeError(`invalid user "${user}"`, false);
  const entry = NUMERIC.test(userPart)
    ? passwd.find((p) => p.uid === Number(userPart))
    : passwd.find((p) => p.name === userPart);
  if (entry === undefined && !NUMERIC.test(userPart)) {
    throw new RuntimeError(
      `unable to find user ${userPart}: no matching entries in passwd file`,
      false,
    );
  }
  const uid = entry?.uid ?? Number(userPart);
  let gid = entry?.gid ?? uid;
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const group = groups.find((g) => g.name === groupPart);
      if (group === undefined) {
        throw new RuntimeError(
          `unable to find group ${groupPart}: no matching entries in group file`,
          false,
        );
      }
      gid = group.gid;
    }
  }
  const resolved: ResolvedUser = { uid, gid };
  if (entry !== undefined && entry.home !== '') resolved.home = entry.home;
  return resolved;
}

/** A stop signal as Docker accepts it ("SIGTERM", "TERM", "15", any case); default SIGTERM. */
export function parseSignal(text: string | undefined): NodeJS.Signals {
  if (text === undefined || text === '') return 'SIGTERM';
  const signals = osConstants.signals as Record<string, number>;
  if (NUMERIC.test(text)) {
    const number = Number(text);
    const name = Object.keys(signals).find((key) => signals[key] === number);
    if (name !== undefined) return name as NodeJS.Signals;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (signals[name] !== undefined) return name as NodeJS.Signals;
  }
  throw new RuntimeError(`invalid stop signal ${text}`, false);
}

/** The exit code a shell reports for a process killed by `signal` (128 + its number). */
export function exitCodeOfSignal(signal: NodeJS.Signals): number {
  return 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0);
}

export interface HealthPlan {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

const NANOS_PER_MS = 1e6;

/**
 * The healthcheck to run, with Docker's defaults (interval 30 s, timeout 30 s, start period 0,
 * 3 retries); undefined for none (no Test, an empty one, or NONE).
 */
export function healthPlanOf(config: HealthConfig | undefined): HealthPlan | undefined {
  const test = config?.Test;
  if (test === undefined || test.length === 0 || test[0] === 'NONE') return undefined;
  let argv: string[];
  if (test[0] === 'CMD') argv = test.slice(1);
  else if (test[0] === 'CMD-SHELL') argv = ['/bin/sh', '-c', test.slice(1).join(' ')];
  else throw new RuntimeError(`invalid healthcheck test ${JSON.stringify(test)}`, false);
  if (argv.length === 0 || argv[0] === '') {
    throw new RuntimeError('healthcheck test names no command', false);
  }
  const ms = (nanos: number | undefined, fallbackMs: number) =>
    nanos !== undefined && nanos > 0 ? Math.max(1, Math.round(nanos / NANOS_PER_MS)) : fallbackMs;
  return {
    argv,
    intervalMs: ms(config?.Interval, 30_000),
    timeoutMs: ms(config?.Timeout, 30_000),
    startPeriodMs: ms(config?.StartPeriod, 0),
    retries: config?.Retries !== undefined && config.Retries > 0 ? config.Retries : 3,
  };
}

/** JSON with sorted keys, for hashing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A digest of what the task runs, kept in its state file. */
export function specHash(spec: RunSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}

/** Task IDs name directories: nothing that could leave the state directory. */
export function assertTaskId(taskId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(taskId)) {
    throw new RuntimeError(`invalid task ID ${JSON.stringify(taskId)}`, false);
  }
}
