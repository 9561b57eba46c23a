// The short port syntax (`80`, `8080:80`, `127.0.0.1:8080:80/udp`, `8000-8001:80-81`) as docker
// reads it (go-connections' nat.ParsePortSpec, then opts.ConvertPortToPortConfig): one mapping per
// container port of a range, a host range for a single container port publishing it on each.
// A host IP is ignored with a warning, as swarm listens on every address.
import { isIP } from 'node:net';

export interface ParsedPort {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export class PortSyntaxError extends Error {
  override name = 'PortSyntaxError';
}

/** Ranges wider than this are refused: each port becomes a listener on every node. */
export const PORT_RANGE_MAX = 1000;

function parseRange(text: string): [number, number] | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const container = parts[parts.length - 1]!;
  if (parts.length === 1) return ['', '', container];
  if (parts.length === 2) return ['', parts[0]!, container];
  return [parts.slice(0, -2).join(':'), parts[parts.length - 2]!, container];
}

function isIp(text: string): boolean {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return isIP(bare) !== 0;
}

/** Parses one short-syntax entry; `warn` hears about an ignored host IP. */
export function parsePortSpec(raw: string, warn: (message: string) => void): ParsedPort[] {
  const [ip, hostPort, containerWithProtocol] = splitParts(raw);
  const slash = containerWithProtocol.indexOf('/');
  const containerPort = slash < 0 ? containerWithProtocol : containerWithProtocol.slice(0, slash);
  const protocolText = slash < 0 ? 'tcp' : containerWithProtocol.slice(slash + 1) || 'tcp';
  if (ip !== '' && !isIp(ip)) throw new PortSyntaxError(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new PortSyntaxError(`no port specified: ${raw}<empty>`);
  const container = parseRange(containerPort);
  if (!container) throw new PortSyntaxError(`invalid containerPort: ${containerPort}`);
  let host: [number, number] | undefined;
  if (hostPort !== '') {
    host = parseRange(hostPort);
    if (!host) throw new PortSyntaxError(`invalid hostPort: ${hostPort}`);
    const containerWidth = container[1] - container[0];
    if (containerWidth !== host[1] - host[0] && containerWidth !== 0) {
      throw new PortSyntaxError(
        `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
      );
    }
  }
  const protocol = protocolText.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') {
    throw new PortSyntaxError(`invalid proto: ${protocolText}`);
  }
  const width = Math.max(container[1] - container[0], host ? host[1] - host[0] : 0);
  if (width >= PORT_RANGE_MAX)
    throw new PortSyntaxError(`port range ${raw} is wider than ${PORT_RANGE_MAX} ports`);
  if (ip !== '' && !/^(0\.0\.0\.0|\[?::\]?)$/.test(ip)) {
    warn(
      `ignoring IP-address (${ip}:${hostPort}:${containerPort}) service will listen on '0.0.0.0'`,
    );
  }
  const result: ParsedPort[] = [];
  if (container[0] === container[1] && host && host[0] !== host[1]) {
    for (let published = host[0]; published <= host[1]; published++) {
      result.push({ target: container[0], published, protocol });
    }
    return result;
  }
  for (let offset = 0; offset <= container[1] - container[0]; offset++) {
    result.push({
      target: container[0] + offset,
      ...(host ? { published: host[0] + offset } : {}),
      protocol,
    });
  }
  return result;
}
