// A small client of the API for tests and the shoal CLI. It negotiates as the docker CLI does:
// ping first (HEAD /_ping), read `Api-Version` (absent: 1.24), then prefix every path with
// `/v<min(client, server)>`.
import {
  Agent as HttpAgent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
} from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { DEFAULT_API_VERSION, minVersion } from './version.ts';

export type ApiClientOptions = (
  | { socketPath: string }
  | { host: string; port: number; tls?: ConnectionOptions }
) & {
  /** The newest version this client speaks; default 1.41. */
  apiVersion?: string;
  /** false: use apiVersion without pinging (as DOCKER_API_VERSION does for docker). */
  negotiate?: boolean;
  /** Per request, unless a request says otherwise; default 30 s. */
  timeoutMs?: number;
};

export type QueryValues =
  | URLSearchParams
  | Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  query?: QueryValues;
  headers?: Readonly<Record<string, string>>;
  /** A value sent as JSON, or bytes sent as they are. */
  body?: unknown;
  /** false: send the path as given, without the `/v1.xx` prefix. */
  versioned?: boolean;
  timeoutMs?: number;
}

export interface ApiClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

/** The API version the docker CLI assumes when a ping has no `Api-Version` header. */
const VERSION_WITHOUT_HEADER = '1.24';
const DEFAULT_TIMEOUT_MS = 30_000;
const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

export class ApiClient {
  readonly #options: ApiClientOptions;
  readonly #agent: HttpAgent;
  #negotiated: Promise<string> | undefined;

  constructor(options: ApiClientOptions) {
    this.#options = options;
    const agentOptions = { keepAlive: true, maxSockets: 16 };
    this.#agent =
      'host' in options && options.tls !== undefined
        ? new HttpsAgent({ ...agentOptions, ...options.tls })
        : new HttpAgent(agentOptions);
    if (options.negotiate === false) {
      this.#negotiated = Promise.resolve(options.apiVersion ?? DEFAULT_API_VERSION);
    }
  }

  /** The version requests use: pings once, then min(client, server). A failed ping is retried. */
  version(): Promise<string> {
    this.#negotiated ??= this.ping().then(
      (response) => {
        const header = response.headers['api-version'];
        const server =
          typeof header === 'string' && header !== '' ? header : VERSION_WITHOUT_HEADER;
        return minVersion(this.#options.apiVersion ?? DEFAULT_API_VERSION, server);
      },
      (error: unknown) => {
        this.#negotiated = undefined;
        throw error;
      },
    );
    return this.#negotiated;
  }

  /** `HEAD /_ping`, falling back to GET for servers that refuse HEAD, as the docker CLI does. */
  async ping(): Promise<ApiClientResponse> {
    const head = await this.request('HEAD', '/_ping', { versioned: false });
    if (head.status !== 404 && head.status !== 405) return head;
    return this.request('GET', '/_ping', { versioned: false });
  }

  get(path: string, options?: RequestOptions): Promise<ApiClientResponse> {
    return this.request('GET', path, options);
  }
  head(path: string, options?: RequestOptions): Promise<ApiClientResponse> {
    return this.request('HEAD', path, options);
  }
  post(path: string, body?: unknown, options?: RequestOptions): Promise<ApiClientResponse> {
    return this.request('POST', path, { ...options, body });
  }
  put(path: string, body?: unknown, options?: RequestOptions): Promise<ApiClientResponse> {
    return this.request('PUT', path, { ...options, body });
  }
  delete(path: string, options?: RequestOptions): Promise<ApiClientResponse> {
    return this.request('DELETE', path, options);
  }

  /** Sends a request and reads the whole response (at most 64 MiB). */
  async request(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiClientResponse> {
    const response = await this.stream(method, path, {
      ...options,
      timeoutMs: options.timeoutMs ?? this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const body = await readAll(response, RESPONSE_BYTES_MAX);
    const status = response.statusCode ?? 0;
    return {
      status,
      headers: response.headers,
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  }

  /**
   * Sends a request and returns the response unread, for streams (events, logs). No timeout
   * unless one is given; destroy the response to stop.
   */
  async stream(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<IncomingMessage> {
    if (!path.startsWith('/')) throw new Error(`request path must start with '/': ${path}`);
    const prefix = options.versioned === false ? '' : `/v${await this.version()}`;
    const search = encodeQuery(options.query);
    const headers: Record<string, string> = { ...options.headers };
    let payload: Uint8Array | undefined;
    if (options.body instanceof Uint8Array) {
      payload = options.body;
    } else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      headers['Content-Type'] ??= 'application/json';
    }
    const chunked = Object.keys(headers).some((name) => name.toLowerCase() === 'transfer-encoding');
    if (payload !== undefined && !chunked) headers['Content-Length'] = String(payload.length);
    const target = this.#options;
    return new Promise((resolve, reject) => {
      const outgoing = request(
        {
          method,
          path: `${prefix}${path}${search === '' ? '' : `?${search}`}`,
          headers,
          agent: this.#agent,
          ...('socketPath' in target
            ? { socketPath: target.socketPath }
            : { host: target.host, port: target.port, protocol: target.tls ? 'https:' : 'http:' }),
        },
        resolve,
      );
      outgoing.on('error', reject);
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        outgoing.setTimeout(timeoutMs, () => {
          outgoing.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`));
        });
      }
      outgoing.end(payload);
    });
  }

  /** Closes pooled connections. */
  close(): void {
    this.#agent.destroy();
  }
}

function encodeQuery(query: QueryValues | undefined): string {
  if (query === undefined) return '';
  if (query instanceof URLSearchParams) return query.toString();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  return params.toString();
}

function readAll(response: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let totalBytes = 0;
    response.on('data', (chunk: Buffer) => {
      totalBytes += chunk.length;
      if (totalBytes > limitBytes) {
        response.destroy(new Error(`response larger than ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks, totalBytes)));
    response.on('error', reject);
    response.on('close', () => {
      if (!response.complete) reject(new Error('the response was cut off'));
    });
  });
}
