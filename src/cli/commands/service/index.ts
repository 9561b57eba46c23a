// `shoal service ...`: docker's service verbs (create, inspect, logs, ls, ps, rm, rollback,
// scale, update) registered on commander. Parsing only: the verbs' bodies are in commands.ts
// and logs.ts, the flag semantics in flags.ts and flags-update.ts.
import { Command, Option } from 'commander';
import { CliError } from '../../connection.ts';
import { withServiceDaemon } from './api.ts';
import {
  type CommandIo,
  runCreate,
  runInspect,
  runList,
  runPs,
  runRemove,
  runRollback,
  runScale,
  runUpdate,
} from './commands.ts';
import {
  type FlagCommand,
  type FlagSpec,
  type FlagValues,
  flagDisplayName,
  flagsOf,
} from './flag-table.ts';
import { FlagError, invalidArgument, parseBool } from './flag-values.ts';
import { runServiceLogs } from './logs.ts';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * pflag accepts `--read-only=false` for boolean flags; commander does not. Before commander
 * parses, `--flag=<bool>` becomes `--flag` or the hidden `--no-flag`. With `stopAtOperand`
 * (create, whose arguments after IMAGE belong to the container) nothing after the first
 * operand is touched.
 */
export function rewriteBooleanFlags(
  args: readonly string[],
  specs: readonly FlagSpec[],
  stopAtOperand: boolean,
): string[] {
  const withValue = new Set(specs.filter((spec) => spec.kind !== 'bool').map((spec) => spec.long));
  const shortWithValue = new Set(
    specs.filter((spec) => spec.kind !== 'bool' && spec.short).map((spec) => spec.short),
  );
  const booleans = new Map(
    specs.filter((spec) => spec.kind === 'bool').map((spec) => [spec.long, spec]),
  );
  const booleanShorts = new Map(
    specs.filter((spec) => spec.kind === 'bool' && spec.short).map((spec) => [spec.short!, spec]),
  );
  const rewritten: string[] = [];
  const asFlag = (long: string, text: string) => {
    let value: boolean;
    try {
      value = parseBool(text);
    } catch (error) {
      throw invalidArgument(flagDisplayName(long), text, (error as Error).message);
    }
    if (value) rewritten.push(`--${long}`);
    else if (!long.startsWith('no-')) rewritten.push(`--no-${long}`);
  };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') {
      rewritten.push(...args.slice(index));
      break;
    }
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = arg.slice(2, equals < 0 ? undefined : equals);
      if (equals >= 0 && booleans.has(name)) {
        asFlag(name, arg.slice(equals + 1));
        continue;
      }
      rewritten.push(arg);
      if (equals < 0 && withValue.has(name) && index + 1 < args.length)
        rewritten.push(args[++index]!);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const shortAssignment = /^-([a-zA-Z])=(.*)$/.exec(arg);
      if (shortAssignment && booleanShorts.has(shortAssignment[1]!)) {
        asFlag(booleanShorts.get(shortAssignment[1]!)!.long, shortAssignment[2]!);
        continue;
      }
      rewritten.push(arg);
      for (let position = 1; position < arg.length; position++) {
        if (!shortWithValue.has(arg[position]!)) continue;
        if (position === arg.length - 1 && index + 1 < args.length) rewritten.push(args[++index]!);
        break;
      }
      continue;
    }
    if (stopAtOperand) {
      rewritten.push(...args.slice(index));
      break;
    }
    rewritten.push(arg);
  }
  return rewritten;
}

/** A subcommand whose boolean flags take pflag's `--flag=false` form. */
class FlagsCommand extends Command {
  constructor(
    name: string,
    private readonly specs: readonly FlagSpec[],
    private readonly stopAtOperand: boolean,
  ) {
    super(name);
  }

  override parseOptions(args: string[]) {
    return super.parseOptions(rewriteBooleanFlags(args, this.specs, this.stopAtOperand));
  }
}

function addServiceFlags(command: Command, specs: readonly FlagSpec[]): void {
  for (const spec of specs) {
    const names = `${spec.short ? `-${spec.short}, ` : ''}--${spec.long}`;
    if (spec.kind === 'bool') {
      command.addOption(new Option(names, spec.description));
      if (!spec.long.startsWith('no-'))
        command.addOption(new Option(`--no-${spec.long}`).hideHelp());
    } else if (spec.kind === 'list') {
      command.addOption(
        new Option(`${names} <${spec.valueName ?? 'value'}>`, spec.description).argParser(collect),
      );
    } else {
      command.addOption(new Option(`${names} <${spec.valueName ?? 'string'}>`, spec.description));
    }
  }
}

/** The flags given on the command line, by long name (pflag's Changed). */
export function flagValuesOf(command: Command, specs: readonly FlagSpec[]): FlagValues {
  const values = new Map<string, string | string[] | boolean>();
  for (const spec of specs) {
    const option = command.options.find((candidate) => candidate.long === `--${spec.long}`);
    if (!option) continue;
    const key = option.attributeName();
    if (command.getOptionValueSource(key) !== 'cli') continue;
    const value = command.getOptionValue(key) as string | string[] | boolean;
    values.set(
      spec.long,
      spec.kind === 'bool' && spec.long.startsWith('no-') ? value === false : value,
    );
  }
  return values;
}

function rootOf(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

/** The daemon socket: the program's -H/--host (a service command's --host is a flag of its own). */
function daemonHost(command: Command): string | undefined {
  return rootOf(command).opts().host as string | undefined;
}

function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    terminal: process.stdout.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    now: Date.now,
  };
}

/** pflag errors end with docker's hint, as its FlagErrorFunc adds. */
async function withUsageHint(path: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof FlagError)
      throw new CliError(`${error.message}\nSee '${path} --help'.`, 125);
    throw error;
  }
}

function flagsCommand(parent: Command, name: string, kind: FlagCommand): Command {
  const specs = flagsOf(kind);
  const command = new FlagsCommand(name, specs, kind === 'create');
  command.copyInheritedSettings(parent);
  addServiceFlags(command, specs);
  parent.addCommand(command);
  return command;
}

export function registerService(program: Command): void {
  // Docker's global flags come before the command (`shoal -H sock service ...`): otherwise the
  // program's -H/--host would take `service create --host name:ip` for itself.
  program.enablePositionalOptions();
  const service = program
    .command('service')
    .description('Manage Swarm services')
    .enablePositionalOptions();

  const create = flagsCommand(service, 'create', 'create')
    .description('Create a new service')
    .argument('<image>')
    .argument('[command...]', 'command and arguments for the container')
    .passThroughOptions();
  create.action(async (image: string, args: string[], _flags, command: Command) => {
    await withUsageHint('shoal service create', () =>
      withServiceDaemon(daemonHost(command), (daemon) =>
        runCreate(daemon, image, args, flagValuesOf(command, flagsOf('create')), processIo()),
      ),
    );
  });

  const update = flagsCommand(service, 'update', 'update')
    .description('Update a service')
    .argument('<service>');
  update.action(async (reference: string, _flags, command: Command) => {
    await withUsageHint('shoal service update', () =>
      withServiceDaemon(daemonHost(command), (daemon) =>
        runUpdate(daemon, reference, flagValuesOf(command, flagsOf('update')), processIo()),
      ),
    );
  });

  service
    .command('ls')
    .alias('list')
    .description('List services')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <string>', 'Pretty-print services using a Go template')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(
      async (flags: { quiet?: boolean; format?: string; filter?: string[] }, command: Command) => {
        await withUsageHint('shoal service ls', () =>
          withServiceDaemon(daemonHost(command), (daemon) =>
            runList(
              daemon,
              {
                quiet: flags.quiet === true,
                ...(flags.format ? { format: flags.format } : {}),
                filters: flags.filter ?? [],
              },
              processIo(),
            ),
          ),
        );
      },
    );

  service
    .command('ps')
    .description('List the tasks of one or more services')
    .argument('<service...>')
    .option('-q, --quiet', 'Only display task IDs')
    .option('--no-trunc', 'Do not truncate output')
    .option('--no-resolve', 'Do not map IDs to Names')
    .option('--format <string>', 'Pretty-print tasks using a Go template')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .action(
      async (
        references: string[],
        flags: {
          quiet?: boolean;
          trunc: boolean;
          resolve: boolean;
          format?: string;
          filter?: string[];
        },
        command: Command,
      ) => {
        await withUsageHint('shoal service ps', () =>
          withServiceDaemon(daemonHost(command), (daemon) =>
            runPs(
              daemon,
              references,
              {
                quiet: flags.quiet === true,
                noTrunc: flags.trunc === false,
                noResolve: flags.resolve === false,
                ...(flags.format ? { format: flags.format } : {}),
                filters: flags.filter ?? [],
              },
              processIo(),
            ),
          ),
        );
      },
    );

  service
    .command('inspect')
    .description('Display detailed information on one or more services')
    .argument('<service...>')
    .option('-f, --format <string>', 'Format the output using the given Go template')
    .option('--pretty', 'Print the information in a human friendly format')
    .action(
      async (
        references: string[],
        flags: { format?: string; pretty?: boolean },
        command: Command,
      ) => {
        await withServiceDaemon(daemonHost(command), (daemon) =>
          runInspect(
            daemon,
            references,
            { ...(flags.format ? { format: flags.format } : {}), pretty: flags.pretty === true },
            processIo(),
          ),
        );
      },
    );

  service
    .command('scale')
    .description('Scale one or multiple replicated services')
    .argument('<service=replicas...>')
    .option('-d, --detach', 'Exit immediately instead of waiting for the service to converge')
    .action(async (specifiers: string[], flags: { detach?: boolean }, command: Command) => {
      await withServiceDaemon(daemonHost(command), (daemon) =>
        runScale(daemon, specifiers, { detach: flags.detach === true }, processIo()),
      );
    });

  service
    .command('rollback')
    .description("Revert changes to a service's configuration")
    .argument('<service>')
    .option('-d, --detach', 'Exit immediately instead of waiting for the service to converge')
    .option('-q, --quiet', 'Suppress progress output')
    .action(
      async (reference: string, flags: { detach?: boolean; quiet?: boolean }, command: Command) => {
        await withServiceDaemon(daemonHost(command), (daemon) =>
          runRollback(
            daemon,
            reference,
            { detach: flags.detach === true, quiet: flags.quiet === true },
            processIo(),
          ),
        );
      },
    );

  service
    .command('rm')
    .alias('remove')
    .description('Remove one or more services')
    .argument('<service...>')
    .action(async (references: string[], _flags, command: Command) => {
      await withServiceDaemon(daemonHost(command), (daemon) =>
        runRemove(daemon, references, processIo()),
      );
    });

  service
    .command('logs')
    .description('Fetch the logs of a service or task')
    .argument('<service|task>')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--no-resolve', 'Do not map IDs to Names in output')
    .option('--no-task-ids', 'Do not include task IDs in output')
    .option('--no-trunc', 'Do not truncate output')
    .option('--raw', 'Do not neatly format logs')
    .option(
      '--since <string>',
      'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)',
    )
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .action(
      async (
        target: string,
        flags: {
          details?: boolean;
          follow?: boolean;
          resolve: boolean;
          taskIds: boolean;
          trunc: boolean;
          raw?: boolean;
          since?: string;
          tail: string;
          timestamps?: boolean;
        },
        command: Command,
      ) => {
        await withServiceDaemon(daemonHost(command), (daemon) =>
          runServiceLogs(
            daemon,
            target,
            {
              follow: flags.follow === true,
              tail: flags.tail,
              ...(flags.since ? { since: flags.since } : {}),
              timestamps: flags.timestamps === true,
              noTaskIds: flags.taskIds === false,
              noTrunc: flags.trunc === false,
              noResolve: flags.resolve === false,
              raw: flags.raw === true,
              details: flags.details === true,
            },
            {
              stdout: (data) => process.stdout.write(data),
              stderr: (data) => process.stderr.write(data),
            },
            Date.now(),
          ),
        );
      },
    );
}

/**
 * Parses `service create|update` arguments exactly as the registered command does and answers
 * the given flags and the operands (IMAGE and its arguments, or SERVICE). For tests.
 */
export function parseServiceArguments(
  kind: FlagCommand,
  argv: readonly string[],
): { values: FlagValues; operands: string[] } {
  const specs = flagsOf(kind);
  const command = new FlagsCommand(kind, specs, kind === 'create');
  addServiceFlags(command, specs);
  command
    .argument('[operands...]')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .action(() => {});
  if (kind === 'create') command.passThroughOptions();
  command.parse([...argv], { from: 'user' });
  return { values: flagValuesOf(command, specs), operands: command.processedArgs[0] as string[] };
}

// What `shoal stack` reuses, so a stack's services, tasks and progress read exactly as the
// service commands show them: the daemon client, the list and ps verbs, and the wait.
export {
  apiResolver,
  type Daemon,
  DaemonError,
  daemonError,
  filtersQuery,
  isNotFound,
  type Method,
  type Query,
  withServiceDaemon,
} from './api.ts';
export { type CommandIo, parseFilters, runList, runPs } from './commands.ts';
export { naturalCompare } from './format.ts';
export { waitOnService } from './wait.ts';
