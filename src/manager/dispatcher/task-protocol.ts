// What travels about tasks on an agent's session, both ways, as JSON in the bytes fields of
// proto/cluster.proto's SessionMessage (task_statuses) and SessionReply (assignments). Kept
// free of manager-only imports: the agent uses it too.
import { TASK_STATES, type Task, type TaskStatus } from '../../store/index.ts';

/**
 * A secret or config a node's tasks reference, as its agent needs it: the data in base64 (never
 * logged, kept in the agent's memory and written only to memory-backed files).
 */
export interface AssignedFileObject {
  ID: string;
  Name: string;
  Data: string;
  Templating?: { Name: string };
}

/**
 * The tasks of one node, complete each time (an agent drops what is not listed), with the
 * secrets and configs those tasks reference — and no others. `omitted` lists the IDs of
 * referenced ones left out because the set reached MAX_ASSIGNED_DATA_BYTES.
 */
export interface AssignmentSet {
  tasks: Task[];
  secrets?: AssignedFileObject[];
  configs?: AssignedFileObject[];
  omitted?: string[];
}

/** Bound on the secret and config data (base64) one assignment set carries. */
export const MAX_ASSIGNED_DATA_BYTES = 2 * 1024 * 1024;

export interface TaskStatusUpdate {
  ID: string;
  Status: TaskStatus;
}

/** Bounds on what an agent may send in one message. */
export const MAX_STATUS_UPDATES = 500;
export const MAX_STATUS_BYTES = 512 * 1024;
const MAX_TEXT = 2048;
const STATES = new Set<string>(TASK_STATES);

export function encodeAssignments(set: AssignmentSet): Uint8Array {
  return Buffer.from(JSON.stringify(set));
}

/** Empty bytes mean "unchanged since the last set"; otherwise the whole set. */
export function decodeAssignments(bytes: Uint8Array): AssignmentSet | null {
  if (bytes.length === 0) return null;
  let value: AssignmentSet;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8')) as AssignmentSet;
  } catch {
    // Not the parser's message: it quotes the input, which may hold secret data.
    throw new Error(`assignments are not valid JSON (${bytes.length} bytes)`);
  }
  if (!Array.isArray(value?.tasks)) throw new Error('assignments must hold a tasks array');
  for (const key of ['secrets', 'configs'] as const) {
    const objects: unknown = value[key];
    if (objects === undefined) continue;
    if (!Array.isArray(objects) || !objects.every(isAssignedFileObject)) {
      throw new Error(`assignments' ${key} must be a list of {ID, Name, Data}`);
    }
  }
  if (value.omitted !== undefined && !Array.isArray(value.omitted)) {
    throw new Error("assignments' omitted must be a list of IDs");
  }
  return value;
}

function isAssignedFileObject(value: unknown): value is AssignedFileObject {
  return (
    isRecord(value) &&
    typeof value.ID === 'string' &&
    typeof value.Name === 'string' &&
    typeof value.Data === 'string'
  );
}

export function encodeStatuses(updates: TaskStatusUpdate[]): Uint8Array {
  return updates.length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(updates));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, what: string, optional = false): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') throw new Error(`task status ${what} must be a string`);
  return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
}

function integer(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value)) throw new Error(`task status ${what} must be an integer`);
  return value as number;
}

/**
 * Parses and checks the status updates an agent sent, keeping only the known fields (an agent
 * cannot write anything else into a task). Throws an Error naming the problem.
 */
export function parseStatuses(bytes: Uint8Array): TaskStatusUpdate[] {
  if (bytes.length === 0) return [];
  if (bytes.length > MAX_STATUS_BYTES) {
    throw new Error(`task statuses are ${bytes.length} bytes, over ${MAX_STATUS_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('task statuses are not JSON');
  }
  if (!Array.isArray(value)) throw new Error('task statuses must be an array');
  if (value.length > MAX_STATUS_UPDATES) {
    throw new Error(`${value.length} task statuses in one message, over ${MAX_STATUS_UPDATES}`);
  }
  return value.map((entry: unknown) => {
    if (!isRecord(entry) || typeof entry.ID !== 'string' || !isRecord(entry.Status)) {
      throw new Error('a task status needs ID and Status');
    }
    const status = entry.Status;
    if (typeof status.State !== 'string' || !STATES.has(status.State)) {
      throw new Error(`unknown task state ${JSON.stringify(status.State)}`);
    }
    const timestamp = text(status.Timestamp, 'Timestamp')!;
    if (Number.isNaN(Date.parse(timestamp))) throw new Error('task status Timestamp is not a time');
    const parsed: TaskStatus = {
      Timestamp: timestamp,
      State: status.State as TaskStatus['State'],
      Message: text(status.Message, 'Message') ?? '',
    };
    const err = text(status.Err, 'Err', true);
    if (err !== undefined && err !== '') parsed.Err = err;
    if (isRecord(status.ContainerStatus)) {
      const container = status.ContainerStatus;
      parsed.ContainerStatus = {};
      const id = text(container.ContainerID, 'ContainerID', true);
      if (id !== undefined) parsed.ContainerStatus.ContainerID = id;
      const pid = integer(container.PID, 'PID');
      if (pid !== undefined) parsed.ContainerStatus.PID = pid;
      const exitCode = integer(container.ExitCode, 'ExitCode');
      if (exitCode !== undefined) parsed.ContainerStatus.ExitCode = exitCode;
    }
    if (isRecord(status.PortStatus) && Array.isArray(status.PortStatus.Ports)) {
      parsed.PortStatus = { Ports: status.PortStatus.Ports.slice(0, 100) as never };
    }
    if (Array.isArray(status.ExposedPorts)) {
      const ports = status.ExposedPorts.filter(
        (p): p is string => typeof p === 'string' && /^\d{1,5}\/(tcp|udp|sctp)$/.test(p),
      );
      if (ports.length > 0) parsed.ExposedPorts = ports.slice(0, 100);
    }
    return { ID: entry.ID.slice(0, 64), Status: parsed };
  });
}
