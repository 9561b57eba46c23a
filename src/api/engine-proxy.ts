// Non-swarm endpoints (containers, images, volumes, exec, system df, ...) go to the node's own
// Docker Engine, as they are: the request line, headers and body streamed to the engine's
// socket and its answer streamed back, so long responses (logs -f, pulls, stats) and large
// uploads (build, load) flow with backpressure. Upgraded connections (attach, exec start) are
// joined byte for byte after the engine's `101 UPGRADED`. Without an engine the answer is a
// clear error with Docker's status; the swarm endpoints never come here (server.ts decides).
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, NotImplementedError } from './errors.ts';

/** How long connecting to the engine's socket may take. */
const CONNECT_TIMEOUT_MS = 5000;

/** Largest JSON answer getJson reads from the engine. */
const ENGINE_JSON_BYTES_MAX = 4 * 1024 * 1024;

/** Longest line openLines passes on (an engine event is well under 4 KiB). */
const ENGINE_LINE_BYTES_MAX = 64 * 1024;

/** Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The engine did not answer: the node has none running, or its socket is wrong. */
export class EngineUnavailableError extends ApiError {
  override name = 'EngineUnavailableError';
  constructor(socketPath: string, path: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message;
    super(
      503,
      `${path} is not supported on this node right now: it is served by the node's Docker Engine, ` +
        `which does not answer on ${socketPath} (${reason}). Start the engine, or run the ` +
        'command against a node that has one; swarm commands work on any manager.',
      { cause },
    );
  }
}

/**
 * Path prefixes Shoal answers itself, never proxied: the swarm endpoints, the system ones
 * (ping, version, info, events) and Shoal's own. A path that starts with one of these and has
 * no route is a 404, as dockerd answers it.
 */
const SHOAL_PATH_ROOTS = new Set([
  '_ping',
  'configs',
  'distribution',
  'events',
  'info',
  'networks',
  'nodes',
  'secrets',
  'services',
  'shoal',
  'swarm',
  'tasks',
  'version',
]);

/** True for a path (without its version prefix) that the node's engine serves. */
export function isEnginePath(path: string): boolean {
  const root = path.split('/')[1] ?? '';
  return root !== '' && !SHOAL_PATH_ROOTS.has(root);
}

/** What the API's engine access needs: the engine's socket, or null when the node has none. */
export interface EngineProxyOptions {
  /** The Docker Engine's unix socket; null: this node runs tasks as processes only. */
  socketPath: string | null;
}

export class EngineProxy {
  constructor(private readonly options: EngineProxyOptions) {}

  get socketPath(): string | null {
    return this.options.socketPath;
  }

  /** The error for an engine endpoint on a node configured without an engine. */
  private noEngine(path: string): ApiError {
    return new NotImplementedError(
      `${path} is not supported on this node: it runs tasks without a Docker Engine ` +
        '(shoal daemon --docker none), and Shoal serves only the swarm endpoints itself. ' +
        'Run the command against a node with an engine.',
    );
  }

  /**
   * A GET answered by the engine as JSON (bounded size, and `timeoutMs` for the whole answer):
   * its status and body, or null when this node has no engine or it does not answer in time.
   */
  getJson(
    path: string,
    timeoutMs = CONNECT_TIMEOUT_MS,
  ): Promise<{ status: number; body: unknown } | null> {
    const socketPath = this.options.socketPath;
    if (socketPath === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const outgoing = request({ socketPath, method: 'GET', path });
      // The whole answer, not just each read, must come within the time.
      const timer = setTimeout(() => outgoing.destroy(new Error('timeout')), timeoutMs);
      const finish = (answer: { status: number; body: unknown } | null) => {
        clearTimeout(timer);
        resolve(answer);
      };
      outgoing.once('error', () => finish(null));
      outgoing.once('response', (answer) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        answer.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > ENGINE_JSON_BYTES_MAX) outgoing.destroy(new Error('answer too large'));
          else chunks.push(chunk);
        });
        answer.once('end', () => {
          try {
            finish({
              status: answer.statusCode ?? 502,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            });
          } catch {
            finish(null);
          }
        });
        answer.once('error', () => finish(null));
        // A cut answer ends with 'close' alone (after 'end' this changes nothing).
        answer.once('close', () => finish(null));
      });
      outgoing.end();
    });
  }

  /**
   * The lines of a streamed GET the engine answers (its /events), or null when this node has no
   * engine, or the engine does not answer or refuses (not 200). Reading is paced by the
   * consumer; a line over `lineBytesMax` ends the stream; `signal` closes the request.
   */
  async openLines(
    path: string,
    signal: AbortSignal,
    lineBytesMax = ENGINE_LINE_BYTES_MAX,
  ): Promise<AsyncIterable<string> | null> {
    const socketPath = this.options.socketPath;
    if (socketPath === null || signal.aborted) return null;
    const answer = await new Promise<IncomingMessage | null>((resolve) => {
      const outgoing = request({ socketPath, method: 'GET', path, signal });
      const timer = setTimeout(
        () => outgoing.destroy(new Error('connect timeout')),
        CONNECT_TIMEOUT_MS,
      );
      outgoing.once('error', () => {
        clearTimeout(timer);
        resolve(null);
      });
      outgoing.once('response', (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      outgoing.end();
    });
    if (answer === null) return null;
    if (answer.statusCode !== 200) {
      answer.destroy();
      return null;
    }
    return readLines(answer, lineBytesMax);
  }

  /** Forwards a plain request; resolves once the engine's answer has been streamed back. */
  forward(incoming: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const socketPath = this.options.socketPath;
    if (socketPath === null) return Promise.reject(this.noEngine(path));
    return new Promise((resolve, reject) => {
      const outgoing = request({
        socketPath,
        method: incoming.method,
        path: incoming.url,
        headers: forwardedHeaders(incoming),
        timeout: CONNECT_TIMEOUT_MS,
      });
      let answered = false;
      outgoing.once('socket', (socket: Socket) => {
        socket.once('connect', () => outgoing.setTimeout(0));
      });
      outgoing.once('timeout', () => outgoing.destroy(new Error('connect timeout')));
      outgoing.once('response', (answer) => {
        answered = true;
        response.writeHead(answer.statusCode ?? 502, answerHeaders(answer));
        response.flushHeaders();
        answer.pipe(response);
        answer.once('end', () => resolve());
        answer.once('error', () => {
          response.destroy();
          resolve();
        });
      });
      outgoing.once('error', (error) => {
        if (answered) {
          response.destroy();
          resolve();
          return;
        }
        reject(new EngineUnavailableError(socketPath, path, error));
      });
      // The client went away: stop the engine's work for it (a follow, a pull...).
      response.once('close', () => {
        if (!response.writableFinished) outgoing.destroy();
      });
      incoming.pipe(outgoing);
    });
  }

  /**
   * Forwards an upgrade request (`Connection: Upgrade`, `Upgrade: tcp`): writes it to the
   * engine as received, then joins the two connections until either side closes.
   */
  upgrade(incoming: IncomingMessage, client: Duplex, head: Buffer, path: string): Promise<void> {
    const socketPath = this.options.socketPath;
    if (socketPath === null) return Promise.reject(this.noEngine(path));
    return new Promise((resolve, reject) => {
      const engine = connect({ path: socketPath });
      const timer = setTimeout(
        () => engine.destroy(new Error('connect timeout')),
        CONNECT_TIMEOUT_MS,
      );
      engine.once('error', (error) => {
        clearTimeout(timer);
        reject(new EngineUnavailableError(socketPath, path, error));
      });
      engine.once('connect', () => {
        clearTimeout(timer);
        engine.removeAllListeners('error');
        engine.write(requestHead(incoming));
        if (head.length > 0) engine.write(head);
        const finish = () => {
          engine.destroy();
          client.destroy();
        };
        engine.once('error', finish);
        client.once('error', finish);
        engine.once('close', finish);
        client.once('close', finish);
        engine.pipe(client);
        client.pipe(engine);
        resolve();
      });
    });
  }
}

/** The non-empty lines of a stream; ends (and closes it) on a cut, an error or a long line. */
async function* readLines(stream: IncomingMessage, lineBytesMax: number): AsyncGenerator<string> {
  stream.setEncoding('utf8');
  let pending = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') yield line;
      }
      if (pending.length > lineBytesMax) return;
    }
  } catch {
    // Cut or aborted: the lines end here.
  } finally {
    stream.destroy();
  }
}

function forwardedHeaders(incoming: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  if (incoming.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  return headers;
}

function answerHeaders(answer: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}

/** The request line and headers exactly as the client sent them (raw names and order). */
function requestHead(incoming: IncomingMessage): string {
  const lines = [`${incoming.method} ${incoming.url} HTTP/1.1`];
  const raw = incoming.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    lines.push(`${raw[index]}: ${raw[index + 1]}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
