// The tables of `service ls` and `service ps`, with docker's columns, cell wording and order
// (cli/command/service/formatter.go, cli/command/task/formatter.go and print.go). Pure: the
// caller passes the objects, the names it resolved, and "now".
import type { Node, PortConfig, Service, Task } from '../../../store/index.ts';
import { formatTable } from '../../template/index.ts';
import { displayImage } from './image-reference.ts';
import { truncateId } from './progress.ts';

export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks?: number;
}

/** A service as GET /services?status=true answers it. */
export type ListedService = Service & { ServiceStatus?: ServiceStatus };

export const SERVICE_TABLE_FORMAT =
  'table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}';
export const SERVICE_HEADERS = {
  ID: 'ID',
  Name: 'NAME',
  Mode: 'MODE',
  Replicas: 'REPLICAS',
  Image: 'IMAGE',
  Ports: 'PORTS',
};

export const TASK_TABLE_FORMAT =
  'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}';
export const TASK_HEADERS = {
  ID: 'ID',
  Name: 'NAME',
  Image: 'IMAGE',
  Node: 'NODE',
  DesiredState: 'DESIRED STATE',
  CurrentState: 'CURRENT STATE',
  Error: 'ERROR',
  Ports: 'PORTS',
};

/** fvbommel/sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(left: string, right: string): boolean {
  const isDigit = (text: string, index: number) => {
    const code = text.charCodeAt(index);
    return code >= 48 && code <= 57;
  };
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const digitLeft = isDigit(left, i);
    const digitRight = isDigit(right, j);
    if (digitLeft !== digitRight) return digitLeft;
    if (!digitLeft) {
      if (left[i] !== right[j]) return left.charCodeAt(i) < right.charCodeAt(j);
      i++;
      j++;
      continue;
    }
    while (i < left.length && left[i] === '0') i++;
    while (j < right.length && right[j] === '0') j++;
    const startLeft = i;
    const startRight = j;
    while (i < left.length && isDigit(left, i)) i++;
    while (j < right.length && isDigit(right, j)) j++;
    const numberLeft = left.slice(startLeft, i);
    const numberRight = right.slice(startRight, j);
    if (numberLeft.length !== numberRight.length) return numberLeft.length < numberRight.length;
    if (numberLeft !== numberRight) return numberLeft < numberRight;
    if (startLeft !== startRight) return startLeft < startRight;
  }
  return left.length < right.length;
}

export const naturalCompare = (left: string, right: string) =>
  naturalLess(left, right) ? -1 : naturalLess(right, left) ? 1 : 0;

function serviceMode(service: Service): string {
  const mode = service.Spec.Mode;
  if (mode.Global) return 'global';
  if (mode.Replicated) return 'replicated';
  if (mode.ReplicatedJob) return 'replicated job';
  if (mode.GlobalJob) return 'global job';
  return '';
}

function replicas(service: ListedService): string {
  const running = service.ServiceStatus?.RunningTasks ?? 0;
  const desired = service.ServiceStatus?.DesiredTasks ?? 0;
  const completed = service.ServiceStatus?.CompletedTasks ?? 0;
  const mode = service.Spec.Mode;
  if (mode.ReplicatedJob) {
    return `${running}/${desired} (${completed}/${mode.ReplicatedJob.TotalCompletions ?? 0} completed)`;
  }
  if (mode.GlobalJob)
    return `${running}/${desired} (${completed}/${desired + completed} completed)`;
  const maxPerNode = mode.Replicated ? (service.Spec.TaskTemplate.Placement?.MaxReplicas ?? 0) : 0;
  if (maxPerNode > 0) return `${running}/${desired} (max ${maxPerNode} per node)`;
  return `${running}/${desired}`;
}

/**
 * docker's service Ports(): ingress ports by protocol and published port, consecutive
 * mappings grouped (`*:80-81->80-81/tcp`); host-mode ports are not listed.
 */
export function servicePorts(ports: readonly PortConfig[] | undefined): string {
  if (!ports) return '';
  const uint32 = (value: number) => value >>> 0;
  const sorted = [...ports].sort((a, b) =>
    a.Protocol === b.Protocol
      ? (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0)
      : a.Protocol < b.Protocol
        ? -1
        : 1,
  );
  const ranges: string[] = [];
  let range = { pStart: 0, pEnd: 0, tStart: 0, tEnd: 0, protocol: '' };
  const show = () => {
    const published =
      range.pEnd > range.pStart ? `${range.pStart}-${range.pEnd}` : `${range.pStart}`;
    const target = range.tEnd > range.tStart ? `${range.tStart}-${range.tEnd}` : `${range.tStart}`;
    return `*:${published}->${target}/${range.protocol}`;
  };
  for (const port of sorted) {
    if (port.PublishMode !== 'ingress') continue;
    const published = port.PublishedPort ?? 0;
    const isRange = range.tEnd !== range.tStart;
    const overlaps = port.TargetPort <= range.tEnd;
    if (
      port.Protocol !== range.protocol ||
      uint32(published - range.pEnd) > 1 ||
      uint32(port.TargetPort - range.tEnd) > 1 ||
      (isRange && overlaps)
    ) {
      if (range.pStart > 0) ranges.push(show());
      range = {
        pStart: published,
        pEnd: published,
        tStart: port.TargetPort,
        tEnd: port.TargetPort,
        protocol: port.Protocol,
      };
      continue;
    }
    range.pEnd = published;
    range.tEnd = port.TargetPort;
  }
  if (range.pStart > 0) ranges.push(show());
  return ranges.join(', ');
}

export function serviceRow(service: ListedService) {
  return {
    ID: truncateId(service.ID),
    Name: service.Spec.Name,
    Mode: serviceMode(service),
    Replicas: replicas(service),
    Image: displayImage(service.Spec.TaskTemplate.ContainerSpec?.Image ?? ''),
    Ports: servicePorts(service.Endpoint?.Ports),
  };
}

/** `service ls` output; `format` is --format (or undefined), `quiet` is -q. */
export function formatServiceList(
  services: readonly ListedService[],
  format: string | undefined,
  quiet: boolean,
): string {
  const rows = [...services]
    .sort((a, b) => naturalCompare(a.Spec.Name, b.Spec.Name))
    .map(serviceRow);
  return formatTable(rows, listFormat(format, quiet, SERVICE_TABLE_FORMAT), SERVICE_HEADERS);
}

/** docker's NewListFormat/NewTaskFormat: "table" and "raw" are names, others templates. */
function listFormat(format: string | undefined, quiet: boolean, table: string): string {
  const source = format === undefined || format === '' ? 'table' : format;
  if (source === 'table') return quiet ? '{{.ID}}' : table;
  if (source === 'raw') {
    if (quiet) return 'id: {{.ID}}';
    return table === SERVICE_TABLE_FORMAT
      ? 'id: {{.ID}}\\nname: {{.Name}}\\nmode: {{.Mode}}\\nreplicas: {{.Replicas}}\\nimage: {{.Image}}\\nports: {{.Ports}}\\n'
      : 'id: {{.ID}}\\nname: {{.Name}}\\nimage: {{.Image}}\\nnode: {{.Node}}\\ndesired_state: {{.DesiredState}}\\ncurrent_state: {{.CurrentState}}\\nerror: {{.Error}}\\nports: {{.Ports}}\\n';
  }
  return source;
}

/**
 * docker's AppendServiceStatus, for a daemon that answered without ServiceStatus: desired =
 * tasks not desired shut down (replicated: the replica count), running = running tasks on
 * nodes that are not down.
 */
export function appendServiceStatus(
  services: readonly ListedService[],
  tasks: readonly Task[],
  nodes: readonly Node[],
): ListedService[] {
  const active = new Set(
    nodes.filter((node) => node.Status.State !== 'down').map((node) => node.ID),
  );
  const status = new Map<string, ServiceStatus>();
  const result = services.map((service) => {
    if (service.ServiceStatus) return service;
    if (service.Spec.Mode.Replicated || service.Spec.Mode.Global) {
      status.set(service.ID, { RunningTasks: 0, DesiredTasks: 0 });
      return {
        ...service,
        ServiceStatus: {
          RunningTasks: 0,
          DesiredTasks: service.Spec.Mode.Replicated?.Replicas ?? 0,
        },
      };
    }
    return service;
  });
  if (tasks.length === 0) return result;
  for (const task of tasks) {
    const counts = status.get(task.ServiceID);
    if (!counts) continue;
    if (task.DesiredState !== 'shutdown') counts.DesiredTasks++;
    if (task.NodeID && active.has(task.NodeID) && task.Status.State === 'running')
      counts.RunningTasks++;
  }
  return result.map((service) =>
    status.has(service.ID) ? { ...service, ServiceStatus: status.get(service.ID)! } : service,
  );
}

/** go-units HumanDuration. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(milliseconds / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(milliseconds / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(milliseconds / 3_600_000) / 24 / 365)} years`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** formatter.Ellipsis for the ASCII and wide texts errors hold. */
function ellipsis(text: string, width: number): string {
  const characters = [...text];
  if (characters.length <= width) return text;
  return `${characters.slice(0, width - 1).join('')}…`;
}

export interface TaskNames {
  /** Service ID → name (the ID itself with --no-resolve or when the lookup failed). */
  services: ReadonlyMap<string, string>;
  /** Node ID → name. */
  nodes: ReadonlyMap<string, string>;
}

export interface TaskTableOptions {
  format?: string;
  quiet: boolean;
  /** Truncate IDs, images and errors (false with --no-trunc, and with -q). */
  trunc: boolean;
  nowMs: number;
}

/** `service ps` output (also right for `node ps` and `stack ps`, as docker shares it). */
export function formatTaskList(
  tasks: readonly Task[],
  names: TaskNames,
  options: TaskTableOptions,
): string {
  const format = listFormat(options.format, options.quiet, TASK_TABLE_FORMAT);
  const isTable = format.startsWith('table');
  const named = tasks.map((task) => {
    const service = names.services.get(task.ServiceID) ?? task.ServiceID;
    const name = task.Slot ? `${service}.${task.Slot}` : `${service}.${task.NodeID ?? ''}`;
    return { task, name };
  });
  // Tasks of one slot together, most recent first, so older ones can be indented below.
  named.sort((a, b) => {
    if (a.name !== b.name) return naturalCompare(a.name, b.name);
    return Date.parse(b.task.CreatedAt) - Date.parse(a.task.CreatedAt);
  });
  let previous = '';
  const rows = named.map(({ task, name }) => {
    const shown = isTable && name === previous ? ` \\_ ${name}` : name;
    previous = name;
    return taskRow(task, shown, names.nodes.get(task.NodeID ?? '') ?? task.NodeID ?? '', options);
  });
  return formatTable(rows, format, TASK_HEADERS);
}

function taskRow(task: Task, name: string, node: string, options: TaskTableOptions) {
  const image = task.Spec.ContainerSpec?.Image ?? '';
  let error = task.Status.Err ?? '';
  if (options.trunc) error = ellipsis(error, 30);
  const ports = task.Status.PortStatus?.Ports ?? [];
  return {
    ID: options.trunc ? truncateId(task.ID) : task.ID,
    Name: name,
    Image: options.trunc ? displayImage(image) : image,
    Node: node,
    DesiredState: capitalize(task.DesiredState),
    CurrentState: `${capitalize(task.Status.State)} ${humanDuration(
      options.nowMs - Date.parse(task.Status.Timestamp),
    ).toLowerCase()} ago`,
    Error: error === '' ? '' : `"${error}"`,
    Ports: ports
      .map((port) => `*:${port.PublishedPort ?? 0}->${port.TargetPort}/${port.Protocol}`)
      .join(','),
  };
}
