import assert from 'node:assert/strict';
import { test } from 'node:test';
import { empty, json, Router, text } from './router.ts';

const ok = () => empty();

test('routes match method and path, with named parameters', () => {
  const router = new Router()
    .get('/nodes', ok)
    .get('/nodes/{id}', ok)
    .post('/services/{id}/update', ok)
    .get('/distribution/{name:.*}/json', ok);
  assert.deepEqual(router.match('GET', '/nodes/abc')?.rawParams, { id: 'abc' });
  assert.equal(router.match('GET', '/nodes')?.route.path, '/nodes');
  assert.deepEqual(router.match('POST', '/services/s1/update')?.rawParams, { id: 's1' });
  assert.deepEqual(router.match('GET', '/distribution/library/busybox:1/json')?.rawParams, {
    name: 'library/busybox:1',
  });
  assert.equal(router.match('GET', '/nodes/a/b'), undefined);
  assert.equal(router.match('GET', '/nodes/'), undefined);
  assert.equal(router.match('DELETE', '/nodes/abc'), undefined);
  assert.equal(router.match('GET', '/services/s1/update'), undefined);
});

test('literal parts are not regular expressions', () => {
  const router = new Router().get('/a.b', ok);
  assert.ok(router.match('GET', '/a.b'));
  assert.equal(router.match('GET', '/aXb'), undefined);
});

test('bad or duplicate routes are refused', () => {
  assert.throws(() => new Router().get('/x', ok).get('/x', ok), /registered twice/);
  assert.throws(() => new Router().get('nodes', ok), /must start with/);
  assert.throws(() => new Router().get('/a/{id}/{id}', ok), /repeated parameter/);
  assert.throws(() => new Router().get('/a/{id', ok), /unclosed/);
});

test('response helpers', () => {
  assert.deepEqual(json(200, { a: 1 }), { kind: 'json', status: 200, body: { a: 1 } });
  assert.deepEqual(empty(), { kind: 'empty', status: 204 });
  assert.deepEqual(text(200, 'OK'), {
    kind: 'text',
    status: 200,
    body: 'OK',
    contentType: 'text/plain; charset=utf-8',
  });
});
