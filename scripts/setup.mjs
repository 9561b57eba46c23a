#!/usr/bin/env node
// Idempotent set-up for a fresh machine (root, Node.js, npm, Debian apt): installs the npm
// dependencies when the lock file changed, and the Debian packages named with --apt.
// Only node: built-ins here, because it runs before node_modules exists.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function ensureNpmDependencies() {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = join(root, 'node_modules', '.shoal-setup');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  // Not `npm ci`: the lock file lacks the optional platform packages of other systems (the
  // registry reachable here does not serve them), which `npm ci` refuses; `npm install`
  // follows the lock for everything this machine needs.
  run('npm', ['install', '--include=dev', '--no-audit', '--no-fund', '--loglevel=error']);
  writeFileSync(stamp, digest);
}

function isInstalled(pkg) {
  try {
    // dpkg's own format placeholder, not a JavaScript template.
    const format = ['-f=$', '{Status}'].join('');
    const out = execFileSync('dpkg-query', ['-W', format, pkg], { encoding: 'utf8' });
    return out.includes('install ok installed');
  } catch {
    return false;
  }
}

function ensureAptPackages(packages) {
  const missing = packages.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`setup: needs root to install Debian packages: ${missing.join(' ')}`);
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

const args = process.argv.slice(2);
const apt = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--apt' && i + 1 < args.length) apt.push(...args[++i].split(',').filter(Boolean));
}
ensureNpmDependencies();
ensureAptPackages(apt);
