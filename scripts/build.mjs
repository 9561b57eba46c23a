#!/usr/bin/env node
// Bundles the CLI into one ESM file so `shoal` starts without resolving hundreds of modules.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: { shoal: join(root, 'src/cli/main.ts') },
  outdir: join(root, 'dist'),
  // The daemon's code is a chunk loaded on demand: client commands start without it.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  define: { SHOAL_VERSION: JSON.stringify(pkg.version) },
  // CommonJS dependencies (grpc-js, pino) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __shoalCreateRequire } from 'node:module'; const require = __shoalCreateRequire(import.meta.url);",
  },
});
