import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tarArchive } from './netns-docker.ts';

test('tarArchive writes files tar reads back with their content and mode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = '#!/bin/sh\necho hi\n';
  const large = Buffer.alloc(1500, 'x');
  const archive = join(dir, 'context.tar');
  writeFileSync(
    archive,
    tarArchive({
      'run.sh': { content: script, mode: 0o755 },
      data: { content: large },
      empty: { content: '' },
    }),
  );
  assert.equal(
    execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }),
    'run.sh\ndata\nempty\n',
  );
  execFileSync('tar', ['-xpf', archive, '-C', dir]);
  assert.equal(readFileSync(join(dir, 'run.sh'), 'utf8'), script);
  assert.equal(statSync(join(dir, 'run.sh')).mode & 0o777, 0o755);
  assert.deepEqual(readFileSync(join(dir, 'data')), large);
  assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o644);
  assert.equal(readFileSync(join(dir, 'empty'), 'utf8'), '');
});

test('tarArchive refuses a name longer than a ustar header holds', () => {
  assert.throws(
    () => tarArchive({ ['d/'.repeat(60)]: { content: 'x' } }),
    /build context file name d\/d\/.* is longer than 100 bytes/,
  );
});
