// Docker's multiplexed log stream and how `service logs` prints it. Each frame is an 8-byte
// header (stream: 0 stdin, 1 stdout, 2 stderr, 3 system error; three zero bytes; big-endian
// payload length) and its payload, one log line per frame. With details=1 a line reads
// `[timestamp ]com.docker.swarm.node.id=..,com.docker.swarm.service.id=..,com.docker.swarm.
// task.id=..[,more] message`; the CLI turns the context into `web.1.abcdef123456@node-1    | `.
// The frame decoder is independent of the CLI, so the API layer may reuse it.

export const STREAM_STDIN = 0;
export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
export const STREAM_SYSTEM_ERROR = 3;

/** Frames larger than this are refused rather than buffered. */
export const FRAME_BYTES_MAX = 64 * 1024 * 1024;

export interface LogFrame {
  stream: number;
  payload: Buffer;
}

/** Incremental decoder: push chunks as they arrive, take the complete frames. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): LogFrame[] {
    this.buffered =
      this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const frames: LogFrame[] = [];
    for (;;) {
      if (this.buffered.length < 8) return frames;
      const stream = this.buffered[0]!;
      if (stream > STREAM_SYSTEM_ERROR) throw new Error(`Unrecognized input header: ${stream}`);
      const length = this.buffered.readUInt32BE(4);
      if (length > FRAME_BYTES_MAX)
        throw new Error(`log frame of ${length} bytes is larger than ${FRAME_BYTES_MAX}`);
      if (this.buffered.length < 8 + length) return frames;
      frames.push({ stream, payload: this.buffered.subarray(8, 8 + length) });
      this.buffered = this.buffered.subarray(8 + length);
    }
  }

  /** Bytes of an unfinished frame left when the stream ended (docker ignores them). */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

/** Encodes one frame (for tests and for a server that wants to write docker's format). */
export function encodeFrame(stream: number, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** docker's logs.ParseLogDetails: `k=v,k2=v2`, keys and values query-escaped. */
export function parseLogDetails(details: string): Map<string, string> {
  if (details === '') throw new Error('details cannot be empty');
  const result = new Map<string, string>();
  for (const pair of details.split(',')) {
    const equals = pair.indexOf('=');
    if (equals < 0) throw new Error('invalid details format');
    const queryUnescape = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
    result.set(queryUnescape(pair.slice(0, equals)), queryUnescape(pair.slice(equals + 1)));
  }
  return result;
}

export interface LogContext {
  nodeId: string;
  serviceId: string;
  taskId: string;
}

export interface ParsedLogLine {
  timestamp?: string;
  context: LogContext;
  /** Details other than the three context keys. */
  details: Map<string, string>;
  message: string;
}

/** Splits one frame's text as docker's logWriter does. */
export function parseLogLine(line: string, timestamps: boolean): ParsedLogLine {
  const parts: string[] = [];
  let rest = line;
  const count = timestamps ? 3 : 2;
  while (parts.length < count - 1) {
    const space = rest.indexOf(' ');
    if (space < 0) break;
    parts.push(rest.slice(0, space));
    rest = rest.slice(space + 1);
  }
  parts.push(rest);
  if (parts.length !== count) throw new Error(`invalid context in log message: ${line}`);
  const details = parseLogDetails(parts[timestamps ? 1 : 0]!);
  const take = (key: string, name: string) => {
    const value = details.get(key);
    if (value === undefined) {
      throw new Error(
        `missing ${name} id in details: map[${[...details].map(([k, v]) => `${k}:${v}`).join(' ')}]`,
      );
    }
    details.delete(key);
    return value;
  };
  const context = {
    nodeId: take('com.docker.swarm.node.id', 'node'),
    serviceId: take('com.docker.swarm.service.id', 'service'),
    taskId: take('com.docker.swarm.task.id', 'task'),
  };
  return {
    ...(timestamps ? { timestamp: parts[0]! } : {}),
    context,
    details,
    message: parts[timestamps ? 2 : 1]!,
  };
}

/** Name lookups for the line prefix (docker's idresolver and TaskInspect). */
export interface LogNameResolver {
  nodeName(nodeId: string): Promise<string>;
  serviceName(serviceId: string): Promise<string>;
  task(taskId: string): Promise<{ ID: string; Slot?: number }>;
}

export interface LogPrintOptions {
  timestamps: boolean;
  details: boolean;
  noTaskIds: boolean;
  noTrunc: boolean;
  /** Digits of the replica count: slots are padded to line up. */
  padding: number;
}

/** Formats docker's pretty service log lines, resolving (and caching) each context once. */
export class LogLineFormatter {
  private readonly prefixes = new Map<string, string>();

  constructor(
    private readonly resolver: LogNameResolver,
    private readonly options: LogPrintOptions,
  ) {}

  async format(line: string): Promise<string> {
    const parsed = parseLogLine(line, this.options.timestamps);
    let output = parsed.timestamp !== undefined ? `${parsed.timestamp} ` : '';
    output += `${await this.prefix(parsed.context)}    | `;
    if (this.options.details) {
      const pairs = [...parsed.details].map(([key, value]) => `${key}=${value}`).sort();
      output += `${pairs.join(',')} `;
    }
    return output + parsed.message;
  }

  private async prefix(context: LogContext): Promise<string> {
    const key = `${context.nodeId}\n${context.serviceId}\n${context.taskId}`;
    const cached = this.prefixes.get(key);
    if (cached !== undefined) return cached;
    const nodeName = await this.resolver.nodeName(context.nodeId);
    const serviceName = await this.resolver.serviceName(context.serviceId);
    const task = await this.resolver.task(context.taskId);
    const slot = task.Slot ?? 0;
    let name = `${serviceName}.${slot}`;
    if (!this.options.noTaskIds)
      name += `.${this.options.noTrunc ? task.ID : truncateTaskId(task.ID)}`;
    const padding = ' '.repeat(Math.max(0, this.options.padding - String(slot).length));
    const formatted = `${name}@${nodeName}${padding}`;
    this.prefixes.set(key, formatted);
    return formatted;
  }
}

function truncateTaskId(id: string): string {
  const colon = id.indexOf(':');
  return (colon >= 0 ? id.slice(colon + 1) : id).slice(0, 12);
}
