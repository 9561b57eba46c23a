// Bad requests to /networks, /secrets and /configs over a real API server and a one-member
// manager: malformed JSON, bodies that are no spec, oversized bodies, unknown IDs, missing or
// stale versions. Each gets Docker's status and a message naming the problem, and nothing in
// the store changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterState } from '../../manager/index.ts';
import { managerWithIngress } from '../../manager/networks/test-support.ts';
import { DEFAULT_BODY_BYTES_MAX } from '../request.ts';
import { withApi } from './test-support.ts';

/** Every object of the three tables, with its version, to show that nothing changed. */
function snapshot(cluster: ClusterState): string {
  const store = cluster.store;
  return JSON.stringify(
    (['networks', 'secrets', 'configs'] as const).map((table) =>
      store.list(table).map((object) => [object.ID, object.Version.Index]),
    ),
  );
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

test('networks, secrets, configs: bad input gets Docker statuses and changes nothing', async (t) => {
  const cluster = await managerWithIngress(t);
  await withApi(t, { cluster }, async (send) => {
    const secret = await send(
      'POST',
      '/v1.41/secrets/create',
      JSON.stringify({ Name: 's', Data: b64('a') }),
    );
    const config = await send(
      'POST',
      '/v1.41/configs/create',
      JSON.stringify({ Name: 'c', Data: b64('a') }),
    );
    const network = await send('POST', '/v1.41/networks/create', JSON.stringify({ Name: 'n' }));
    assert.deepEqual([secret.status, config.status, network.status], [201, 201, 201]);
    const before = snapshot(cluster);
    const oversized = JSON.stringify({ Name: 'big', Data: 'A'.repeat(DEFAULT_BODY_BYTES_MAX) });

    const cases: [string, string, string | undefined, number, RegExp][] = [
      // Malformed JSON: where the parser stopped.
      [
        'POST',
        '/networks/create',
        '{"Name":',
        400,
        /^malformed JSON in request body at line 1, column 9/,
      ],
      [
        'POST',
        '/secrets/create',
        '{"Name":"x",}',
        400,
        /^malformed JSON in request body at line 1/,
      ],
      ['POST', '/configs/create', '{"Name" "x"}', 400, /^malformed JSON in request body/],
      ['POST', '/secrets/s/update?version=1', '{"Labels":', 400, /^malformed JSON/],
      // Bodies that are no spec.
      [
        'POST',
        '/networks/create',
        '[]',
        400,
        /a network create request \(a JSON object\) is required/,
      ],
      ['POST', '/secrets/create', '"text"', 400, /^a secret spec \(a JSON object\) is required$/],
      ['POST', '/configs/create', '[1]', 400, /^a config spec \(a JSON object\) is required$/],
      ['POST', '/secrets/create', undefined, 400, /^a secret spec \(a JSON object\) is required$/],
      ['POST', '/networks/create', '{"Name":5}', 400, /Name must be a string/],
      [
        'POST',
        '/secrets/create',
        '{"Name":"x","Data":"not base64!"}',
        400,
        /secret Data must be base64/,
      ],
      // Oversized bodies: refused before any of it is read as a spec.
      [
        'POST',
        '/networks/create',
        oversized,
        400,
        /^request body too large \(limit 1048576 bytes\)$/,
      ],
      ['POST', '/secrets/create', oversized, 400, /^request body too large/],
      ['POST', '/configs/create', oversized, 400, /^request body too large/],
      // Unknown IDs.
      ['GET', '/networks/nope', undefined, 404, /^network nope not found$/],
      ['DELETE', '/networks/nope', undefined, 404, /^network nope not found$/],
      ['GET', '/secrets/nope', undefined, 404, /^secret nope not found$/],
      ['DELETE', '/secrets/nope', undefined, 404, /^secret nope not found$/],
      ['POST', '/secrets/nope/update?version=1', '{}', 404, /^secret nope not found$/],
      ['GET', '/configs/nope', undefined, 404, /^config nope not found$/],
      ['DELETE', '/configs/nope', undefined, 404, /^config nope not found$/],
      // Missing, malformed and stale versions.
      ['POST', '/secrets/s/update', '{"Name":"s"}', 400, /^invalid secret version$/],
      ['POST', '/configs/c/update?version=x', '{"Name":"c"}', 400, /^invalid config version$/],
      [
        'POST',
        '/secrets/s/update?version=999',
        JSON.stringify({ Name: 's', Labels: { changed: 'yes' } }),
        409,
        /update out of sequence/,
      ],
      [
        'POST',
        '/configs/c/update?version=999',
        JSON.stringify({ Name: 'c', Data: b64('a'), Labels: { changed: 'yes' } }),
        409,
        /update out of sequence/,
      ],
      // Networks have no update endpoint, as in Docker.
      ['POST', '/networks/n/update', '{}', 404, /^page not found$/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await send(method, `/v1.41${path}`, body);
      const what = `${method} ${path}: ${answer.body.slice(0, 200)}`;
      assert.equal(answer.status, status, what);
      assert.match(answer.message, message, what);
    }
    assert.equal(snapshot(cluster), before, 'nothing changed');
  });
});
