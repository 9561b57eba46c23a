// `shoal node ...`: docker's node verbs, columns and formats.
import type { Command } from 'commander';
import type { Node } from '../../store/index.ts';
import { CliError, type Connection, withDaemon } from '../connection.ts';
import { formatTable, parseTemplate } from '../template/index.ts';
import { prettyNode } from './node-pretty.ts';
import { runNodePs } from './node-ps.ts';
import { withServiceDaemon } from './service/api.ts';
import { FlagError } from './service/flag-values.ts';

const DEFAULT_NODE_FORMAT =
  'table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}';
const NODE_HEADERS = {
  ID: 'ID',
  Self: '',
  Hostname: 'HOSTNAME',
  Status: 'STATUS',
  Availability: 'AVAILABILITY',
  ManagerStatus: 'MANAGER STATUS',
  EngineVersion: 'ENGINE VERSION',
  TLSStatus: 'TLS STATUS',
};

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The fields docker's node formatter offers to templates. */
function nodeRow(node: Node, selfId: string) {
  let managerStatus = '';
  if (node.ManagerStatus) {
    managerStatus = node.ManagerStatus.Leader
      ? 'Leader'
      : capitalize(node.ManagerStatus.Reachability);
  }
  return {
    ID: node.ID,
    Self: node.ID === selfId,
    Hostname: node.Description.Hostname,
    Status: capitalize(node.Status.State),
    Availability: capitalize(node.Spec.Availability),
    ManagerStatus: managerStatus,
    EngineVersion: node.Description.Engine.EngineVersion,
    TLSStatus: 'Ready',
  };
}

function host(command: Command): string | undefined {
  return command.optsWithGlobals().host;
}

async function selfId(connection: Connection): Promise<string> {
  return (await connection.call<{ Swarm: { NodeID: string } }>('GET', '/info')).Swarm.NodeID;
}

/** docker's `-f name=value` filters, collected into the API's filters parameter. */
function filtersOf(values: string[]): string | undefined {
  if (values.length === 0) return undefined;
  const filters: Record<string, string[]> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals < 0) throw new CliError(`bad format of filter (expected name=value)`);
    const name = value.slice(0, equals);
    filters[name] = [...(filters[name] ?? []), value.slice(equals + 1)];
  }
  return JSON.stringify(filters);
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function updateNode(
  connection: Connection,
  reference: string,
  change: (node: Node) => Node['Spec'],
): Promise<void> {
  const node = await connection.call<Node>('GET', `/nodes/${encodeURIComponent(reference)}`);
  await connection.call('POST', `/nodes/${node.ID}/update`, {
    query: { version: node.Version.Index },
    body: change(node),
  });
}

export function registerNode(program: Command): void {
  const node = program.command('node').description('Manage Swarm nodes');

  node
    .command('ls')
    .alias('list')
    .description('List nodes in the swarm')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <template>', 'Pretty-print nodes using a Go template')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .action(async (flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        const nodes = await connection.call<Node[]>('GET', '/nodes', {
          query: { filters: filtersOf(flags.filter) },
        });
        const self = await selfId(connection);
        const rows = nodes
          .map((n) => nodeRow(n, self))
          .sort((a, b) => a.Hostname.localeCompare(b.Hostname) || a.ID.localeCompare(b.ID));
        const format = flags.quiet ? '{{.ID}}' : (flags.format ?? DEFAULT_NODE_FORMAT);
        process.stdout.write(formatTable(rows, format, NODE_HEADERS));
      });
    });

  node
    .command('inspect')
    .description('Display detailed information on one or more nodes')
    .argument('<node...>', "node IDs or names ('self' for this node)")
    .option('-f, --format <template>', 'Format the output using the given Go template')
    .option('--pretty', 'Print the information in a human friendly format')
    .action(async (references: string[], flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        const self = await selfId(connection);
        const nodes: Node[] = [];
        for (const reference of references) {
          const id = reference === 'self' ? self : reference;
          nodes.push(await connection.call<Node>('GET', `/nodes/${encodeURIComponent(id)}`));
        }
        if (flags.pretty) {
          process.stdout.write(nodes.map(prettyNode).join('\n\n'));
          process.stdout.write('\n');
        } else if (flags.format) {
          const template = parseTemplate(flags.format);
          for (const n of nodes) console.log(template.execute(n));
        } else {
          console.log(JSON.stringify(nodes, null, 4));
        }
      });
    });

  node
    .command('ps')
    .description('List tasks running on one or more nodes, defaults to current node')
    .argument('[node...]', "node IDs or names (default 'self', this node)")
    .option(
      '-f, --filter <filter>',
      'Filter output based on conditions provided',
      (value: string, previous: string[] | undefined) => collect(value, previous ?? []),
    )
    .option('--format <template>', 'Pretty-print tasks using a Go template')
    .option('--no-resolve', 'Do not map IDs to Names')
    .option('--no-trunc', 'Do not truncate output')
    .option('-q, --quiet', 'Only display task IDs')
    .action(async (references: string[], flags, command: Command) => {
      await withServiceDaemon(host(command), async (daemon) => {
        const options = {
          quiet: flags.quiet === true,
          noTrunc: flags.trunc === false,
          noResolve: flags.resolve === false,
          ...(flags.format ? { format: flags.format as string } : {}),
          filters: (flags.filter as string[] | undefined) ?? [],
        };
        try {
          await runNodePs(daemon, references, options, {
            out: (text) => process.stdout.write(text),
            err: (text) => process.stderr.write(text),
            terminal: process.stdout.isTTY === true,
            now: Date.now,
          });
        } catch (error) {
          // A bad -f value is a flag error to docker: its hint, exit 125.
          if (error instanceof FlagError)
            throw new CliError(`${error.message}\nSee 'shoal node ps --help'.`, 125);
          throw error;
        }
      });
    });

  node
    .command('update')
    .description('Update a node')
    .argument('<node>')
    .option('--availability <state>', 'Availability of the node ("active"|"pause"|"drain")')
    .option('--label-add <label>', 'Add or update a node label (key=value)', collect, [])
    .option('--label-rm <label>', 'Remove a node label if exists', collect, [])
    .option('--role <role>', 'Role of the node ("worker"|"manager")')
    .action(async (reference: string, flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        await updateNode(connection, reference, (current) => {
          const labels = { ...current.Spec.Labels };
          for (const label of flags.labelAdd as string[]) {
            const equals = label.indexOf('=');
            labels[equals < 0 ? label : label.slice(0, equals)] =
              equals < 0 ? '' : label.slice(equals + 1);
          }
          for (const key of flags.labelRm as string[]) {
            if (!(key in labels)) throw new CliError(`key ${key} doesn't exist in node's labels`);
            delete labels[key];
          }
          return {
            ...current.Spec,
            Labels: labels,
            ...(flags.availability ? { Availability: flags.availability } : {}),
            ...(flags.role ? { Role: flags.role } : {}),
          };
        });
        console.log(reference);
      });
    });

  for (const [verb, role] of [
    ['promote', 'manager'],
    ['demote', 'worker'],
  ] as const) {
    node
      .command(verb)
      .description(
        `${verb === 'promote' ? 'Promote' : 'Demote'} one or more nodes ${verb === 'promote' ? 'to manager' : 'from manager'} in the swarm`,
      )
      .argument('<node...>')
      .action(async (references: string[], _flags, command: Command) => {
        await withDaemon(host(command), async (connection) => {
          for (const reference of references) {
            const current = await connection.call<Node>(
              'GET',
              `/nodes/${encodeURIComponent(reference)}`,
            );
            if (current.Spec.Role === role) {
              console.log(`Node ${reference} is already a ${role}.`);
              continue;
            }
            await updateNode(connection, reference, (n) => ({ ...n.Spec, Role: role }));
            console.log(`Node ${reference} ${verb}d to a ${role} in the swarm.`);
          }
          const info = await connection.call<{ Warnings: string[] }>('GET', '/info');
          for (const warning of info.Warnings) console.error(warning);
        });
      });
  }

  node
    .command('rm')
    .alias('remove')
    .description('Remove one or more nodes from the swarm')
    .argument('<node...>')
    .option('-f, --force', 'Force remove a node from the swarm')
    .action(async (references: string[], flags, command: Command) => {
      await withDaemon(host(command), async (connection) => {
        let failed = false;
        for (const reference of references) {
          try {
            await connection.call('DELETE', `/nodes/${encodeURIComponent(reference)}`, {
              query: { force: flags.force === true },
            });
            console.log(reference);
          } catch (error) {
            failed = true;
            console.error((error as Error).message);
          }
        }
        if (failed) process.exitCode = 1;
      });
    });
}
