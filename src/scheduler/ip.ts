// IP addresses and CIDR networks for `node.ip` constraints, parsed as Go's net.ParseIP and
// net.ParseCIDR do (swarmkit's constraint matching uses them): dotted IPv4 without leading
// zeros, IPv6 with one `::` and an optional dotted tail, no zones. Pure string work; an IPv4
// address and its IPv4-mapped IPv6 form (::ffff:a.b.c.d) are the same address, as in Go.

/** An address as 16 bytes (IPv4 as IPv4-mapped IPv6, like Go's net.IP). */
export type IpBytes = Uint8Array;

export interface IpNetwork {
  /** 4 bytes for an IPv4 network, 16 for IPv6; already masked. */
  bytes: Uint8Array;
  prefixBits: number;
}

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Parses an IPv4 or IPv6 address; undefined when it is not one. */
export function parseIp(text: string): IpBytes | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const v4 = parseIpv4(text);
  if (v4 === undefined) return undefined;
  return Uint8Array.from([...IPV4_MAPPED_PREFIX, ...v4]);
}

export function ipEqual(a: IpBytes, b: IpBytes): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Parses `address/prefix`; undefined when malformed (Go's ParseCIDR error). */
export function parseCidr(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefixBits = Number(prefixText);
  const isV6 = addressText.includes(':');
  const bytes = isV6 ? parseIpv6(addressText) : parseIpv4(addressText);
  if (bytes === undefined || prefixBits > bytes.length * 8) return undefined;
  return { bytes: maskBytes(bytes, prefixBits), prefixBits };
}

/** Whether the network holds the address (an IPv4 network holds IPv4 and mapped addresses). */
export function networkContains(network: IpNetwork, address: IpBytes | undefined): boolean {
  if (address === undefined) return false;
  const candidate = network.bytes.length === 4 ? toIpv4(address) : address;
  if (candidate === undefined || candidate.length !== network.bytes.length) return false;
  return ipEqual(maskBytes(candidate, network.prefixBits), network.bytes);
}

function toIpv4(address: IpBytes): Uint8Array | undefined {
  const mapped = IPV4_MAPPED_PREFIX.every((byte, i) => address[i] === byte);
  return mapped ? address.slice(12) : undefined;
}

function maskBytes(bytes: Uint8Array, prefixBits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefixBits - i * 8));
    const mask = bitsHere === 0 ? 0 : (0xff << (8 - bitsHere)) & 0xff;
    out[i] = (bytes[i] ?? 0) & mask;
  }
  return out;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Go 1.17+ refuses leading zeros (they read as octal elsewhere).
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 16 : total > 14) return undefined;
  const out = new Uint8Array(16);
  out.set(head, 0);
  out.set(tail, 16 - tail.length);
  return out;
}

/** Colon-separated hex groups as bytes; the last group may be a dotted IPv4 tail. */
function parseGroups(text: string, tailAllowsIpv4: boolean): number[] | undefined {
  if (text === '') return [];
  const groups = text.split(':');
  const bytes: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (i === groups.length - 1 && tailAllowsIpv4 && group.includes('.')) {
      const v4 = parseIpv4(group);
      if (v4 === undefined) return undefined;
      bytes.push(...v4);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    const value = Number.parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  return bytes;
}
