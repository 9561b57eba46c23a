#!/usr/bin/env node
// Runs every *.test.ts under src/, bench/ and test/ with node:test through tsx.
// Extra arguments are passed to node (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = process.argv.slice(2).filter((a) => a.endsWith('.ts'));
const flags = process.argv.slice(2).filter((a) => !a.endsWith('.ts'));
const tests =
  files.length > 0
    ? files
    : ['src', 'bench', 'test'].flatMap((d) => {
        try {
          return findTests(join(root, d), []);
        } catch {
          return [];
        }
      });
tests.sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...flags, ...tests],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
