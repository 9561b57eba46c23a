// The bodies of the `network` verbs, making the requests docker's CLI makes over the small
// Daemon interface (so tests can check each request), printing what docker prints.
import type { NetworkResource } from '../../manager/networks/index.ts';
import { CliError } from '../connection.ts';
import { formatTable, parseTemplate } from '../template/index.ts';
import {
  type Daemon,
  DaemonError,
  filtersQuery,
  isNotFound,
  naturalCompare,
  parseFilters,
} from './service/index.ts';

export interface NetworkIo {
  out(text: string): void;
  err(text: string): void;
  /** One line of the user's answer to a prompt; undefined at the end of input. */
  readLine(): Promise<string | undefined>;
}

export interface CreateOptions {
  driver: string;
  attachable: boolean;
  internal: boolean;
  ingress: boolean;
  ipv6: boolean;
  subnet: string[];
  gateway: string[];
  ipRange: string[];
  ipamDriver: string;
  ipamOpt: string[];
  label: string[];
  opt: string[];
  scope: string;
  configOnly: boolean;
  configFrom: string;
  auxAddress: string[];
}

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const RAW_FORMAT =
  'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
const HEADERS = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** docker's warning before removing the routing-mesh network. */
export const INGRESS_WARNING =
  'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.\nAre you sure you want to continue?';

/** `key=value` (or `key`, an empty value) options into a map, as docker's ConvertKVStringsToMap. */
function keyValues(values: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals < 0) map[value] = '';
    else map[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return map;
}

/** docker's consolidateIpam, for one subnet (Shoal's networks have one). */
function ipamConfigs(options: CreateOptions) {
  if (options.subnet.length === 0) {
    if (options.ipRange.length > 0 || options.gateway.length > 0) {
      throw new CliError('every ip-range or gateway must have a corresponding subnet');
    }
    if (options.auxAddress.length > 0) {
      throw new CliError('every auxiliary address must have a corresponding subnet');
    }
    return [];
  }
  if (options.subnet.length > 1 && (options.ipRange.length > 0 || options.gateway.length > 0)) {
    // The daemon refuses several subnets anyway; say it before matching ranges to subnets.
    return options.subnet.map((Subnet) => ({ Subnet }));
  }
  if (options.ipRange.length > 1) {
    throw new CliError(
      `cannot configure multiple ranges (${options.ipRange.join(', ')}) on the same subnet (${options.subnet[0]})`,
    );
  }
  if (options.gateway.length > 1) {
    throw new CliError(
      `cannot configure multiple gateways (${options.gateway.join(', ')}) for the same subnet (${options.subnet[0]})`,
    );
  }
  return [
    {
      Subnet: options.subnet[0]!,
      ...(options.ipRange[0] ? { IPRange: options.ipRange[0] } : {}),
      ...(options.gateway[0] ? { Gateway: options.gateway[0] } : {}),
      ...(options.auxAddress.length > 0
        ? { AuxiliaryAddresses: keyValues(options.auxAddress) }
        : {}),
    },
  ];
}

/** `network create`: POST /networks/create, then the new network's ID. */
export async function runNetworkCreate(
  daemon: Daemon,
  name: string,
  options: CreateOptions,
  io: NetworkIo,
): Promise<void> {
  const body = {
    Name: name,
    CheckDuplicate: true,
    Driver: options.driver,
    Scope: options.scope,
    EnableIPv6: options.ipv6,
    IPAM: {
      Driver: options.ipamDriver,
      Config: ipamConfigs(options),
      Options: keyValues(options.ipamOpt),
    },
    Internal: options.internal,
    Attachable: options.attachable,
    Ingress: options.ingress,
    ConfigOnly: options.configOnly,
    ...(options.configFrom ? { ConfigFrom: { Network: options.configFrom } } : {}),
    Options: keyValues(options.opt),
    Labels: keyValues(options.label),
  };
  const created = await daemon.call<{ Id: string; Warning?: string }>('POST', '/networks/create', {
    body,
  });
  if (created.Warning) io.err(`${created.Warning}\n`);
  io.out(`${created.Id}\n`);
}

/** The fields docker's network formatter offers to templates. */
function networkRow(network: NetworkResource, trunc: boolean) {
  const labels = Object.entries(network.Labels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join(',');
  return {
    ID: trunc ? network.Id.slice(0, 12) : network.Id,
    Name: network.Name,
    Driver: network.Driver,
    Scope: network.Scope,
    IPv6: String(network.EnableIPv6),
    Internal: String(network.Internal),
    Labels: labels,
    Label: (name: string) => network.Labels?.[name] ?? '',
    CreatedAt: network.Created,
  };
}

/** `network ls`: GET /networks?filters, sorted by name. */
export async function runNetworkList(
  daemon: Daemon,
  options: { quiet: boolean; noTrunc: boolean; format?: string; filters: readonly string[] },
  io: NetworkIo,
): Promise<void> {
  const filters = parseFilters(options.filters);
  const networks = await daemon.call<NetworkResource[]>('GET', '/networks', {
    query: { filters: filtersQuery(filters) },
  });
  const rows = networks
    .sort((a, b) => naturalCompare(a.Name, b.Name))
    .map((network) => networkRow(network, !options.noTrunc));
  let format = options.format || 'table';
  if (format === 'table') format = options.quiet ? '{{.ID}}' : DEFAULT_FORMAT;
  else if (format === 'raw') format = options.quiet ? 'network_id: {{.ID}}' : RAW_FORMAT;
  io.out(formatTable(rows, format, HEADERS));
}

/** `network inspect`: each network, as JSON or through a template; missing ones fail. */
export async function runNetworkInspect(
  daemon: Daemon,
  references: readonly string[],
  options: { format?: string },
  io: NetworkIo,
): Promise<void> {
  const template = options.format ? parseTemplate(options.format) : undefined;
  const found: NetworkResource[] = [];
  const missing: string[] = [];
  for (const reference of references) {
    try {
      found.push(
        await daemon.call<NetworkResource>('GET', `/networks/${encodeURIComponent(reference)}`),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
      missing.push(`Error: No such network: ${reference}`);
    }
  }
  if (template) {
    for (const network of found) io.out(`${template.execute(network)}\n`);
  } else {
    io.out(`${JSON.stringify(found, null, 4)}\n`);
  }
  if (missing.length > 0) throw new CliError(missing.join('\n'));
}

/** `network rm`: each network in turn, its name printed once removed; exit 1 if any failed. */
export async function runNetworkRemove(
  daemon: Daemon,
  references: readonly string[],
  options: { force: boolean },
  io: NetworkIo,
): Promise<number> {
  let status = 0;
  for (const reference of references) {
    const path = `/networks/${encodeURIComponent(reference)}`;
    try {
      const network = await daemon.call<NetworkResource>('GET', path);
      if (network.Ingress && !(await confirm(io, INGRESS_WARNING))) continue;
    } catch {
      // The removal below reports what is wrong.
    }
    try {
      await daemon.call('DELETE', path);
      io.out(`${reference}\n`);
    } catch (error) {
      if (options.force && isNotFound(error)) continue;
      status = 1;
      const message =
        isNotFound(error) && error instanceof DaemonError
          ? `Error: No such network: ${reference}`
          : (error as Error).message;
      io.err(`${message}\n`);
    }
  }
  return status;
}

/** docker's PromptForConfirmation: "y" or "Y" confirms; anything else, or no input, does not. */
async function confirm(io: NetworkIo, message: string): Promise<boolean> {
  io.out(`${message} [y/N] `);
  const answer = await io.readLine();
  return answer !== undefined && ['y', 'Y'].includes(answer.trim());
}
