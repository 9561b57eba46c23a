// `--listen-addr` and `--advertise-addr` as dockerd reads them: an IP address or a network
// interface name, each with an optional port (`eth0`, `eth0:2377`, `10.0.0.5`, `[fd00::1]:2377`).
// An interface stands for its one IPv4 address (else its one IPv6 address); the messages are
// dockerd's (daemon/cluster/listen_addr.go). Pure: the interfaces come from node:os by default.
import { isIP } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

export type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

/** An address that dockerd refuses: answered 400 with its message. */
export class AddressError extends Error {
  override name = 'AddressError';
  readonly code = 'invalid_argument';
}

export const BAD_LISTEN_ADDR =
  'listen address must be an IP address or network interface (with optional port number)';
export const BAD_ADVERTISE_ADDR =
  'advertise address must be a non-zero IP address or network interface (with optional port number)';

/** host:port → [host, port]; `[v6]:port` unbracketed; no port → port ''. */
export function splitHostPort(address: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ?? '' };
  if (isIP(address) === 6) return { host: address, port: '' };
  const colon = address.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(address.slice(colon + 1))) {
    return { host: address.slice(0, colon), port: address.slice(colon + 1) };
  }
  return { host: address, port: '' };
}

/** host and port joined, brackets around an IPv6 host. */
export function joinHostPort(host: string, port: string): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The IP address an interface name stands for: its only IPv4 address, else its only IPv6
 * address (link-local IPv6 addresses need a zone and are skipped). Undefined when no interface
 * has that name; throws AddressError when the interface's address is ambiguous or missing.
 */
export function interfaceAddress(name: string, interfaces: Interfaces): string | undefined {
  if (!Object.hasOwn(interfaces, name)) return undefined;
  let v4: string | undefined;
  let v6: string | undefined;
  for (const entry of interfaces[name] ?? []) {
    if (entry.family === 'IPv4') {
      if (v4 !== undefined) {
        throw new AddressError(
          `interface ${name} has more than one IPv4 address (${v4} and ${entry.address})`,
        );
      }
      v4 = entry.address;
    } else if (!/^fe[89ab]/i.test(entry.address)) {
      if (v6 !== undefined) {
        throw new AddressError(
          `interface ${name} has more than one IPv6 address (${v6} and ${entry.address})`,
        );
      }
      v6 = entry.address;
    }
  }
  const address = v4 ?? v6;
  if (address === undefined) {
    throw new AddressError(`interface ${name} has no usable IPv4 or IPv6 address`);
  }
  return address;
}

/** An interface name's address, or the IP address given; undefined when it is neither. */
function resolveHost(host: string, allowUnspecified: boolean, interfaces: Interfaces) {
  const fromInterface = interfaceAddress(host, interfaces);
  if (fromInterface !== undefined) return fromInterface;
  if (isIP(host) === 0) return undefined;
  if (!allowUnspecified && (host === '0.0.0.0' || /^[0:]+$/.test(host))) return undefined;
  return host;
}

/** `--listen-addr`: host (IP, unspecified allowed, or interface) and port, default `defaultPort`. */
export function resolveListenAddr(
  address: string,
  defaultPort: number,
  interfaces: Interfaces = networkInterfaces(),
): string {
  const { host, port } = splitHostPort(address.trim());
  const ip = resolveHost(host, true, interfaces);
  if (ip === undefined) throw new AddressError(`${BAD_LISTEN_ADDR}: got "${address}"`);
  return joinHostPort(ip, port || String(defaultPort));
}

/**
 * `--advertise-addr`: host (IP other than 0.0.0.0/::, or interface) and port, by default the
 * listen address's port. Empty: the listen address itself, unless that is unspecified.
 */
export function resolveAdvertiseAddr(
  address: string,
  listenAddr: string,
  interfaces: Interfaces = networkInterfaces(),
): string {
  const listen = splitHostPort(listenAddr);
  if (!address.trim()) {
    if (resolveHost(listen.host, false, {}) === undefined) {
      throw new AddressError(
        'could not choose an IP address to advertise: use --advertise-addr to name the address (or interface) other nodes reach this one at',
      );
    }
    return listenAddr;
  }
  const { host, port } = splitHostPort(address.trim());
  const ip = resolveHost(host, false, interfaces);
  if (ip === undefined) throw new AddressError(`${BAD_ADVERTISE_ADDR}: got "${address}"`);
  return joinHostPort(ip, port || listen.port);
}
