// The address a node advertises when it was given none and listens on every address: the
// system's one IP address, chosen as dockerd chooses it (daemon/cluster/listen_addr.go): an
// IPv4 address if there is one, else an IPv6 one; loopback and link-local addresses never;
// interfaces of container networks skipped; more than one candidate is an error that says
// which. Detected again at each start, so a new DHCP lease is followed. Pure: the interfaces
// are passed in (node:os networkInterfaces() by default).
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AddressError, type Interfaces } from './interface-address.ts';

export const NO_SYSTEM_ADDRESS =
  "could not find the system's IP address: use --advertise-addr to name the address (or interface) other nodes reach this one at";

/**
 * Bridges and veth ends of container networks (the engine's, Shoal's own swarm networks):
 * dockerd skips the subnets it manages; without asking the engine, their names tell them.
 */
const CONTAINER_INTERFACE = /^(docker\d*|docker_gwbridge|br-[0-9a-f]{12}|shl-.*|veth.*|cni\d*)$/;

interface Candidate {
  name: string;
  address: string;
}

/** A unicast address other nodes could reach: not loopback, link-local, unspecified or multicast. */
function isGlobalUnicast(address: string, family: string): boolean {
  if (family === 'IPv4') {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return !(a === 0 || a === 127 || (a === 169 && b === 254) || a >= 224);
  }
  const lower = address.toLowerCase();
  return !(lower === '::' || lower === '::1' || /^fe[89ab]/.test(lower) || lower.startsWith('ff'));
}

function multipleAddresses(first: Candidate, second: Candidate): AddressError {
  const where =
    first.name === second.name
      ? `multiple addresses on interface ${first.name} (${first.address} and ${second.address})`
      : `multiple addresses on different interfaces (${first.address} on ${first.name} and ${second.address} on ${second.name})`;
  return new AddressError(
    `could not choose an IP address to advertise since this system has ${where}: use --advertise-addr to name one`,
  );
}

/**
 * The system's one IP address: its only IPv4 address, else (no IPv4 at all) its only IPv6
 * address. Throws AddressError naming the candidates when there are several, or none.
 */
export function systemAddress(interfaces: Interfaces = networkInterfaces()): string {
  const v4: Candidate[] = [];
  const v6: Candidate[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    if (CONTAINER_INTERFACE.test(name)) continue;
    for (const entry of entries ?? []) {
      if (entry.internal || !isGlobalUnicast(entry.address, entry.family)) continue;
      (entry.family === 'IPv4' ? v4 : v6).push({ name, address: entry.address });
    }
  }
  const candidates = v4.length > 0 ? v4 : v6;
  const [first, second] = candidates;
  if (first === undefined) throw new AddressError(NO_SYSTEM_ADDRESS);
  if (second !== undefined) throw multipleAddresses(first, second);
  return first.address;
}

/** host:port with brackets around an IPv6 host. */
export function withSystemHost(address: string, port: string): string {
  return isIPv4(address) ? `${address}:${port}` : `[${address}]:${port}`;
}
