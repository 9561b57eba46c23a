// The built CLI under a reader that goes away: it ends as docker's does on SIGPIPE, quietly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BUILT_CLI } from '../src/testkit/index.ts';

test('a closed stdout ends the command with 141 and no error output', async () => {
  const child = spawn(process.execPath, [BUILT_CLI, 'service', 'create', '--help'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Closed before the command writes anything, so its first write meets a broken pipe.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(code, 141);
});
