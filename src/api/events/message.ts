// Docker's event messages for swarm objects, made from the store's committed changes the way
// dockerd makes them from swarmkit's watch (daemon/events.go: logNodeEvent, logServiceEvent,
// ...): Type, Action create|update|remove, Actor {ID, Attributes}, scope "swarm", and the time
// the change was made (CreatedAt for create, UpdatedAt for update, now for remove).
import type { Node, Service, StoreEvent } from '../../store/index.ts';

export type EventType = 'service' | 'node' | 'secret' | 'config' | 'network';
export type EventAction = 'create' | 'update' | 'remove';

/** One event as the API streams it. `timeNano` is a bigint: it exceeds 2^53. */
export interface DockerEvent {
  Type: EventType;
  Action: EventAction;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'swarm' | 'local';
  /** Unix seconds. */
  time: number;
  timeNano: bigint;
}

const TYPE_OF_TABLE: Partial<Record<StoreEvent['table'], EventType>> = {
  services: 'service',
  nodes: 'node',
  secrets: 'secret',
  configs: 'config',
  networks: 'network',
};

const ACTION_OF_KIND: Record<StoreEvent['kind'], EventAction> = {
  create: 'create',
  update: 'update',
  delete: 'remove',
};

/** Nanoseconds since the epoch of an RFC 3339 time (any fraction); undefined when unreadable. */
export function rfc3339ToNanos(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (!Number.isFinite(seconds)) return undefined;
  const fraction = (match[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(seconds) * 1_000_000n + BigInt(fraction);
}

function nodeAttributes(node: Node, old: Node | undefined): Record<string, string> {
  const attributes: Record<string, string> = {
    name: node.Spec.Name || node.Description.Hostname,
  };
  if (old === undefined) return attributes;
  const change = (key: string, before: string, after: string) => {
    if (before === after) return;
    attributes[`${key}.old`] = before;
    attributes[`${key}.new`] = after;
  };
  change('availability', old.Spec.Availability, node.Spec.Availability);
  change('role', old.Spec.Role, node.Spec.Role);
  change('state', old.Status.State, node.Status.State);
  if (node.ManagerStatus !== undefined && old.ManagerStatus !== undefined) {
    change(
      'leader',
      String(old.ManagerStatus.Leader === true),
      String(node.ManagerStatus.Leader === true),
    );
    change('reachability', old.ManagerStatus.Reachability, node.ManagerStatus.Reachability);
  }
  return attributes;
}

function serviceAttributes(service: Service, old: Service | undefined): Record<string, string> {
  const attributes: Record<string, string> = { name: service.Spec.Name };
  if (old === undefined) return attributes;
  const image = service.Spec.TaskTemplate.ContainerSpec?.Image;
  const oldImage = old.Spec.TaskTemplate.ContainerSpec?.Image;
  if (image !== undefined && oldImage !== undefined && image !== oldImage) {
    attributes['image.old'] = oldImage;
    attributes['image.new'] = image;
  }
  const replicas = service.Spec.Mode.Replicated?.Replicas;
  const oldReplicas = old.Spec.Mode.Replicated?.Replicas;
  if (replicas !== undefined && oldReplicas !== undefined && replicas !== oldReplicas) {
    attributes['replicas.old'] = String(oldReplicas);
    attributes['replicas.new'] = String(replicas);
  }
  const state = service.UpdateStatus?.State;
  const oldState = old.UpdateStatus?.State;
  if (state !== undefined) {
    if (oldState === undefined) attributes['updatestate.new'] = state;
    else if (state !== oldState) {
      attributes['updatestate.old'] = oldState;
      attributes['updatestate.new'] = state;
    }
  }
  return attributes;
}

function attributesOf(event: StoreEvent): Record<string, string> {
  const old = event.kind === 'update' ? event.oldObject : undefined;
  switch (event.table) {
    case 'nodes':
      return nodeAttributes(event.object, old as Node | undefined);
    case 'services':
      return serviceAttributes(event.object, old as Service | undefined);
    case 'secrets':
    case 'configs':
    case 'networks':
      return { name: event.object.Spec.Name };
    default:
      return {};
  }
}

/**
 * The Docker event for a committed change, or undefined for tables Docker has no events for
 * (tasks, the cluster). `nowNanos` times removals, which carry no time of their own.
 */
export function toDockerEvent(event: StoreEvent, nowNanos: bigint): DockerEvent | undefined {
  const type = TYPE_OF_TABLE[event.table];
  if (type === undefined) return undefined;
  const action = ACTION_OF_KIND[event.kind];
  const stamp =
    action === 'create'
      ? rfc3339ToNanos(event.object.CreatedAt)
      : action === 'update'
        ? rfc3339ToNanos(event.object.UpdatedAt)
        : undefined;
  const timeNano = stamp ?? nowNanos;
  return {
    Type: type,
    Action: action,
    Actor: { ID: event.object.ID, Attributes: attributesOf(event) },
    scope: 'swarm',
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  };
}

/** One line of the /events stream: JSON with `timeNano` written exactly (it exceeds 2^53). */
export function encodeEvent(event: DockerEvent): string {
  const { timeNano, ...rest } = event;
  const body = JSON.stringify(rest);
  return `${body.slice(0, -1)},"timeNano":${timeNano.toString()}}\n`;
}

export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
