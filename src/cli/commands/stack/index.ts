// `shoal stack ...`: docker's stack verbs (deploy, ls, ps, rm, services) registered on
// commander. Parsing only: deploy.ts and list.ts hold the verbs' bodies, the compose loader
// (src/compose) turns the files into specs.
import type { Command } from 'commander';
import { ComposeError } from '../../../compose/index.ts';
import { CliError } from '../../connection.ts';
import { type CommandIo, withServiceDaemon } from '../service/index.ts';
import { runDeploy, runRemove } from './deploy.ts';
import { loadStackFiles } from './files.ts';
import { runStackList, runStackPs, runStackServices } from './list.ts';
import { RESOLVE_IMAGE_MODES, type ResolveImage } from './plan.ts';

export { dependencyStatus } from './dependencies.ts';
export { type DeployOptions, runDeploy, runRemove } from './deploy.ts';
export { runStackList, runStackPs, runStackServices, stacksOf } from './list.ts';
export { canonical, planServices, sameSpec, servicesToPrune } from './plan.ts';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

const daemonHost = (command: Command) => rootOf(command).opts().host as string | undefined;

function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    terminal: process.stdout.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    now: Date.now,
  };
}

/** docker's validateStackName. */
function checkStackName(name: string): string {
  if (name.trim() === '') throw new CliError(`invalid stack name: "${name}"`);
  return name;
}

function resolveImageOf(value: string): ResolveImage {
  if ((RESOLVE_IMAGE_MODES as readonly string[]).includes(value)) return value as ResolveImage;
  throw new CliError(`Invalid option ${value} for flag --resolve-image`);
}

interface DeployFlags {
  composeFile?: string[];
  prune?: boolean;
  resolveImage: string;
  detach?: boolean;
  quiet?: boolean;
}

interface PsFlags {
  quiet?: boolean;
  trunc: boolean;
  resolve: boolean;
  format?: string;
  filter?: string[];
}

export function registerStack(program: Command): void {
  const stack = program.command('stack').description('Manage Swarm stacks');

  stack
    .command('deploy')
    .alias('up')
    .description('Deploy a new stack or update an existing stack')
    .argument('<stack>')
    .option(
      '-c, --compose-file <strings>',
      'Path to a Compose file, or "-" to read from stdin',
      collect,
    )
    .option('--prune', 'Prune services that are no longer referenced')
    .option(
      '--resolve-image <string>',
      'Query the registry to resolve image digest and supported platforms ("always"|"changed"|"never")',
      'always',
    )
    .option('--with-registry-auth', 'Send registry authentication details to Swarm agents')
    .option(
      '-d, --detach',
      'Exit immediately instead of waiting for the stack services to converge',
    )
    .option('-q, --quiet', 'Suppress progress output')
    .action(async (name: string, flags: DeployFlags, command: Command) => {
      checkStackName(name);
      const resolveImage = resolveImageOf(flags.resolveImage);
      let deployment: Awaited<ReturnType<typeof loadStackFiles>>;
      try {
        deployment = await loadStackFiles(
          name,
          flags.composeFile ?? [],
          process.stdin,
          process.env,
          process.cwd(),
        );
      } catch (error) {
        if (error instanceof ComposeError) throw new CliError(error.message);
        throw error;
      }
      await withServiceDaemon(daemonHost(command), (daemon) =>
        runDeploy(
          daemon,
          deployment,
          {
            prune: flags.prune === true,
            resolveImage,
            detach: flags.detach === true,
            quiet: flags.quiet === true,
          },
          processIo(),
        ),
      );
    });

  stack
    .command('ls')
    .alias('list')
    .description('List stacks')
    .option('--format <string>', 'Format output using a custom template')
    .action(async (flags: { format?: string }, command: Command) => {
      await withServiceDaemon(daemonHost(command), (daemon) =>
        runStackList(daemon, flags.format, processIo()),
      );
    });

  stack
    .command('ps')
    .description('List the tasks in the stack')
    .argument('<stack>')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-resolve', 'Do not map IDs to Names')
    .option('--no-trunc', 'Do not truncate output')
    .option('-q, --quiet', 'Only display task IDs')
    .action(async (name: string, flags: PsFlags, command: Command) => {
      checkStackName(name);
      await withServiceDaemon(daemonHost(command), (daemon) =>
        runStackPs(
          daemon,
          name,
          {
            quiet: flags.quiet === true,
            noTrunc: flags.trunc === false,
            noResolve: flags.resolve === false,
            ...(flags.format ? { format: flags.format } : {}),
            filters: flags.filter ?? [],
          },
          processIo(),
        ),
      );
    });

  stack
    .command('rm')
    .aliases(['remove', 'down'])
    .description('Remove one or more stacks')
    .argument('<stack...>')
    .option('-d, --detach', 'Do not wait for stack removal (the default)')
    .action(async (names: string[], _flags, command: Command) => {
      for (const name of names) checkStackName(name);
      await withServiceDaemon(daemonHost(command), (daemon) =>
        runRemove(daemon, names, processIo()),
      );
    });

  stack
    .command('services')
    .description('List the services in the stack')
    .argument('<stack>')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only display IDs')
    .action(
      async (
        name: string,
        flags: { quiet?: boolean; format?: string; filter?: string[] },
        command: Command,
      ) => {
        checkStackName(name);
        await withServiceDaemon(daemonHost(command), (daemon) =>
          runStackServices(
            daemon,
            name,
            {
              quiet: flags.quiet === true,
              ...(flags.format ? { format: flags.format } : {}),
              filters: flags.filter ?? [],
            },
            processIo(),
          ),
        );
      },
    );
}
