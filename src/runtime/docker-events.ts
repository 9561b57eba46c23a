// The one `docker events` stream a DockerDriver keeps while someone watches: container events
// of swarm tasks (label com.docker.swarm.task.id) that change what watch() reports. The stream
// is newline-delimited JSON; when it breaks it is opened again after a delay that doubles up to
// a bound, and every (re)connection is followed by `onConnected` so the driver can compare
// its tasks with what it reported last (events missed while disconnected are not replayed).
import type Dockerode from 'dockerode';
import { errorText, type RuntimeLogger } from './logger.ts';

export const TASK_ID_LABEL = 'com.docker.swarm.task.id';
export const NODE_ID_LABEL = 'com.docker.swarm.node.id';

/** The container events that can change a task's phase or health. */
export const WATCHED_ACTIONS = ['create', 'start', 'die', 'oom', 'health_status', 'destroy'];

export interface ContainerEvent {
  containerId: string;
  taskId: string;
  action: string;
}

export interface EventStreamOptions {
  onEvent: (event: ContainerEvent) => void;
  onConnected: () => void;
  logger: RuntimeLogger;
  /** More label filters ("key=value"), all of which an event's container must carry. */
  labels?: string[];
  reconnectDelayMinMs?: number;
  reconnectDelayMaxMs?: number;
}

/** While the engine stays unreachable, one warning per this many attempts. */
const WARN_EVERY_FAILURES = 30;

/** A line of the event stream longer than this is not an event; the stream is reopened. */
const EVENT_LINE_BYTES_MAX = 256 * 1024;

/** Parses one line of the event stream; undefined for anything but a task container event. */
export function parseEventLine(line: string): ContainerEvent | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as {
    Type?: unknown;
    Action?: unknown;
    Actor?: { ID?: unknown; Attributes?: Record<string, unknown> };
  };
  if (m.Type !== 'container' || typeof m.Action !== 'string') return undefined;
  const containerId = m.Actor?.ID;
  const taskId = m.Actor?.Attributes?.[TASK_ID_LABEL];
  if (typeof containerId !== 'string' || typeof taskId !== 'string') return undefined;
  // "health_status: healthy" and the like.
  const action = m.Action.split(':')[0]!.trim();
  return { containerId, taskId, action };
}

export class EventStream {
  private abort: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly delayMinMs: number;
  private readonly delayMaxMs: number;
  private delayMs: number;
  private connectedAt = 0;
  /** Failed or broken connections in a row. */
  private failures = 0;

  constructor(
    private readonly docker: Dockerode,
    private readonly options: EventStreamOptions,
  ) {
    this.delayMinMs = options.reconnectDelayMinMs ?? 250;
    this.delayMaxMs = options.reconnectDelayMaxMs ?? 10_000;
    this.delayMs = this.delayMinMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abort?.abort();
    this.abort = undefined;
  }

  private connect(): void {
    if (!this.running) return;
    const abort = new AbortController();
    this.abort = abort;
    this.docker
      .getEvents({
        filters: JSON.stringify({
          type: ['container'],
          label: [TASK_ID_LABEL, ...(this.options.labels ?? [])],
          event: WATCHED_ACTIONS,
        }),
        abortSignal: abort.signal,
      } as Dockerode.GetEventsOptions)
      .then((stream) => {
        if (abort.signal.aborted) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          return;
        }
        this.consume(stream as NodeJS.ReadableStream, abort);
      })
      .catch((error: unknown) => this.broken(abort, error));
  }

  private consume(stream: NodeJS.ReadableStream, abort: AbortController): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      if (pending.length > EVENT_LINE_BYTES_MAX && !pending.includes('\n')) {
        (stream as unknown as { destroy(error?: Error): void }).destroy(
          new Error('event stream line too long'),
        );
        return;
      }
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const event = parseEventLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (event !== undefined) this.options.onEvent(event);
        newline = pending.indexOf('\n');
      }
    });
    stream.once('end', () => this.broken(abort, new Error('event stream ended')));
    stream.once('error', (error: unknown) => this.broken(abort, error));
    abort.signal.addEventListener('abort', () => {
      (stream as unknown as { destroy(): void }).destroy();
    });
    // The engine sends the response headers once it has subscribed: from here no event is
    // missed, so this is the moment to catch up with what happened before.
    this.connectedAt = Date.now();
    this.options.onConnected();
  }

  private broken(abort: AbortController, error: unknown): void {
    if (!this.running || this.abort !== abort) return;
    this.abort = undefined;
    abort.abort();
    // A stream that lived long enough was a success: start the backoff over.
    if (this.connectedAt > 0 && Date.now() - this.connectedAt > this.delayMaxMs) {
      this.delayMs = this.delayMinMs;
      this.failures = 0;
    }
    this.connectedAt = 0;
    this.failures++;
    // Once per outage, then now and then while it lasts: a bounded number of lines.
    if (this.failures === 1 || this.failures % WARN_EVERY_FAILURES === 0) {
      this.options.logger.warn(
        `docker: event stream broke (${errorText(error)}); reconnecting in ${this.delayMs} ms` +
          (this.failures > 1 ? ` (attempt ${this.failures})` : ''),
      );
    }
    this.retryTimer = setTimeout(() => this.connect(), this.delayMs);
    this.retryTimer.unref();
    this.delayMs = Math.min(this.delayMs * 2, this.delayMaxMs);
  }
}
