// What a log request asks for, as it travels from the API to the leader (LogsRequest.query)
// and from the leader to the agents (SessionReply.log_subscriptions), and the checks both ends
// apply. Kept free of manager-only imports: the agent uses it too.

/** A log request as the API received it (Docker's query parameters, resolved to tasks). */
export interface LogsQuery {
  /** Services whose tasks' logs are wanted (IDs). */
  services: string[];
  /** Single tasks (IDs), for /tasks/{id}/logs. */
  tasks: string[];
  follow: boolean;
  /** Last N lines per task; -1: all. */
  tail: number;
  /** Unix seconds; 0: from the start. */
  since: number;
  stdout: boolean;
  stderr: boolean;
}

/** One subscription as an agent receives it: the tasks of its node to read. */
export interface LogSubscription {
  id: string;
  taskIds: string[];
  follow: boolean;
  tail: number;
  since: number;
  stdout: boolean;
  stderr: boolean;
}

export type LogSubscriptionMessage = LogSubscription | { id: string; cancel: true };

/** Bounds: tasks per subscription, lines per published message. */
export const MAX_TASKS_PER_SUBSCRIPTION = 1000;
export const MAX_LINES_PER_MESSAGE = 256;
export const MAX_LINE_BYTES = 64 * 1024;

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function parseLogsQuery(bytes: Uint8Array): LogsQuery {
  const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<LogsQuery>;
  if (!isStringArray(value.services) || !isStringArray(value.tasks)) {
    throw new Error('a logs query needs services and tasks arrays');
  }
  return {
    services: value.services.slice(0, MAX_TASKS_PER_SUBSCRIPTION),
    tasks: value.tasks.slice(0, MAX_TASKS_PER_SUBSCRIPTION),
    follow: value.follow === true,
    tail: Number.isSafeInteger(value.tail) ? (value.tail as number) : -1,
    since: typeof value.since === 'number' && Number.isFinite(value.since) ? value.since : 0,
    stdout: value.stdout !== false,
    stderr: value.stderr !== false,
  };
}

export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

export function parseSubscriptions(bytes: Uint8Array): LogSubscriptionMessage[] {
  if (bytes.length === 0) return [];
  const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  if (!Array.isArray(value)) throw new Error('log subscriptions must be an array');
  return value.filter(
    (entry): entry is LogSubscriptionMessage =>
      typeof entry === 'object' && entry !== null && typeof entry.id === 'string',
  );
}

/** A line as it travels (proto LogLine). */
export interface WireLogLine {
  taskId: string;
  serviceId: string;
  nodeId: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  time: string;
  data: Uint8Array;
}

export interface WireLogBatch {
  lines: WireLogLine[];
  warnings: string[];
}

export interface WirePublishRequest {
  subscriptionId: string;
  lines: WireLogLine[];
  done: boolean;
  error: string;
}
