// How CLI commands reach their daemon: -H/--host or SHOAL_HOST (as docker's DOCKER_HOST),
// default unix:///run/shoal/shoal.sock. Errors from the daemon are printed as docker prints
// them and end the command with docker's exit code (1).
import { ApiClient, type ApiClientResponse } from '../api/index.ts';

export const DEFAULT_SOCKET = '/run/shoal/shoal.sock';

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function socketPathOf(host: string | undefined): string {
  const value = host || process.env.SHOAL_HOST || `unix://${DEFAULT_SOCKET}`;
  if (value.startsWith('unix://')) return value.slice('unix://'.length);
  if (value.startsWith('/')) return value;
  throw new CliError(
    `unsupported host "${value}": use unix:///path/to/shoal.sock (TCP with TLS comes later)`,
  );
}

export class Connection {
  private readonly client: ApiClient;

  constructor(private readonly socketPath: string) {
    this.client = new ApiClient({ socketPath, timeoutMs: 120_000 });
  }

  async call<T = unknown>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { query?: Record<string, string | number | boolean | undefined>; body?: unknown } = {},
  ): Promise<T> {
    let response: ApiClientResponse;
    try {
      response = await this.client.request(method, path, options);
    } catch (error) {
      throw connectionError(error, this.socketPath);
    }
    if (response.status >= 400) {
      let message = response.text();
      try {
        message = response.json<{ message: string }>().message;
      } catch {
        // Not JSON: show the body as it is.
      }
      throw new CliError(`Error response from daemon: ${message}`);
    }
    if (response.body.length === 0) return undefined as T;
    return response.json<T>();
  }

  close(): void {
    this.client.close();
  }
}

/** Runs a command body with a connection, closing it afterwards. */
export async function withDaemon<T>(
  host: string | undefined,
  run: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = new Connection(socketPathOf(host));
  try {
    return await run(connection);
  } finally {
    connection.close();
  }
}

/** A failure to reach the daemon, worded as docker words it; other errors pass through. */
export function connectionError(error: unknown, socketPath: string): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new CliError(
      `Cannot connect to the Shoal daemon at unix://${socketPath}. Is the shoal daemon running?`,
    );
  }
  if (code === 'EACCES') {
    return new CliError(
      `Got permission denied while trying to connect to the Shoal daemon socket at unix://${socketPath}`,
    );
  }
  return error;
}
