// Shared fixtures of the service command tests: a resolver without a daemon, and a fake daemon
// that records every request and answers from a script.
import { Readable } from 'node:stream';
import type { FileReference } from '../../../store/index.ts';
import { type Daemon, daemonError, type Method, type Query } from './api.ts';
import type { CommandIo } from './commands.ts';
import type { SpecResolver } from './flags.ts';

export const fakeResolver: SpecResolver = {
  networkId: async (name) => `net-${name}`,
  secrets: async (references: FileReference[]) =>
    references.map((reference) => ({ ...reference, SecretID: `sid-${reference.SecretName}` })),
  configs: async (references: FileReference[]) =>
    references.map((reference) => ({ ...reference, ConfigID: `cid-${reference.ConfigName}` })),
  environment: { HOME_DIR: '/home/me' },
  readFile: (path) => {
    if (path === 'app.env') return '# comment\nA=1\n  B=spaced value\nHOME_DIR\nMISSING\n';
    if (path === 'bad.env') return 'GOOD=1\nBAD KEY=2\n';
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
      code: 'ENOENT',
    });
  },
};

export interface RecordedRequest {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

type Answer = unknown | ((request: RecordedRequest) => unknown);

/**
 * A Daemon that records requests and answers from `routes` ("GET /services/web" → a value, a
 * function of the request, or an Error to throw). The first route whose key equals
 * `METHOD path` answers; unknown requests throw a 404 DaemonError.
 */
export class FakeDaemon implements Daemon {
  readonly requests: RecordedRequest[] = [];
  constructor(
    private readonly routes: Record<string, Answer>,
    private readonly streams: Record<string, Buffer> = {},
  ) {}

  async call<T>(
    method: Method,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const request: RecordedRequest = {
      method,
      path,
      ...(options.query ? { query: dropUndefined(options.query) } : {}),
      ...(options.body !== undefined ? { body: structuredClone(options.body) } : {}),
    };
    this.requests.push(request);
    const key = `${method} ${path}`;
    if (!(key in this.routes)) throw daemonError(404, `no route for ${key}`);
    const answer = this.routes[key];
    const value =
      typeof answer === 'function' ? (answer as (r: RecordedRequest) => unknown)(request) : answer;
    if (value instanceof Error) throw value;
    return structuredClone(value) as T;
  }

  async stream(path: string, query: Query) {
    this.requests.push({ method: 'GET', path, query: dropUndefined(query) });
    const body = this.streams[path];
    if (!body) throw daemonError(404, `no stream for ${path}`);
    return Object.assign(Readable.from([body.subarray(0, 5), body.subarray(5)]), {});
  }

  /** Requests as `METHOD path?query` lines, for compact assertions. */
  lines(): string[] {
    return this.requests.map((request) => {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query ?? {}))
        query.set(name, String(value));
      const text = query.toString();
      return `${request.method} ${request.path}${text ? `?${decodeURIComponent(text)}` : ''}`;
    });
  }
}

function dropUndefined(query: Query): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(query).filter(([, value]) => value !== undefined),
  ) as Record<string, string | number | boolean>;
}

export interface CapturedIo extends CommandIo {
  stdout: string;
  stderr: string;
}

export function captureIo(
  nowMs = Date.parse('2024-05-01T12:00:00Z'),
  terminal = false,
): CapturedIo {
  const io: CapturedIo = {
    stdout: '',
    stderr: '',
    out: (text) => {
      io.stdout += text;
    },
    err: (text) => {
      io.stderr += text;
    },
    terminal,
    now: () => nowMs,
  };
  return io;
}
