// The compose corpus: every valid case's files must give exactly its expected.json; every
// invalid case must fail with exactly the message in its .error file. Cases live in testdata/:
//   valid/<case>/compose.yml (+ case.json: {stack, env, files}, .env, env files, secret files)
//   invalid/<case>.yml with invalid/<case>.error (<case>.txt for text that is not even YAML, so
//   that the formatter leaves it alone)
// Files are read from the case's directory, presented as if it were /srv/stack, so expected
// outputs hold the same absolute paths on every machine. `UPDATE_GOLDEN=1` rewrites the
// expected.json files (review the diff before committing).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ComposeError, loadStack } from './index.ts';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const WORKING_DIR = '/srv/stack';

interface CaseOptions {
  stack?: string;
  env?: Record<string, string>;
  files?: string[];
}

function loadCase(directory: string, files: string[], options: CaseOptions) {
  const environment = options.env ?? {};
  return loadStack({
    stack: options.stack ?? 'demo',
    files: files.map((name) => ({ name, text: readFileSync(join(directory, name), 'utf8') })),
    workingDir: WORKING_DIR,
    environment: (name) => environment[name],
    readFile: (path) => {
      const local = join(directory, relative(WORKING_DIR, path));
      if (relative(WORKING_DIR, path).startsWith('..') || !existsSync(local)) return undefined;
      return readFileSync(local);
    },
  });
}

describe('compose corpus: valid files', () => {
  const root = join(TESTDATA, 'valid');
  for (const name of readdirSync(root).sort()) {
    it(name, () => {
      const directory = join(root, name);
      const casePath = join(directory, 'case.json');
      const options: CaseOptions = existsSync(casePath)
        ? JSON.parse(readFileSync(casePath, 'utf8'))
        : {};
      const result = loadCase(directory, options.files ?? ['compose.yml'], options);
      const actual = JSON.parse(JSON.stringify(result));
      const expectedPath = join(directory, 'expected.json');
      if (process.env.UPDATE_GOLDEN === '1') {
        writeFileSync(expectedPath, `${JSON.stringify(actual, null, 2)}\n`);
      }
      assert.deepEqual(actual, JSON.parse(readFileSync(expectedPath, 'utf8')));
    });
  }
});

describe('compose corpus: invalid files', () => {
  const root = join(TESTDATA, 'invalid');
  const files = readdirSync(root);
  const cases = files
    .filter((file) => file.endsWith('.error'))
    .map((error) => {
      const input = files.find(
        (file) =>
          /\.(yml|txt)$/.test(file) &&
          file.replace(/\.[^.]+$/, '') === error.replace(/\.error$/, ''),
      );
      assert.ok(input, `${error} has no input file beside it`);
      return input;
    })
    .sort();
  for (const file of cases) {
    it(file, () => {
      const expected = readFileSync(
        join(root, file.replace(/\.[^.]+$/, '.error')),
        'utf8',
      ).trimEnd();
      assert.throws(
        () => loadCase(root, [file], { env: { HOME: '/home/user' } }),
        (error: unknown) => {
          assert.ok(error instanceof ComposeError, `not a ComposeError: ${String(error)}`);
          assert.equal(error.message, expected);
          return true;
        },
      );
    });
  }
});
