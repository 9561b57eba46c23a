// `shoal node ps [NODE...]`: the tasks on one or more nodes (default `self`), as docker's
// cli/command/node/ps.go lists them: each node resolved (self through GET /info) and inspected
// (GET /nodes/{ref}), its tasks fetched with the user's filters plus `node=<ID>`, then the
// tables of `service ps` (service/format.ts). A node that cannot be found is reported after
// the tasks of the others (exit 1), and nothing is printed when no node was found.
import type { Task } from '../../store/index.ts';
import { CliError } from '../connection.ts';
import { type Daemon, filtersQuery, inspectNode, inspectService } from './service/api.ts';
import { type CommandIo, parseFilters } from './service/commands.ts';
import { formatTaskList } from './service/format.ts';

export interface NodePsOptions {
  quiet: boolean;
  noTrunc: boolean;
  noResolve: boolean;
  format?: string;
  /** `-f name=value`, as given. */
  filters: readonly string[];
}

/** docker's node.Reference: `self` is this node's ID from GET /info; others pass unchanged. */
export async function nodeReference(daemon: Daemon, reference: string): Promise<string> {
  if (reference !== 'self') return reference;
  const info = await daemon.call<{ Swarm?: { NodeID?: string } }>('GET', '/info');
  if (info.Swarm?.NodeID) return info.Swarm.NodeID;
  // No node ID: probably not a manager. A swarm endpoint words that better.
  await daemon.call('GET', '/nodes');
  throw new CliError('node ID not found in /info');
}

/**
 * docker's idresolver for tasks, each ID looked up once: service ID → name, node ID → name
 * (else hostname). A failed lookup, or --no-resolve (empty maps), leaves the formatter the ID.
 */
export async function resolveTaskNames(
  daemon: Daemon,
  tasks: readonly Task[],
  noResolve: boolean,
): Promise<{ services: Map<string, string>; nodes: Map<string, string> }> {
  const services = new Map<string, string>();
  const nodes = new Map<string, string>();
  if (noResolve) return { services, nodes };
  for (const task of tasks) {
    if (!services.has(task.ServiceID)) {
      services.set(
        task.ServiceID,
        await inspectService(daemon, task.ServiceID).then(
          (service) => service.Spec.Name,
          () => task.ServiceID,
        ),
      );
    }
    const nodeId = task.NodeID ?? '';
    if (nodeId !== '' && !nodes.has(nodeId)) {
      nodes.set(
        nodeId,
        await inspectNode(daemon, nodeId).then(
          (node) => node.Spec.Name || node.Description.Hostname || nodeId,
          () => nodeId,
        ),
      );
    }
  }
  return { services, nodes };
}

/** `node ps`: prints the task table, then throws every node that could not be listed. */
export async function runNodePs(
  daemon: Daemon,
  references: readonly string[],
  options: NodePsOptions,
  io: CommandIo,
): Promise<void> {
  const filters = parseFilters(options.filters);
  const errors: string[] = [];
  const tasks: Task[] = [];
  for (const reference of references.length > 0 ? references : ['self']) {
    try {
      const node = await inspectNode(daemon, await nodeReference(daemon, reference));
      // A copy per node: docker 20.10 reused one filter, so a second node's query also
      // matched the first node's tasks and listed them twice (fixed later with Clone).
      const nodeFilters = { ...filters, node: [...(filters.node ?? []), node.ID] };
      tasks.push(
        ...(await daemon.call<Task[]>('GET', '/tasks', {
          query: { filters: filtersQuery(nodeFilters) },
        })),
      );
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length === 0 || tasks.length > 0) {
    const names = await resolveTaskNames(daemon, tasks, options.noResolve);
    io.out(
      formatTaskList(tasks, names, {
        ...(options.format === undefined ? {} : { format: options.format }),
        quiet: options.quiet,
        // Unlike `service ps`, docker's `node ps -q` keeps IDs truncated.
        trunc: !options.noTrunc,
        nowMs: io.now(),
      }),
    );
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}
