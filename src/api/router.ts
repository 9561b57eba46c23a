// Routes: a method and a path pattern with `{name}` parameters (one segment) or
// `{name:regex}` (e.g. `{name:.*}` for image names with slashes, as dockerd's mux allows), tried
// in registration order. A path that matches no route for the method is "not found": dockerd
// answers 404 "page not found" for an unknown path and for a wrong method alike.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** What a handler sees of a request. */
export interface RequestContext {
  readonly method: HttpMethod;
  /** The path without its `/v1.xx` prefix. */
  readonly path: string;
  /** Path parameters, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The API version the request is served at (from its prefix, else the server's version). */
  readonly version: string;
  /** Aborted when the client goes away or the server closes: stop streaming then. */
  readonly signal: AbortSignal;
  /** The JSON body, or undefined when there is none (see request.ts for the rules). */
  body<T = unknown>(): Promise<T | undefined>;
  /** The raw body, bounded by the server's body limit. */
  rawBody(): Promise<Buffer>;
  /**
   * Takes over the connection as dockerd does for attach: answers `101 UPGRADED` and returns
   * the socket (closed by the server's close()). Only for requests with `Upgrade: tcp`.
   */
  hijack(headers?: Readonly<Record<string, string>>): Duplex;
  /** The raw request and response, for streaming; a handler that writes `res` returns nothing. */
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

export type ApiResponse =
  | { kind: 'json'; status: number; body: unknown; headers?: Readonly<Record<string, string>> }
  | {
      kind: 'text';
      status: number;
      body: string;
      contentType: string;
      headers?: Readonly<Record<string, string>>;
    }
  | { kind: 'empty'; status: number; headers?: Readonly<Record<string, string>> };

/** Returns a response to send, or nothing when it wrote (or hijacked) the response itself. */
export type Handler = (
  context: RequestContext,
) => Promise<ApiResponse | undefined> | ApiResponse | undefined;

export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  handler: Handler;
}

export function json(
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): ApiResponse {
  return headers === undefined
    ? { kind: 'json', status, body }
    : { kind: 'json', status, body, headers };
}

export function text(
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): ApiResponse {
  return { kind: 'text', status, body, contentType };
}

export function empty(status = 204, headers?: Readonly<Record<string, string>>): ApiResponse {
  return headers === undefined ? { kind: 'empty', status } : { kind: 'empty', status, headers };
}

interface CompiledRoute extends RouteDefinition {
  pattern: RegExp;
  parameterNames: string[];
}

export interface RouteMatch {
  route: RouteDefinition;
  /** Raw (still percent-encoded) parameter values. */
  rawParams: Record<string, string>;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']);

export class Router {
  readonly #routes: CompiledRoute[] = [];

  add(method: HttpMethod, path: string, handler: Handler): this {
    if (!METHODS.has(method)) throw new Error(`unsupported method ${method}`);
    if (this.#routes.some((route) => route.method === method && route.path === path)) {
      throw new Error(`route ${method} ${path} is registered twice`);
    }
    const { pattern, parameterNames } = compilePattern(path);
    this.#routes.push({ method, path, handler, pattern, parameterNames });
    return this;
  }

  get(path: string, handler: Handler): this {
    return this.add('GET', path, handler);
  }
  head(path: string, handler: Handler): this {
    return this.add('HEAD', path, handler);
  }
  post(path: string, handler: Handler): this {
    return this.add('POST', path, handler);
  }
  put(path: string, handler: Handler): this {
    return this.add('PUT', path, handler);
  }
  delete(path: string, handler: Handler): this {
    return this.add('DELETE', path, handler);
  }

  addAll(routes: Iterable<RouteDefinition>): this {
    for (const route of routes) this.add(route.method, route.path, route.handler);
    return this;
  }

  routes(): RouteDefinition[] {
    return this.#routes.map(({ method, path, handler }) => ({ method, path, handler }));
  }

  /** The first route for this method whose pattern matches the whole path. */
  match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(path);
      if (found === null) continue;
      const rawParams: Record<string, string> = {};
      for (const name of route.parameterNames) rawParams[name] = found.groups?.[name] ?? '';
      return { route, rawParams };
    }
    return undefined;
  }
}

function compilePattern(path: string): { pattern: RegExp; parameterNames: string[] } {
  if (!path.startsWith('/')) throw new Error(`route path must start with '/': ${path}`);
  const parameterNames: string[] = [];
  let source = '';
  let rest = path;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      source += escapeRegExp(rest);
      break;
    }
    const close = rest.indexOf('}', open);
    if (close < 0) throw new Error(`unclosed '{' in route path ${path}`);
    source += escapeRegExp(rest.slice(0, open));
    const [name, expression] = splitParameter(rest.slice(open + 1, close));
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || parameterNames.includes(name)) {
      throw new Error(`bad or repeated parameter name '${name}' in route path ${path}`);
    }
    parameterNames.push(name);
    source += `(?<${name}>${expression ?? '[^/]+'})`;
    rest = rest.slice(close + 1);
  }
  return { pattern: new RegExp(`^${source}$`), parameterNames };
}

function splitParameter(inner: string): [string, string | undefined] {
  const colon = inner.indexOf(':');
  if (colon < 0) return [inner, undefined];
  return [inner.slice(0, colon), inner.slice(colon + 1)];
}

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
