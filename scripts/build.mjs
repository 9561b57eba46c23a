#!/usr/bin/env node
// Bundles the CLI into one ESM file so `shoal` starts without resolving hundreds of modules.
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// dockerode reaches Docker over ssh through ssh2, which carries optional native addons. Shoal
// talks to the local engine's unix socket only, and a node must run without native code, so
// ssh2 is replaced by a stub that refuses ssh:// engines.
const noSsh = {
  name: 'no-ssh2',
  setup(plugin) {
    plugin.onResolve({ filter: /^ssh2$/ }, () => ({ path: 'ssh2', namespace: 'shoal-stub' }));
    plugin.onLoad({ filter: /.*/, namespace: 'shoal-stub' }, () => ({
      contents:
        "module.exports = { Client: class { constructor() { throw new Error('Shoal reaches Docker Engines on unix sockets only, not over ssh'); } } };",
      loader: 'js',
    }));
  },
};

// protobufjs uses the `long` library when it can load it, for 64-bit fields as Long objects.
// Shoal reads them as plain numbers (src/rpc/protos.ts), which protobufjs also does without
// it; and `long` instantiates a WebAssembly module as it loads, which brings V8's wasm compiler
// into every daemon (about a megabyte of memory for nothing). protobufjs is given none.
const protobufWithoutLong = {
  name: 'protobufjs-without-long',
  setup(plugin) {
    plugin.onResolve({ filter: /^long$/ }, (args) =>
      /[\\/]node_modules[\\/]protobufjs[\\/]/.test(args.importer)
        ? { path: 'long', namespace: 'shoal-no-long' }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'shoal-no-long' }, () => ({
      contents: 'module.exports = null;',
      loader: 'js',
    }));
  },
};

// grpc-js loads @grpc/proto-loader only to serve the channelz and ORCA services, from .proto
// files beside its own sources that a bundle does not have; Shoal adds neither service and
// builds its definitions itself (src/rpc/protos.ts). Left out, the loader stops bringing the
// full protobufjs (its .proto parser and descriptor types) into the daemon's chunks.
const grpcWithoutProtoLoader = {
  name: 'grpc-without-proto-loader',
  setup(plugin) {
    plugin.onResolve({ filter: /^@grpc\/proto-loader$/ }, (args) =>
      /[\\/]node_modules[\\/]@grpc[\\/]grpc-js[\\/]/.test(args.importer)
        ? { path: '@grpc/proto-loader', namespace: 'shoal-no-proto-loader' }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: 'shoal-no-proto-loader' }, () => ({
      contents:
        "module.exports = { loadSync() { throw new Error('Shoal serves no channelz or ORCA service: @grpc/proto-loader is not part of its bundle'); } };",
      loader: 'js',
    }));
  },
};

// Built beside dist, then moved in: daemons and tests already running keep loading the chunks
// they were started with (hash-named, so old and new never collide); chunks no build has
// written for an hour are pruned.
const dist = join(root, 'dist');
const staging = join(root, `.dist-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
await build({
  entryPoints: { shoal: join(root, 'src/cli/main.ts') },
  outdir: staging,
  // The daemon's code is a chunk loaded on demand: client commands start without it.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  // V8 holds every loaded chunk's source for as long as the process runs (functions compile
  // lazily from it): without indentation and comments a daemon holds about a third less (some
  // 0.7 MB). Names stay as written; lines stay short, so stack traces and the source line Node
  // prints with an uncaught error remain readable; the linked source maps
  // (`node --enable-source-maps`) lead back to src/.
  minifyWhitespace: true,
  lineLimit: 160,
  legalComments: 'none',
  logLevel: 'warning',
  define: { SHOAL_VERSION: JSON.stringify(pkg.version) },
  plugins: [noSsh, protobufWithoutLong, grpcWithoutProtoLoader],
  // CommonJS dependencies (grpc-js, pino) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __shoalCreateRequire } from 'node:module'; const require = __shoalCreateRequire(import.meta.url);",
  },
});

// V8 keeps the source of every loaded module in memory, one byte per character only when all
// of it is Latin-1: a single arrow in a comment doubles the size of a whole chunk in every
// daemon's heap. esbuild escapes non-ASCII characters in code (charset ascii, its default) but
// keeps the comments it preserves as written, so what is left is in comments, where an escape
// changes nothing; strings and regular expressions would read an escape as the same character.
for (const file of [
  'shoal.mjs',
  ...readdirSync(join(staging, 'chunks')).map((name) => join('chunks', name)),
]) {
  if (!file.endsWith('.mjs')) continue;
  const path = join(staging, file);
  const code = readFileSync(path, 'utf8');
  // Per UTF-16 unit (\uXXXX, surrogate pairs as two): the form every literal reads alike.
  const ascii = code.replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (ascii !== code) writeFileSync(path, ascii);
}

mkdirSync(join(dist, 'chunks'), { recursive: true });
const fresh = new Set(readdirSync(join(staging, 'chunks')));
cpSync(join(staging, 'chunks'), join(dist, 'chunks'), { recursive: true });
for (const file of ['shoal.mjs.map', 'shoal.mjs']) {
  renameSync(join(staging, file), join(dist, file));
}
rmSync(staging, { recursive: true, force: true });
const hourAgo = Date.now() - 3600_000;
for (const file of readdirSync(join(dist, 'chunks'))) {
  const path = join(dist, 'chunks', file);
  if (!fresh.has(file) && statSync(path).mtimeMs < hourAgo) rmSync(path, { force: true });
}
