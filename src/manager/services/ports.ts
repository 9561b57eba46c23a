// Published ports, allocated by the managers as swarm does: an ingress port keeps the number
// asked for, or gets the lowest free one of 30000-32767; one ingress port number (per
// protocol) belongs to one service in the whole cluster, and no other service may publish it
// in host mode either (every node listens on it). Host-mode ports of different services may
// share a number: the scheduler keeps two tasks from binding one on the same node.
import type { PortConfig, Service, ServiceSpec } from '../../store/index.ts';
import { InvalidSpecError } from './validate.ts';

export const DYNAMIC_PORT_START = 30000;
export const DYNAMIC_PORT_END = 32767;

function key(port: number, protocol: string): string {
  return `${port}/${protocol}`;
}

/**
 * The ports the service's endpoint gets. `others`: every other service; `previous`: what this
 * service had (an update keeps its dynamic ports).
 */
export function allocatePorts(
  spec: ServiceSpec,
  others: readonly Service[],
  previous: readonly PortConfig[] = [],
): PortConfig[] {
  const taken = new Map<string, Service>();
  const takenByHost = new Map<string, Service>();
  for (const other of others) {
    for (const port of [
      ...(other.Spec.EndpointSpec?.Ports ?? []),
      ...(other.Endpoint?.Ports ?? []),
    ]) {
      if (!port.PublishedPort) continue;
      const mode = port.PublishMode ?? 'ingress';
      (mode === 'ingress' ? taken : takenByHost).set(
        key(port.PublishedPort, port.Protocol ?? 'tcp'),
        other,
      );
    }
  }
  const result: PortConfig[] = [];
  // The numbers asked for first, so a dynamic port never takes one of them.
  const mine = new Set<string>();
  for (const asked of spec.EndpointSpec?.Ports ?? []) {
    if ((asked.PublishMode ?? 'ingress') === 'ingress' && asked.PublishedPort) {
      mine.add(key(asked.PublishedPort, asked.Protocol ?? 'tcp'));
    }
  }
  for (const asked of spec.EndpointSpec?.Ports ?? []) {
    const protocol = asked.Protocol ?? 'tcp';
    const mode = asked.PublishMode ?? 'ingress';
    const port: PortConfig = { ...asked, Protocol: protocol, PublishMode: mode };
    if (asked.PublishedPort) {
      // swarmkit's checkPortConflicts, with its words.
      const owner = taken.get(key(asked.PublishedPort, protocol));
      if (owner) {
        throw new InvalidSpecError(
          `port '${asked.PublishedPort}' is already in use by service '${owner.Spec.Name}' (${owner.ID}) as an ingress port`,
        );
      }
      const hostOwner = takenByHost.get(key(asked.PublishedPort, protocol));
      if (mode === 'ingress' && hostOwner) {
        throw new InvalidSpecError(
          `port '${asked.PublishedPort}' is already in use by service '${hostOwner.Spec.Name}' (${hostOwner.ID}) as a host-published port`,
        );
      }
    }
    if (mode === 'ingress') {
      if (!asked.PublishedPort) {
        const kept = previous.find(
          (p) =>
            p.TargetPort === asked.TargetPort &&
            (p.Protocol ?? 'tcp') === protocol &&
            (p.PublishMode ?? 'ingress') === 'ingress' &&
            p.PublishedPort &&
            !mine.has(key(p.PublishedPort, protocol)),
        );
        port.PublishedPort =
          kept?.PublishedPort ?? lowestFree([taken, takenByHost], mine, protocol);
      }
      mine.add(key(port.PublishedPort!, protocol));
    }
    result.push(port);
  }
  return result;
}

function lowestFree(taken: Map<string, Service>[], mine: Set<string>, protocol: string): number {
  for (let port = DYNAMIC_PORT_START; port <= DYNAMIC_PORT_END; port++) {
    const k = key(port, protocol);
    if (!taken.some((ports) => ports.has(k)) && !mine.has(k)) return port;
  }
  throw new InvalidSpecError('no free port left in the dynamic range 30000-32767');
}
