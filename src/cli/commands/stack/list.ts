// `stack ls`, `stack services` and `stack ps`: a stack is the set of objects labelled
// com.docker.stack.namespace=NAME. Services and tasks print exactly as `service ls` and
// `service ps` print them (the same verbs do the work, with the stack's filter).
import { LABEL_NAMESPACE } from '../../../compose/index.ts';
import type { Service } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import { formatTable } from '../../template/index.ts';
import {
  type CommandIo,
  type Daemon,
  filtersQuery,
  naturalCompare,
  parseFilters,
  runList,
  runPs,
} from '../service/index.ts';
import { stackServices } from './deploy.ts';

export const STACK_TABLE_FORMAT = 'table {{.Name}}\t{{.Services}}';
const STACK_HEADERS = { Name: 'NAME', Services: 'SERVICES' };

/** Stacks and their service counts, from the services' namespace labels, sorted by name. */
export function stacksOf(services: readonly Service[]): { Name: string; Services: string }[] {
  const counts = new Map<string, number>();
  for (const service of services) {
    const name = service.Spec.Labels?.[LABEL_NAMESPACE];
    if (name === undefined) {
      throw new CliError(`cannot get label ${LABEL_NAMESPACE} for service ${service.ID}`);
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a], [b]) => naturalCompare(a, b))
    .map(([name, count]) => ({ Name: name, Services: String(count) }));
}

/** `stack ls`: GET /services?filters={"label":["com.docker.stack.namespace"]}. */
export async function runStackList(daemon: Daemon, format: string | undefined, io: CommandIo) {
  const services = await daemon.call<Service[]>('GET', '/services', {
    query: { filters: filtersQuery({ label: [LABEL_NAMESPACE] }) },
  });
  const chosen =
    format === undefined || format === '' || format === 'table' ? STACK_TABLE_FORMAT : format;
  io.out(formatTable(stacksOf(services), chosen, STACK_HEADERS));
}

const stackLabel = (stack: string) => `label=${LABEL_NAMESPACE}=${stack}`;

/** `stack services NAME`: nothing found is a note on stderr and exit 0, as in docker. */
export async function runStackServices(
  daemon: Daemon,
  stack: string,
  options: { quiet: boolean; format?: string; filters: readonly string[] },
  io: CommandIo,
) {
  const filters = [...options.filters, stackLabel(stack)];
  const found = await daemon.call<Service[]>('GET', '/services', {
    query: { filters: filtersQuery(parseFilters(filters)) },
  });
  if (found.length === 0) {
    io.err(`Nothing found in stack: ${stack}\n`);
    return;
  }
  await runList(daemon, { ...options, filters }, io);
}

/** `stack ps NAME`: the tasks of the stack's services (nothing found is an error, exit 1). */
export async function runStackPs(
  daemon: Daemon,
  stack: string,
  options: {
    quiet: boolean;
    noTrunc: boolean;
    noResolve: boolean;
    format?: string;
    filters: readonly string[];
  },
  io: CommandIo,
) {
  parseFilters(options.filters);
  const services = await stackServices(daemon, stack);
  if (services.length === 0) throw new CliError(`nothing found in stack: ${stack}`);
  await runPs(
    daemon,
    services.map((service) => service.ID),
    options,
    io,
  );
}
