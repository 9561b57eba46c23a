// Fixtures of the stack command tests: a daemon that records each request and answers from a
// table of routes, and an io that keeps what the command printed.
import {
  type CommandIo,
  type Daemon,
  daemonError,
  type Method,
  type Query,
} from '../service/index.ts';

export interface Recorded {
  method: Method;
  path: string;
  query?: Query;
  body?: unknown;
}

export type Route = (request: Recorded) => unknown;

export class RecordingDaemon implements Daemon {
  readonly requests: Recorded[] = [];
  constructor(private readonly routes: Record<string, Route>) {}

  async call<T>(method: Method, path: string, options: { query?: Query; body?: unknown } = {}) {
    const request: Recorded = { method, path };
    if (options.query) {
      request.query = Object.fromEntries(
        Object.entries(options.query).filter(([, value]) => value !== undefined),
      );
    }
    if (options.body !== undefined) request.body = structuredClone(options.body);
    this.requests.push(request);
    const route = this.routes[`${method} ${path}`];
    if (!route) throw daemonError(404, `no such object: ${path}`);
    const answer = route(request);
    if (answer instanceof Error) throw answer;
    return structuredClone(answer) as T;
  }

  async stream(): Promise<never> {
    throw new Error('no streams in stack tests');
  }

  /** `METHOD path` of each request, for compact assertions of the order. */
  lines(): string[] {
    return this.requests.map((request) => `${request.method} ${request.path}`);
  }
}

export function captureIo(): CommandIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (text: string) => {
      io.stdout += text;
    },
    err: (text: string) => {
      io.stderr += text;
    },
    terminal: false,
    now: () => Date.parse('2024-05-01T12:00:00Z'),
  };
  return io;
}
