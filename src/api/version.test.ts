import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareVersions,
  minVersion,
  negotiateVersion,
  splitVersionPrefix,
  versionAtLeast,
} from './version.ts';

test('versions compare numerically, segment by segment, like moby', () => {
  assert.equal(compareVersions('1.9', '1.12'), -1);
  assert.equal(compareVersions('1.41', '1.41'), 0);
  assert.equal(compareVersions('1.41.0', '1.41'), 0);
  assert.equal(compareVersions('2', '1.99'), 1);
  assert.equal(compareVersions('1.x', '1.0'), 0);
  assert.ok(versionAtLeast('1.41', '1.30'));
  assert.ok(!versionAtLeast('1.29', '1.30'));
  assert.equal(minVersion('1.43', '1.41'), '1.41');
  assert.equal(minVersion('1.24', '1.41'), '1.24');
});

test('negotiation accepts [min, max] and defaults to max', () => {
  assert.equal(negotiateVersion(undefined, '1.12', '1.41'), '1.41');
  assert.equal(negotiateVersion('1.12', '1.12', '1.41'), '1.12');
  assert.throws(() => negotiateVersion('1.42', '1.12', '1.41'), {
    name: 'BadRequestError',
    message: 'client version 1.42 is too new. Maximum supported API version is 1.41',
  });
  assert.throws(() => negotiateVersion('1.5', '1.12', '1.41'), /client version 1\.5 is too old/);
});

test('the /v{version:[0-9.]+} prefix is split off the path', () => {
  assert.deepEqual(splitVersionPrefix('/v1.41/nodes/x'), { version: '1.41', path: '/nodes/x' });
  assert.deepEqual(splitVersionPrefix('/nodes'), { version: undefined, path: '/nodes' });
  assert.deepEqual(splitVersionPrefix('/volumes'), { version: undefined, path: '/volumes' });
  assert.deepEqual(splitVersionPrefix('/v1.41'), { version: undefined, path: '/v1.41' });
  assert.deepEqual(splitVersionPrefix('/vx/_ping'), { version: undefined, path: '/vx/_ping' });
});
