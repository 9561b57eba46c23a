// /secrets and /configs over a real API server on a unix socket, backed by a one-member manager:
// Docker's JSON shapes and statuses, secret data never answered, config data answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { singleManager } from '../../manager/test-support.ts';
import { withApi } from './test-support.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

test('secrets: create, list, inspect without data, update labels, delete', async (t) => {
  const cluster = await singleManager(t);
  await withApi(t, { cluster }, async (call) => {
    const created = await call('POST', '/v1.41/secrets/create', {
      Name: 'db_pass',
      Labels: { env: 'prod' },
      Data: b64('hunter2'),
    });
    assert.equal(created.status, 201, created.body);
    const { ID } = created.json();
    assert.match(ID, /^id0+1$/);

    const conflict = await call('POST', '/secrets/create', { Name: 'db_pass', Data: b64('x') });
    assert.equal(conflict.status, 409);
    assert.deepEqual(conflict.json(), {
      message: 'rpc error: code = AlreadyExists desc = secret db_pass already exists',
    });
    const empty = await call('POST', '/secrets/create', { Name: 'nothing' });
    assert.equal(empty.status, 400);

    for (const path of [`/secrets/${ID}`, '/secrets/db_pass', `/secrets/${ID.slice(0, 4)}`]) {
      const inspected = await call('GET', path);
      assert.equal(inspected.status, 200);
      const secret = inspected.json();
      assert.deepEqual(Object.keys(secret), ['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Spec']);
      assert.deepEqual(secret.Spec, { Name: 'db_pass', Labels: { env: 'prod' } });
      assert.ok(!inspected.body.includes(b64('hunter2')));
    }
    const missing = await call('GET', '/secrets/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { message: 'secret nope not found' });

    const listed = await call(
      'GET',
      `/secrets?filters=${encodeURIComponent('{"label":{"env=prod":true}}')}`,
    );
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.json().map((s: { Spec: { Name: string } }) => s.Spec.Name),
      ['db_pass'],
    );
    assert.ok(!listed.body.includes(b64('hunter2')));
    const none = await call('GET', `/secrets?filters=${encodeURIComponent('{"names":["db"]}')}`);
    assert.deepEqual(none.json(), []);
    const badFilter = await call('GET', `/secrets?filters=${encodeURIComponent('{"mode":["x"]}')}`);
    assert.equal(badFilter.status, 400);
    assert.deepEqual(badFilter.json(), { message: "invalid filter 'mode'" });

    const version = (await call('GET', `/secrets/${ID}`)).json().Version.Index;
    const noVersion = await call('POST', `/secrets/${ID}/update`, { Name: 'db_pass' });
    assert.equal(noVersion.status, 400);
    assert.deepEqual(noVersion.json(), { message: 'invalid secret version' });
    const dataChange = await call('POST', `/secrets/${ID}/update?version=${version}`, {
      Name: 'db_pass',
      Data: b64('other'),
    });
    assert.equal(dataChange.status, 400);
    assert.deepEqual(dataChange.json(), {
      message: 'rpc error: code = InvalidArgument desc = only updates to Labels are allowed',
    });
    const updated = await call('POST', `/secrets/${ID}/update?version=${version}`, {
      Name: 'db_pass',
      Labels: { env: 'test' },
    });
    assert.equal(updated.status, 200, updated.body);
    const stale = await call('POST', `/secrets/${ID}/update?version=${version}`, {
      Name: 'db_pass',
      Labels: {},
    });
    assert.equal(stale.status, 409);
    assert.deepEqual((await call('GET', `/secrets/${ID}`)).json().Spec.Labels, { env: 'test' });

    const removed = await call('DELETE', '/secrets/db_pass');
    assert.equal(removed.status, 204);
    assert.equal((await call('DELETE', `/secrets/${ID}`)).status, 404);
  });
});

test('configs: data answered, templating kept', async (t) => {
  const cluster = await singleManager(t);
  await withApi(t, { cluster }, async (call) => {
    const created = await call('POST', '/configs/create', {
      Name: 'app.conf',
      Data: b64('port={{ env "PORT" }}'),
      Templating: { Name: 'golang' },
    });
    assert.equal(created.status, 201, created.body);
    const config = (await call('GET', '/configs/app.conf')).json();
    assert.deepEqual(config.Spec, {
      Name: 'app.conf',
      Labels: {},
      Data: b64('port={{ env "PORT" }}'),
      Templating: { Name: 'golang' },
    });
    const listed = (await call('GET', '/configs')).json();
    assert.equal(listed[0].Spec.Data, b64('port={{ env "PORT" }}'));
    const badDriver = await call('POST', '/configs/create', {
      Name: 'x',
      Data: b64('x'),
      Templating: { Name: 'mustache' },
    });
    assert.equal(badDriver.status, 400);
  });
});

test("on a node that is no manager, Docker's 503", async (t) => {
  await withApi(t, { state: 'inactive' }, async (call) => {
    for (const path of ['/secrets', '/configs']) {
      const response = await call('GET', path);
      assert.equal(response.status, 503);
      assert.match(response.json().message, /^This node is not a swarm manager/);
    }
  });
});
