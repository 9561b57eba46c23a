import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subcommandOf } from './program.ts';

test('subcommandOf: the first operand past the global -H/--host option', () => {
  assert.equal(subcommandOf(['daemon', '--data-dir', '/tmp/x']), 'daemon');
  assert.equal(subcommandOf(['-H', 'unix:///run/a.sock', 'daemon']), 'daemon');
  assert.equal(subcommandOf(['--host', 'unix:///run/a.sock', 'daemon']), 'daemon');
  assert.equal(subcommandOf(['--host=unix:///run/a.sock', 'daemon']), 'daemon');
  assert.equal(subcommandOf(['-Hunix:///run/a.sock', 'daemon']), 'daemon');
  assert.equal(subcommandOf(['node', 'ls']), 'node');
  // The socket given to -H is its value, not the subcommand.
  assert.equal(subcommandOf(['-H', 'daemon', 'node', 'ls']), 'node');
});

test('subcommandOf: undefined when another option or nothing comes first', () => {
  assert.equal(subcommandOf([]), undefined);
  assert.equal(subcommandOf(['--help']), undefined);
  assert.equal(subcommandOf(['--version', 'daemon']), undefined);
  assert.equal(subcommandOf(['-v']), undefined);
  assert.equal(subcommandOf(['--', 'daemon']), undefined);
  assert.equal(subcommandOf(['-H']), undefined);
});
