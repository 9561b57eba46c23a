// Whether a Docker Engine answers on a unix socket, and its version: one `GET /version` with
// node:http, so a node without an engine never loads the Docker client (dockerode and its
// dependencies, over a megabyte of a daemon's memory); the docker runtime is imported only
// once an engine has answered.
import { request } from 'node:http';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Longest `/version` answer read; the engine's is well under 2 KiB. */
const VERSION_BODY_BYTES_MAX = 64 * 1024;

/**
 * The Docker Engine's version on `socketPath`, or null when nothing answers within
 * `timeoutMs` (no socket, nobody listening, or not an engine).
 */
export function probeDocker(
  socketPath: string = DEFAULT_DOCKER_SOCKET,
  timeoutMs = 2000,
): Promise<{ version: string } | null> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: { version: string } | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      resolve(answer);
    };
    const outgoing = request(
      { socketPath, path: '/version', method: 'GET', headers: { host: 'docker' }, agent: false },
      (response) => {
        if (response.statusCode !== 200) {
          finish(null);
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > VERSION_BODY_BYTES_MAX) finish(null);
          else chunks.push(chunk);
        });
        response.on('end', () => finish(versionOf(Buffer.concat(chunks).toString('utf8'))));
        response.on('error', () => finish(null));
      },
    );
    const timer = setTimeout(() => finish(null), timeoutMs);
    outgoing.on('error', () => finish(null));
    outgoing.end();
  });
}

/** The engine's `Version` from a `/version` body; null when the body is not an engine's. */
export function versionOf(body: string): { version: string } | null {
  try {
    const parsed = JSON.parse(body) as { Version?: unknown } | null;
    return typeof parsed?.Version === 'string' ? { version: parsed.Version } : null;
  } catch {
    return null;
  }
}
