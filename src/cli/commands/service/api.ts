// The daemon as the service commands use it: docker's client calls with their status codes
// kept (docker words a 404 as "Error: No such service: web"), and raw streams for logs. Commands
// take the small `Daemon` interface so tests can record the exact requests they make.
// Like connection.ts's Connection, but Connection hides the status and cannot stream.
import type { IncomingMessage } from 'node:http';
import { ApiClient, encodeFilters } from '../../../api/index.ts';
import type { FileReference, Node, Service, Task } from '../../../store/index.ts';
import { CliError, connectionError, socketPathOf } from '../../connection.ts';
import { attachReferenceIds, type SpecResolver } from './flags.ts';

export type Query = Record<string, string | number | boolean | undefined>;
export type Method = 'GET' | 'POST' | 'DELETE';

/** An error answer of the daemon; `message` is what docker prints. */
export class DaemonError extends CliError {
  override name = 'DaemonError';
  constructor(
    message: string,
    readonly status: number,
    readonly daemonMessage: string,
  ) {
    super(message);
  }
}

export interface Daemon {
  call<T = unknown>(
    method: Method,
    path: string,
    options?: { query?: Query; body?: unknown },
  ): Promise<T>;
  /** The response unread (2xx only), for the logs stream; destroy it to stop. */
  stream(path: string, query: Query): Promise<NodeJS.ReadableStream & { destroy(): void }>;
}

export class SocketDaemon implements Daemon {
  private readonly client: ApiClient;

  constructor(private readonly socketPath: string) {
    this.client = new ApiClient({ socketPath, timeoutMs: 120_000 });
  }

  async call<T>(
    method: Method,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const response = await this.guard(() => this.client.request(method, path, options));
    if (response.status >= 400) throw daemonError(response.status, messageOf(response.text()));
    if (response.body.length === 0) return undefined as T;
    return response.json<T>();
  }

  async stream(path: string, query: Query): Promise<IncomingMessage> {
    const response = await this.guard(() => this.client.stream('GET', path, { query }));
    if ((response.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      throw daemonError(
        response.statusCode ?? 0,
        messageOf(Buffer.concat(chunks).toString('utf8')),
      );
    }
    return response;
  }

  close(): void {
    this.client.close();
  }

  private async guard<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw connectionError(error, this.socketPath);
    }
  }
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the body as it is.
  }
  return text.trim();
}

export function daemonError(status: number, message: string): DaemonError {
  return new DaemonError(`Error response from daemon: ${message}`, status, message);
}

export const isNotFound = (error: unknown) => error instanceof DaemonError && error.status === 404;

/** Runs a command body with a daemon connection, closing it afterwards. */
export async function withServiceDaemon<T>(
  host: string | undefined,
  run: (daemon: Daemon) => Promise<T>,
): Promise<T> {
  const daemon = new SocketDaemon(socketPathOf(host));
  try {
    return await run(daemon);
  } finally {
    daemon.close();
  }
}

/** docker's client wording for a missing object: `Error: No such service: web`. */
async function inspect<T>(
  daemon: Daemon,
  kind: string,
  path: string,
  reference: string,
  query?: Query,
) {
  try {
    return await daemon.call<T>(
      'GET',
      `${path}/${encodeURIComponent(reference)}`,
      query ? { query } : {},
    );
  } catch (error) {
    if (isNotFound(error))
      throw new DaemonError(
        `Error: No such ${kind}: ${reference}`,
        404,
        (error as DaemonError).daemonMessage,
      );
    throw error;
  }
}

/** GET /services/{id|name|prefix}?insertDefaults=false, as the docker client asks. */
export function inspectService(
  daemon: Daemon,
  reference: string,
  query: Query = { insertDefaults: false },
): Promise<Service> {
  return inspect<Service>(daemon, 'service', '/services', reference, query);
}

/** GET /tasks/{id}. */
export function inspectTask(daemon: Daemon, reference: string): Promise<Task> {
  return inspect<Task>(daemon, 'task', '/tasks', reference);
}

/** GET /nodes/{id}. */
export function inspectNode(daemon: Daemon, reference: string): Promise<Node> {
  return inspect<Node>(daemon, 'node', '/nodes', reference);
}

export function filtersQuery(filters: Record<string, readonly string[]>): string | undefined {
  return Object.keys(filters).length === 0 ? undefined : encodeFilters(filters);
}

/** The name lookups of `service create|update`, through the API as docker makes them. */
export function apiResolver(daemon: Daemon): SpecResolver {
  const references = async (kind: 'secret' | 'config', requested: FileReference[]) => {
    const nameKey = kind === 'secret' ? 'SecretName' : 'ConfigName';
    const names = [...new Set(requested.map((reference) => reference[nameKey] ?? ''))];
    const found = await daemon.call<{ ID: string; Spec: { Name: string } }[]>('GET', `/${kind}s`, {
      query: { filters: filtersQuery({ name: names }) },
    });
    return attachReferenceIds(
      requested,
      new Map(found.map((object) => [object.Spec.Name, object.ID])),
      kind,
    );
  };
  return {
    networkId: async (nameOrId) => {
      try {
        const network = await daemon.call<{ Id?: string; ID?: string }>(
          'GET',
          `/networks/${encodeURIComponent(nameOrId)}`,
          { query: { scope: 'swarm' } },
        );
        return network.Id ?? network.ID ?? nameOrId;
      } catch (error) {
        if (isNotFound(error))
          throw new DaemonError(`Error: No such network: ${nameOrId}`, 404, '');
        throw error;
      }
    },
    secrets: (requested) => references('secret', requested),
    configs: (requested) => references('config', requested),
  };
}
