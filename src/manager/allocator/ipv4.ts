// IPv4 addresses as unsigned 32-bit numbers and subnets as (base, prefix): the arithmetic the
// allocator needs, pure. Parsing is strict as Go's net.ParseIP/ParseCIDR are (no leading zeros,
// four parts); a subnet must be given by its network address (no host bits set), so a typo
// such as 10.0.1.5/24 is refused instead of silently read as 10.0.1.0/24.

export interface Subnet {
  /** The network address. */
  base: number;
  prefixBits: number;
}

const TWO_TO_32 = 2 ** 32;

/** 'a.b.c.d' → number, or undefined when not a dotted IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value >= TWO_TO_32) {
    throw new RangeError(`${value} is not an IPv4 address`);
  }
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Addresses in a subnet of this prefix length. */
export function subnetSize(prefixBits: number): number {
  return 2 ** (32 - prefixBits);
}

export function lastAddress(subnet: Subnet): number {
  return subnet.base + subnetSize(subnet.prefixBits) - 1;
}

export type SubnetProblem = 'malformed' | 'host-bits';

/** Parses 'a.b.c.d/n'; the problem when it is not a subnet's network address. */
export function parseSubnet(text: string): Subnet | SubnetProblem {
  const slash = text.indexOf('/');
  if (slash < 0) return 'malformed';
  const base = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (base === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return 'malformed';
  const prefixBits = Number(prefixText);
  if (prefixBits > 32) return 'malformed';
  if (base % subnetSize(prefixBits) !== 0) return 'host-bits';
  return { base, prefixBits };
}

/** The subnet `address` lies in, with `prefixBits` (its host bits cleared). */
export function subnetOf(address: number, prefixBits: number): Subnet {
  const size = subnetSize(prefixBits);
  return { base: address - (address % size), prefixBits };
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatIpv4(subnet.base)}/${subnet.prefixBits}`;
}

export function contains(subnet: Subnet, address: number): boolean {
  return address >= subnet.base && address <= lastAddress(subnet);
}

/** Two subnets overlap when either holds the other's network address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** `inner` lies wholly inside `outer`. */
export function within(inner: Subnet, outer: Subnet): boolean {
  return contains(outer, inner.base) && contains(outer, lastAddress(inner));
}
