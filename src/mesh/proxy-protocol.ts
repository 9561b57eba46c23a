// The PROXY protocol v2 header (haproxy's proxy-protocol.txt, section 2.2): what the mesh sends
// a task first, when its port asks for it, so the task learns the client's address although
// the connection comes from the mesh. Binary form: 12-byte signature, version/command,
// family/transport, length, then the addresses.
import { isIPv4, isIPv6 } from 'node:net';

const SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const VERSION_PROXY = 0x21; // version 2, command PROXY
const INET = 0x10;
const INET6 = 0x20;
const STREAM = 0x01;
const DGRAM = 0x02;

export interface ProxyAddresses {
  protocol: 'tcp' | 'udp';
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

/** Strips an IPv4-mapped IPv6 prefix (::ffff:1.2.3.4), as Node reports dual-stack peers. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map((part) => Number(part)));
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hextets.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = ipv4Bytes(quad[1]!);
    text = `${text.slice(0, -quad[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - left.length - right.length).fill('0');
  const groups = [...left, ...fill, ...right];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => {
    out.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  });
  return out;
}

/** The header for one connection (TCP) or one datagram (UDP). */
export function proxyHeaderV2(addresses: ProxyAddresses): Buffer {
  const source = plainAddress(addresses.sourceAddress);
  let destination = plainAddress(addresses.destinationAddress);
  const v4 = isIPv4(source);
  if (v4 !== isIPv4(destination)) {
    // Mixed families: state the destination in the source's family.
    destination = v4 ? '0.0.0.0' : '::';
  }
  const transport = addresses.protocol === 'tcp' ? STREAM : DGRAM;
  let body: Buffer;
  let family: number;
  if (v4) {
    family = INET;
    body = Buffer.concat([ipv4Bytes(source), ipv4Bytes(destination), Buffer.alloc(4)]);
  } else if (isIPv6(source)) {
    family = INET6;
    body = Buffer.concat([ipv6Bytes(source), ipv6Bytes(destination), Buffer.alloc(4)]);
  } else {
    throw new Error(`not an IP address: ${source}`);
  }
  body.writeUInt16BE(addresses.sourcePort, body.length - 4);
  body.writeUInt16BE(addresses.destinationPort, body.length - 2);
  const head = Buffer.alloc(16);
  SIGNATURE.copy(head);
  head[12] = VERSION_PROXY;
  head[13] = family | transport;
  head.writeUInt16BE(body.length, 14);
  return Buffer.concat([head, body]);
}

/** Reads a v2 header (for tests and for tasks written in Node); null when there is none. */
export function parseProxyHeaderV2(
  data: Buffer,
): { addresses: ProxyAddresses; length: number } | null {
  if (data.length < 16 || !data.subarray(0, 12).equals(SIGNATURE)) return null;
  const length = 16 + data.readUInt16BE(14);
  if (data.length < length) return null;
  const family = data[13]! & 0xf0;
  const protocol = (data[13]! & 0x0f) === STREAM ? 'tcp' : 'udp';
  const body = data.subarray(16, length);
  if (family === INET) {
    return {
      length,
      addresses: {
        protocol,
        sourceAddress: [...body.subarray(0, 4)].join('.'),
        destinationAddress: [...body.subarray(4, 8)].join('.'),
        sourcePort: body.readUInt16BE(8),
        destinationPort: body.readUInt16BE(10),
      },
    };
  }
  if (family === INET6) {
    const text = (bytes: Buffer) =>
      Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
    return {
      length,
      addresses: {
        protocol,
        sourceAddress: text(body.subarray(0, 16)),
        destinationAddress: text(body.subarray(16, 32)),
        sourcePort: body.readUInt16BE(32),
        destinationPort: body.readUInt16BE(34),
      },
    };
  }
  return null;
}
