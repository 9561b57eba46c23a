// The HTTP server every daemon runs: node:http with the small router in router.ts (no framework:
// handlers need the raw socket for hijacking and backpressure, which a Fetch-style adapter hides,
// and the router is a hundred lines). It adds what dockerd adds to every request: the version
// prefix and its negotiation, the standard headers, `/_ping`, `/version`, and errors as
// `{"message": ...}` with Docker's statuses.
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  ServerResponse,
} from 'node:http';
import {
  createServer as createHttpsServer,
  type ServerOptions as HttpsOptions,
  Server as HttpsServer,
} from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { arch as osArch, release as osRelease } from 'node:os';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { type EngineProxy, isEnginePath } from './engine-proxy.ts';
import { ApiError, BadRequestError, ForbiddenError, NotFoundError, toHttpError } from './errors.ts';
import { DEFAULT_BODY_BYTES_MAX, parseJsonBody, readBody } from './request.ts';
import {
  type ApiResponse,
  type HttpMethod,
  json,
  type RequestContext,
  type RouteDefinition,
  Router,
} from './router.ts';
import { StreamClosedError } from './streaming.ts';
import {
  DEFAULT_API_VERSION,
  MIN_API_VERSION,
  negotiateVersion,
  splitVersionPrefix,
} from './version.ts';

/** What /version and the `Server` header say about this daemon. */
export interface ServerInfo {
  /** Shoal's version, e.g. `0.1.0`. */
  version: string;
  gitCommit?: string;
  buildTime?: string;
  /** `Platform.Name`; default `Shoal`. */
  platformName?: string;
  /** Default `linux`. */
  os?: string;
  /** Default: the host's, in Go's names (`amd64`, `arm64`, ...). */
  arch?: string;
  /** Default: the host's kernel release. */
  kernelVersion?: string;
}

/** The `Swarm` header of /_ping: the node's state, and its role when active. */
export type SwarmPingStatus =
  | 'inactive'
  | 'pending'
  | 'error'
  | 'locked'
  | 'active/manager'
  | 'active/worker';

/** The part of a pino logger the server uses. */
export interface ApiLogger {
  error(fields: Record<string, unknown>, message: string): void;
  debug?(fields: Record<string, unknown>, message: string): void;
}

export interface ApiServerOptions {
  routes: Router | Iterable<RouteDefinition>;
  /** What /version reports; a function is called per request. */
  info: ServerInfo | (() => ServerInfo);
  /** The newest API version served, and the default for paths without a prefix. */
  apiVersion?: string;
  minApiVersion?: string;
  /** When given, /_ping carries a `Swarm` header. */
  swarmStatus?: () => SwarmPingStatus;
  logger?: ApiLogger;
  bodyBytesMax?: number;
  /** Connections beyond this are refused (per listener). */
  connectionsMax?: number;
  /** Where requests for non-swarm endpoints (containers, images...) go; absent: 404. */
  engineProxy?: EngineProxy;
}

/** Why a TLS connection's requests are refused, or undefined to serve them. */
export type PeerCheck = (socket: TLSSocket) => string | undefined;

export interface CloseOptions {
  /** How long in-flight requests may take to finish after their signals abort. */
  graceMs?: number;
}

export interface ApiServer {
  readonly apiVersion: string;
  readonly minApiVersion: string;
  /**
   * Listens on a unix socket. Creates the parent directory (mode 0700) when missing; replaces a
   * stale socket file, but refuses when a server answers on it; sets the socket's mode (0600).
   */
  listenUnix(path: string, options?: { mode?: number }): Promise<void>;
  /**
   * Listens on TCP, with TLS when options are given. Port 0 picks a free port. `checkPeer`
   * may refuse a connection's requests (403 with its message), e.g. a certificate of the
   * wrong kind that the TLS layer accepted.
   */
  listenTcp(
    host: string,
    port: number,
    tls?: HttpsOptions,
    checkPeer?: PeerCheck,
  ): Promise<TcpListener>;
  /** Stops listening, aborts streams, then closes every connection (hijacked ones too). */
  close(options?: CloseOptions): Promise<void>;
}

/** A TCP listener of the API server. */
export interface TcpListener {
  readonly address: AddressInfo;
  /**
   * Replaces the TLS material (certificate, key, trusted CAs) for connections made from now on;
   * open connections keep theirs. Throws on a listener without TLS.
   */
  updateTls(tls: HttpsOptions): void;
}

/** Another process serves the unix socket already. */
export class AddressInUseError extends Error {
  override name = 'AddressInUseError';
  readonly code = 'EADDRINUSE';
  constructor(readonly path: string) {
    super(`another daemon is listening on ${path}`);
  }
}

const DEFAULT_CONNECTIONS_MAX = 1024;
const DEFAULT_CLOSE_GRACE_MS = 1000;
const SOCKET_PROBE_TIMEOUT_MS = 1000;

export function createApiServer(options: ApiServerOptions): ApiServer {
  const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
  const minApiVersion = options.minApiVersion ?? MIN_API_VERSION;
  const bodyBytesMax = options.bodyBytesMax ?? DEFAULT_BODY_BYTES_MAX;
  const connectionsMax = options.connectionsMax ?? DEFAULT_CONNECTIONS_MAX;
  const logger = options.logger;
  const getInfo =
    typeof options.info === 'function' ? options.info : () => options.info as ServerInfo;

  const router = new Router();
  router.get('/_ping', ping).head('/_ping', ping).get('/version', version);
  router.addAll(options.routes instanceof Router ? options.routes.routes() : options.routes);

  const listeners: Server[] = [];
  const sockets = new Set<Socket>();
  const inFlight = new Set<AbortController>();
  let closing: Promise<void> | undefined;

  function ping(context: RequestContext): ApiResponse {
    const headers: Record<string, string> = {
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Builder-Version': '1',
    };
    const swarm = swarmStatus();
    if (swarm !== undefined) headers.Swarm = swarm;
    const body = context.method === 'HEAD' ? '' : 'OK';
    return { kind: 'text', status: 200, body, contentType: 'text/plain; charset=utf-8', headers };
  }

  function swarmStatus(): SwarmPingStatus | undefined {
    try {
      return options.swarmStatus?.();
    } catch (error) {
      // A ping must answer whatever state the node is in; leave the header out instead.
      logger?.error({ err: error }, 'swarm status provider failed');
      return undefined;
    }
  }

  function version(): ApiResponse {
    return json(200, versionBody(getInfo(), apiVersion, minApiVersion));
  }

  function setStandardHeaders(response: ServerResponse): void {
    const info = getInfo();
    const os = info.os ?? 'linux';
    response.setHeader('Api-Version', apiVersion);
    response.setHeader('Docker-Experimental', 'false');
    response.setHeader('Ostype', os);
    response.setHeader('Server', `Shoal/${info.version} (${os})`);
  }

  async function dispatch(
    request: IncomingMessage,
    response: ServerResponse,
    upgrade: Upgrade | undefined,
    refusal: string | undefined,
  ) {
    const startedAt = performance.now();
    const controller = new AbortController();
    inFlight.add(controller);
    const done = () => {
      controller.abort();
      inFlight.delete(controller);
    };
    response.once('close', done);
    response.once('finish', done);
    response.once('finish', () => {
      logger?.debug?.(
        {
          method: request.method,
          url: request.url,
          status: response.statusCode,
          durationMs: Math.round(performance.now() - startedAt),
        },
        'api request',
      );
    });
    let hijacked = false;
    try {
      setStandardHeaders(response);
      if (refusal !== undefined) throw new ForbiddenError(refusal);
      const { pathname, search } = splitUrl(request.url ?? '/');
      const { version: requested, path } = splitVersionPrefix(pathname);
      const match = router.match(request.method ?? '', path);
      if (match === undefined) {
        const proxy = options.engineProxy;
        if (proxy === undefined || !isEnginePath(path)) throw new NotFoundError('page not found');
        if (upgrade === undefined) {
          await proxy.forward(request, response, path);
          return;
        }
        await proxy.upgrade(request, upgrade.socket, upgrade.head, path);
        hijacked = true;
        response.detachSocket(upgrade.socket as Socket);
        upgrade.socket.once('close', done);
        return;
      }
      const negotiated = negotiateVersion(requested, minApiVersion, apiVersion);
      let rawBody: Promise<Buffer> | undefined;
      const readRawBody = () => {
        rawBody ??= readBody(request, bodyBytesMax);
        return rawBody;
      };
      const context: RequestContext = {
        method: request.method as HttpMethod,
        path,
        params: decodeParams(match.rawParams),
        query: new URLSearchParams(search),
        version: negotiated,
        signal: controller.signal,
        rawBody: readRawBody,
        body: async <T>() =>
          parseJsonBody(await readRawBody(), request.headers['content-type']) as T | undefined,
        hijack: (headers) => {
          if (upgrade === undefined) {
            throw new BadRequestError(
              'this endpoint needs the connection upgraded (Connection: Upgrade, Upgrade: tcp)',
            );
          }
          hijacked = true;
          return hijackSocket(response, upgrade, done, headers);
        },
        req: request,
        res: response,
      };
      const result = await match.route.handler(context);
      if (result !== undefined) writeResponse(response, result);
    } catch (error) {
      handleError(request, response, error, controller.signal, hijacked ? upgrade : undefined);
    }
  }

  function handleError(
    request: IncomingMessage,
    response: ServerResponse,
    error: unknown,
    signal: AbortSignal,
    hijacked: Upgrade | undefined,
  ): void {
    const { status, message } = toHttpError(error);
    const expected =
      error instanceof ApiError || error instanceof StreamClosedError || signal.aborted;
    if (status >= 500 && !expected) {
      logger?.error({ err: error, method: request.method, url: request.url }, 'api handler failed');
    }
    if (hijacked !== undefined) {
      hijacked.socket.destroy();
      return;
    }
    if (response.headersSent || response.writableEnded) {
      // Mid-stream: the status is gone; cutting the connection tells the client it failed.
      response.destroy();
      return;
    }
    writeResponse(response, json(status, { message }));
  }

  function onUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    refusal: string | undefined,
  ): void {
    // Node hands upgrade requests over without a response; build one on the socket so routes,
    // errors and headers work the same, and end the socket after a non-hijacked answer.
    const response = new ServerResponse(request);
    response.shouldKeepAlive = false;
    response.assignSocket(socket as Socket);
    response.once('finish', () => {
      response.detachSocket(socket as Socket);
      socket.end();
    });
    void dispatch(request, response, { socket, head }, refusal);
  }

  function attach(server: Server, checkPeer?: PeerCheck): Server {
    server.maxConnections = connectionsMax;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      void dispatch(request, response, undefined, checkPeer?.(request.socket as TLSSocket));
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      onUpgrade(request, socket, head, checkPeer?.(request.socket as TLSSocket));
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    return server;
  }

  function checkOpen(): void {
    if (closing !== undefined) throw new Error('the API server is closed');
  }

  return {
    apiVersion,
    minApiVersion,

    async listenUnix(path, listenOptions = {}) {
      checkOpen();
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await removeStaleSocket(path);
      const server = attach(createHttpServer());
      await listen(server, { path });
      listeners.push(server);
      server.on('error', (error) => logger?.error({ err: error, path }, 'api listener error'));
      await chmod(path, listenOptions.mode ?? 0o600);
    },

    async listenTcp(host, port, tls, checkPeer) {
      checkOpen();
      const server = attach(
        tls === undefined ? createHttpServer() : createHttpsServer(tls),
        checkPeer,
      );
      await listen(server, { host, port });
      listeners.push(server);
      server.on('error', (error) =>
        logger?.error({ err: error, host, port }, 'api listener error'),
      );
      return {
        address: server.address() as AddressInfo,
        updateTls(options: HttpsOptions) {
          if (!(server instanceof HttpsServer)) {
            throw new Error('this API listener has no TLS to update');
          }
          server.setSecureContext(options);
        },
      };
    },

    close(closeOptions = {}) {
      closing ??= (async () => {
        const closed = listeners.map(
          (server) => new Promise<void>((resolve) => server.close(() => resolve())),
        );
        for (const controller of inFlight) controller.abort();
        for (const server of listeners) server.closeIdleConnections();
        await waitUntil(() => inFlight.size === 0, closeOptions.graceMs ?? DEFAULT_CLOSE_GRACE_MS);
        for (const socket of sockets) socket.destroy();
        await Promise.all(closed);
      })();
      return closing;
    },
  };
}

interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

function hijackSocket(
  response: ServerResponse,
  upgrade: Upgrade,
  onClose: () => void,
  headers: Readonly<Record<string, string>> = {},
): Duplex {
  const { socket, head } = upgrade;
  response.detachSocket(socket as Socket);
  socket.once('close', onClose);
  const lines = [
    'HTTP/1.1 101 UPGRADED',
    'Content-Type: application/vnd.docker.raw-stream',
    'Connection: Upgrade',
    'Upgrade: tcp',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) socket.unshift(head);
  return socket;
}

function writeResponse(response: ServerResponse, result: ApiResponse): void {
  if (response.headersSent || response.writableEnded) {
    throw new Error('the handler both wrote the response and returned one');
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  response.statusCode = result.status;
  const hasBody = result.status !== 204 && result.status !== 304;
  let payload = '';
  if (result.kind === 'json') {
    response.setHeader('Content-Type', 'application/json');
    if (hasBody) payload = `${JSON.stringify(result.body)}\n`;
  } else if (result.kind === 'text') {
    response.setHeader('Content-Type', result.contentType);
    if (hasBody) payload = result.body;
  }
  if (hasBody) response.setHeader('Content-Length', Buffer.byteLength(payload));
  response.end(payload);
}

function splitUrl(url: string): { pathname: string; search: string } {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return { pathname: url, search: '' };
  return { pathname: url.slice(0, queryStart), search: url.slice(queryStart + 1) };
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw new BadRequestError(`malformed percent-encoding in path parameter ${name}: ${value}`);
    }
  }
  return params;
}

/** Docker's types.Version. */
export function versionBody(info: ServerInfo, apiVersion: string, minApiVersion: string) {
  const os = info.os ?? 'linux';
  const arch = info.arch ?? goArch(osArch());
  const kernelVersion = info.kernelVersion ?? osRelease();
  const gitCommit = info.gitCommit ?? 'unknown';
  const buildTime = info.buildTime ?? '';
  const goVersion = `node${process.versions.node}`;
  return {
    Platform: { Name: info.platformName ?? 'Shoal' },
    Components: [
      {
        Name: 'Engine',
        Version: info.version,
        Details: {
          ApiVersion: apiVersion,
          Arch: arch,
          BuildTime: buildTime,
          Experimental: 'false',
          GitCommit: gitCommit,
          GoVersion: goVersion,
          KernelVersion: kernelVersion,
          MinAPIVersion: minApiVersion,
          Os: os,
        },
      },
    ],
    Version: info.version,
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    GitCommit: gitCommit,
    GoVersion: goVersion,
    Os: os,
    Arch: arch,
    KernelVersion: kernelVersion,
    BuildTime: buildTime,
  };
}

/** Node's architecture names in Go's spelling, as Docker reports them. */
function goArch(nodeArch: string): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' };
  return names[nodeArch] ?? nodeArch;
}

function listen(server: Server, options: { path: string } | { host: string; port: number }) {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options);
  });
}

/** Removes a socket file nobody answers on; refuses a live socket or a file of another kind. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await socketAnswers(path)) throw new AddressInUseError(path);
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const finish = (answer: boolean | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (answer instanceof Error) reject(answer);
      else resolve(answer);
    };
    // A server too busy to accept within the timeout is still a live server.
    const timer = setTimeout(() => finish(true), SOCKET_PROBE_TIMEOUT_MS);
    socket.once('connect', () => finish(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      finish(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? false : error);
    });
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
