// `shoal secret ...` and (through registerFileObjectCommands) `shoal config ...`: docker's
// verbs and flags registered on commander; the bodies are in secret-commands.ts.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  type CommandIo,
  type FileObjectKind,
  runCreate,
  runInspect,
  runList,
  runRemove,
} from './secret-commands.ts';
import { withServiceDaemon } from './service/api.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

function host(command: Command): string | undefined {
  return command.optsWithGlobals().host;
}

function processIo(): CommandIo {
  return { out: (text) => process.stdout.write(text), now: Date.now };
}

const WORDS: Record<FileObjectKind, { manage: string; plural: string; create: string }> = {
  secret: {
    manage: 'Manage Swarm secrets',
    plural: 'secrets',
    create: 'Create a secret from a file or STDIN as content',
  },
  config: {
    manage: 'Manage Swarm configs',
    plural: 'configs',
    create: 'Create a config from a file or STDIN',
  },
};

/** Registers `create`, `inspect`, `ls` and `rm` of one kind. */
export function registerFileObjectCommands(program: Command, kind: FileObjectKind): void {
  const words = WORDS[kind];
  const group = program.command(kind).description(words.manage);

  const create = group
    .command('create')
    .description(words.create)
    .argument(`<${kind}>`)
    .option('-l, --label <label>', `${capitalize(kind)} labels`, collect, [])
    .option('--template-driver <driver>', 'Template driver');
  if (kind === 'secret') {
    create.argument('[file|-]').option('-d, --driver <driver>', 'Secret driver');
  } else {
    create.argument('<file|->');
  }
  create.action(async (name: string, file: string | undefined, flags, command: Command) => {
    await withServiceDaemon(host(command), (daemon) =>
      runCreate(
        daemon,
        kind,
        name,
        file,
        {
          labels: flags.label as string[],
          ...(flags.templateDriver ? { templateDriver: flags.templateDriver as string } : {}),
          ...(flags.driver ? { driver: flags.driver as string } : {}),
          stdin: () => readFileSync(0),
        },
        processIo(),
      ),
    );
  });

  group
    .command('inspect')
    .description(`Display detailed information on one or more ${words.plural}`)
    .argument(`<${kind}...>`)
    .option('-f, --format <template>', 'Format the output using the given Go template')
    .option('--pretty', 'Print the information in a human friendly format')
    .action(async (references: string[], flags, command: Command) => {
      await withServiceDaemon(host(command), (daemon) =>
        runInspect(
          daemon,
          kind,
          references,
          { pretty: flags.pretty === true, ...(flags.format ? { format: flags.format } : {}) },
          processIo(),
        ),
      );
    });

  group
    .command('ls')
    .alias('list')
    .description(`List ${words.plural}`)
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <template>', `Pretty-print ${words.plural} using a Go template`)
    .option('-q, --quiet', 'Only display IDs')
    .action(async (flags, command: Command) => {
      await withServiceDaemon(host(command), (daemon) =>
        runList(
          daemon,
          kind,
          {
            quiet: flags.quiet === true,
            filters: flags.filter as string[],
            ...(flags.format ? { format: flags.format } : {}),
          },
          processIo(),
        ),
      );
    });

  group
    .command('rm')
    .alias('remove')
    .description(`Remove one or more ${words.plural}`)
    .argument(`<${kind}...>`)
    .action(async (references: string[], _flags, command: Command) => {
      await withServiceDaemon(host(command), (daemon) =>
        runRemove(daemon, kind, references, processIo()),
      );
    });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function registerSecret(program: Command): void {
  registerFileObjectCommands(program, 'secret');
}
