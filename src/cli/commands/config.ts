// `shoal config ...`: docker's config verbs (create NAME FILE|- [--template-driver golang],
// inspect [--pretty], ls, rm), sharing their bodies with `shoal secret` (secret-commands.ts).
import type { Command } from 'commander';
import { registerFileObjectCommands } from './secret.ts';

export function registerConfig(program: Command): void {
  registerFileObjectCommands(program, 'config');
}
