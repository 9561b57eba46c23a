// `service logs SERVICE|TASK`, as docker's cli/command/service/logs.go: find the service (or,
// failing that, the task), then GET /services/{ref}/logs (or /tasks/{ref}/logs) with
// stdout=1&stderr=1[&since][&timestamps=1][&details=1][&follow=1]&tail=..., asking for details
// unless --raw because the line prefix is built from them. Frames go to stdout or stderr by
// their stream; TTY services only print raw.
import type { Node, Service, Task } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import {
  type Daemon,
  DaemonError,
  inspectService,
  inspectTask,
  isNotFound,
  type Query,
} from './api.ts';
import { parseGoDuration } from './flag-values.ts';
import {
  FrameDecoder,
  LogLineFormatter,
  type LogNameResolver,
  STREAM_STDERR,
  STREAM_SYSTEM_ERROR,
} from './log-stream.ts';

export interface LogsFlags {
  follow: boolean;
  tail: string;
  since?: string;
  timestamps: boolean;
  noTaskIds: boolean;
  noTrunc: boolean;
  noResolve: boolean;
  raw: boolean;
  details: boolean;
}

export interface LogsOutput {
  stdout(data: string | Uint8Array): void;
  stderr(data: string | Uint8Array): void;
}

/**
 * docker's timetypes.GetTimestamp for --since: a duration counts back from now (whole unix
 * seconds), a date or time becomes `seconds.nanoseconds`, a unix timestamp passes through.
 */
export function sinceTimestamp(value: string, nowMs: number): string {
  if (value !== '0') {
    try {
      return String(Math.floor((nowMs - parseGoDuration(value) / 1e6) / 1000));
    } catch {
      // Not a duration.
    }
  }
  const local = !/[zZ+]/.test(value) && (value.match(/-/g) ?? []).length !== 3;
  let text = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text = `${text}T00:00:00`;
  if (local && /T\d{2}$/.test(text)) text = `${text}:00`;
  const parsed = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isNaN(parsed)) {
    const fraction = /\.(\d{1,9})/.exec(text)?.[1] ?? '';
    const seconds = Math.floor(parsed / 1000);
    return `${seconds}.${fraction.padEnd(9, '0')}`;
  }
  if (value.includes('-') || !/^\d+(\.\d{1,9})?$/.test(value)) {
    throw new CliError(
      `invalid value for "since": failed to parse value as time or duration: "${value}"`,
    );
  }
  return value;
}

/** docker's idresolver for node and service names, and TaskInspect for slots and IDs. */
export function logNameResolver(daemon: Daemon, noResolve: boolean): LogNameResolver {
  const nodes = new Map<string, string>();
  const services = new Map<string, string>();
  return {
    async nodeName(nodeId) {
      if (noResolve || nodeId === '') return nodeId;
      if (!nodes.has(nodeId)) {
        try {
          const node = await daemon.call<Node>('GET', `/nodes/${encodeURIComponent(nodeId)}`);
          nodes.set(nodeId, node.Spec.Name || node.Description.Hostname || nodeId);
        } catch {
          nodes.set(nodeId, nodeId);
        }
      }
      return nodes.get(nodeId)!;
    },
    async serviceName(serviceId) {
      if (noResolve) return serviceId;
      if (!services.has(serviceId)) {
        try {
          const service = await inspectService(daemon, serviceId);
          services.set(serviceId, service.Spec.Name);
        } catch {
          services.set(serviceId, serviceId);
        }
      }
      return services.get(serviceId)!;
    },
    task: (taskId) => inspectTask(daemon, taskId),
  };
}

export async function runServiceLogs(
  daemon: Daemon,
  target: string,
  flags: LogsFlags,
  output: LogsOutput,
  nowMs: number,
): Promise<void> {
  let path: string;
  let tty: boolean;
  let padding = 1;
  try {
    const service: Service = await inspectService(daemon, target);
    path = `/services/${encodeURIComponent(target)}/logs`;
    tty = service.Spec.TaskTemplate.ContainerSpec?.TTY === true;
    const replicas = service.Spec.Mode.Replicated?.Replicas;
    if (replicas !== undefined) padding = String(replicas).length;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    let task: Task;
    try {
      task = await inspectTask(daemon, target);
    } catch (taskError) {
      if (isNotFound(taskError)) throw new CliError(`no such task or service: ${target}`);
      throw taskError;
    }
    path = `/tasks/${encodeURIComponent(target)}/logs`;
    tty = task.Spec.ContainerSpec?.TTY === true;
    padding = String(task.Slot ?? 0).length;
  }
  if (tty && !flags.raw) throw new CliError('tty service logs only supported with --raw');

  const query: Query = {
    stdout: '1',
    stderr: '1',
    since: flags.since ? sinceTimestamp(flags.since, nowMs) : undefined,
    timestamps: flags.timestamps ? '1' : undefined,
    details: flags.details || !flags.raw ? '1' : undefined,
    follow: flags.follow ? '1' : undefined,
    tail: flags.tail,
  };
  const stream = await daemon.stream(path, query);
  try {
    if (tty) {
      for await (const chunk of stream) output.stdout(chunk as Uint8Array);
      return;
    }
    const formatter = flags.raw
      ? undefined
      : new LogLineFormatter(logNameResolver(daemon, flags.noResolve), {
          timestamps: flags.timestamps,
          details: flags.details,
          noTaskIds: flags.noTaskIds,
          noTrunc: flags.noTrunc,
          padding,
        });
    const decoder = new FrameDecoder();
    for await (const chunk of stream) {
      for (const frame of decoder.push(chunk as Uint8Array)) {
        if (frame.stream === STREAM_SYSTEM_ERROR) {
          throw new CliError(`error from daemon in stream: ${frame.payload.toString('utf8')}`);
        }
        const write = frame.stream === STREAM_STDERR ? output.stderr : output.stdout;
        if (!formatter) {
          write(frame.payload);
          continue;
        }
        try {
          write(await formatter.format(frame.payload.toString('utf8')));
        } catch (error) {
          if (error instanceof DaemonError || error instanceof CliError) throw error;
          throw new CliError((error as Error).message);
        }
      }
    }
  } finally {
    stream.destroy();
  }
}
