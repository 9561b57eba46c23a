// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are compose templates
// Property-based fuzzing of the compose loader: whatever the text (random characters,
// compose-shaped documents with random values, corrupted copies of the corpus), loading
// either answers a deployment or throws a ComposeError whose every issue names a file, a line
// and a column inside that file. Nothing else may escape (no TypeError, no RangeError, no
// hang). A failure prints fast-check's seed and the shrunk input to replay it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ComposeError, loadStack } from './index.ts';

const FILE = 'fuzz.yml';
/** `FUZZ_SCALE=20` runs twenty times as many cases (for a longer hunt than the suite's). */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
/**
 * The suite runs the same cases every time (a test that fails on some runs only is a flaky
 * test); `FUZZ_SEED=random` or `FUZZ_SEED=N` explores others, and a failure prints its seed.
 */
const SEED =
  process.env.FUZZ_SEED === 'random' ? {} : { seed: Number(process.env.FUZZ_SEED ?? 20261122) };

function checkLoads(text: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  try {
    loadStack({
      stack: 'fuzz',
      files: [{ name: FILE, text }],
      workingDir: '/srv/stack',
      environment: (name) => ({ TAG: '1', EMPTY: '' })[name],
      readFile: (path) => (path.endsWith('.txt') ? new TextEncoder().encode('data') : undefined),
    });
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    assert.ok(error.issues.length > 0, 'a ComposeError lists at least one issue');
    for (const issue of error.issues) {
      assert.equal(issue.at.file, FILE);
      assert.ok(Number.isInteger(issue.at.line) && issue.at.line >= 1, `line ${issue.at.line}`);
      assert.ok(issue.at.line <= lineCount + 1, `line ${issue.at.line} of ${lineCount}`);
      assert.ok(Number.isInteger(issue.at.column) && issue.at.column >= 1);
      assert.ok(issue.message.length > 0);
    }
    for (const line of error.message.split('\n')) {
      if (line.startsWith('... and ')) continue;
      assert.match(line, /^fuzz\.yml:\d+:\d+: /, 'every line of the message starts with a place');
    }
  }
}

const KEYS = [
  'version',
  'services',
  'networks',
  'volumes',
  'secrets',
  'configs',
  'web',
  'image',
  'command',
  'entrypoint',
  'environment',
  'ports',
  'deploy',
  'replicas',
  'mode',
  'resources',
  'limits',
  'cpus',
  'memory',
  'placement',
  'constraints',
  'update_config',
  'healthcheck',
  'test',
  'interval',
  'labels',
  'depends_on',
  'condition',
  'external',
  'name',
  'file',
  'target',
  'source',
  'published',
  'aliases',
  'driver',
  'ulimits',
  'devices',
  'x-ext',
  '<<',
];

const scalar = fc.oneof(
  fc.constantFrom(
    '3.8',
    'nginx',
    '80:80',
    '${TAG}',
    '${TAG:-x}',
    '$$',
    '${',
    '10s',
    '512M',
    '0.5',
    'service_healthy',
    'global',
    'secret.txt',
    '/data:/data',
    '',
  ),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 70000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);

const composeLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    tie('mapping'),
  ),
  mapping: fc.dictionary(
    fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })),
    tie('value'),
    { maxKeys: 5 },
  ),
}));

const corpusTexts = (() => {
  const root = fileURLToPath(new URL('./testdata/', import.meta.url));
  const texts: string[] = [];
  for (const kind of ['valid', 'invalid']) {
    for (const entry of readdirSync(join(root, kind), { withFileTypes: true })) {
      const path = join(root, kind, entry.name);
      if (entry.isDirectory()) texts.push(readFileSync(join(path, 'compose.yml'), 'utf8'));
      else if (/\.(yml|txt)$/.test(entry.name)) texts.push(readFileSync(path, 'utf8'));
    }
  }
  return texts;
})();

const edit = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 6 }),
  insert: fc.oneof(
    fc.constantFrom(
      ':',
      '-',
      '[',
      ']',
      '{',
      '}',
      '$',
      '"',
      "'",
      '\n',
      ' ',
      '#',
      '&a',
      '*a',
      '<<: ',
      '\t',
      '!tag ',
    ),
    fc.string({ maxLength: 4 }),
  ),
});

describe('compose fuzzing', () => {
  it('any text: a result or a ComposeError with places', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), checkLoads), {
      numRuns: 300 * SCALE,
      ...SEED,
    });
  });

  it('compose-shaped documents with random values', () => {
    fc.assert(
      fc.property(composeLike.mapping, (document) => checkLoads(stringify(document))),
      { numRuns: 300 * SCALE, ...SEED },
    );
  });

  it('corrupted copies of the corpus', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpusTexts),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (text, edits) => {
          let mutated = text;
          for (const { at, remove, insert } of edits) {
            const position = at % (mutated.length + 1);
            mutated = mutated.slice(0, position) + insert + mutated.slice(position + remove);
          }
          checkLoads(mutated);
        },
      ),
      { numRuns: 400 * SCALE, ...SEED },
    );
  });
});
