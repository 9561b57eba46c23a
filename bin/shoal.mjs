#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'shoal.mjs');
if (!existsSync(bundle)) {
  console.error('shoal: the CLI is not built yet; run `npm run build` in the project first');
  process.exit(1);
}
await import(bundle);
