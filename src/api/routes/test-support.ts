// For route tests: the API's routes on a unix socket in a temp dir, over a given control (a
// real one-member manager, usually), and a way to call them; closed when the test ends.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createApiServer } from '../server.ts';
import { rawRequest, withTempDir } from '../test-util.ts';
import type { SwarmControl } from './control.ts';
import { buildRoutes } from './index.ts';

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in assertions
export type Json = any;

export interface Answer {
  status: number;
  body: string;
  json: () => Json;
  /** The error body's message ('' when none). */
  message: string;
}

/** `body`: a value sent as JSON, or a string sent as it is (malformed input). */
export type Call = (method: string, path: string, body?: unknown) => Promise<Answer>;

export async function withApi(
  t: TestContext,
  control: Partial<SwarmControl>,
  run: (call: Call) => Promise<void>,
  idPrefix = 'id',
): Promise<void> {
  await withTempDir(async (dir) => {
    let n = 0;
    const routes = buildRoutes(
      { state: 'active', identity: null, cluster: null, ...control } as SwarmControl,
      {
        name: 'test',
        version: '0.0.0',
        dataDir: dir,
        newId: () => `${idPrefix}${String(++n).padStart(25 - idPrefix.length, '0')}`,
      },
    );
    const server = createApiServer({ routes, info: { version: '0.0.0' } });
    const socket = join(dir, 'api.sock');
    await server.listenUnix(socket);
    t.after(() => server.close());
    await run(async (method, path, body) => {
      const response = await rawRequest(socket, method, path, {
        ...(body === undefined
          ? {}
          : {
              body: typeof body === 'string' ? body : JSON.stringify(body),
              headers: { 'Content-Type': 'application/json' },
            }),
      });
      let message = '';
      try {
        message = (JSON.parse(response.body) as { message?: string }).message ?? '';
      } catch {
        message = '';
      }
      return {
        status: response.status,
        body: response.body,
        json: () => JSON.parse(response.body),
        message,
      };
    });
  });
}
