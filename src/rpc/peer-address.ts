// Where to dial a Raft peer when the address the store records for it stops answering.
//
// A manager that moved (DHCP gave it another address) is known to the others at its old
// address until its member entry is rewritten, and when two managers move at once neither can
// reach the other to have that done. As swarmkit's reportNewAddress, the receiving side learns
// the new host from the connections the peer opens to it: the remote address of a stream whose
// TLS certificate names that member (never an address claimed in a message body), with the
// port the store records (a moved host keeps its port). Pure: the transport keeps, per peer,
// the recorded address, the one it dials and the host its streams last came from.
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: string;
}

/** `host:port` or `[v6]:port` → host (unbracketed) and port; null when there is no port. */
export function splitHostPort(address: string): HostPort | null {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2]! };
  const match = /^([^:[\]]+):(\d{1,5})$/.exec(address);
  return match ? { host: match[1]!, port: match[2]! } : null;
}

/** host and port joined; brackets around an IPv6 host. */
export function joinHostPort(host: string, port: string): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The host of a connection's far end as grpc-js's server names it (`1.2.3.4:5678`,
 * `[::1]:5678`, or IPv6 unbracketed `::1:5678`); IPv4-mapped IPv6 comes back as plain IPv4.
 * Null when it is not an IP address (a unix socket, an unknown peer).
 */
export function remoteHost(peer: string): string | null {
  let rest = peer.trim().replace(/^(ipv4|ipv6):/, '');
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || !/^\d+$/.test(rest.slice(colon + 1))) return null;
  rest = rest.slice(0, colon);
  if (rest.startsWith('[') && rest.endsWith(']')) rest = rest.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(rest);
  if (mapped) rest = mapped[1]!;
  return isIP(rest) === 0 ? null : rest;
}

/** True when `host` is the host part of `address`. */
export function sameHost(address: string, host: string): boolean {
  return splitHostPort(address)?.host.toLowerCase() === host.toLowerCase();
}

/**
 * `address` with its host replaced by `host`, keeping the port; null when that is the same
 * address or `address` has no port to keep.
 */
export function movedAddress(address: string, host: string): string | null {
  const parts = splitHostPort(address);
  if (parts === null || parts.host.toLowerCase() === host.toLowerCase()) return null;
  return joinHostPort(host, parts.port);
}

export interface PeerAddresses {
  /** What the store (or a membership change) says the peer is at. */
  recorded: string;
  /** What the transport dials now: the recorded address or one learned from the peer. */
  dialled: string;
  /** Host of the last authenticated stream the peer opened to this node; null: none yet. */
  observedHost: string | null;
}

/**
 * After a stream to the peer failed: the address to try next. A failure at the recorded
 * address tries the host the peer last came from (if another); a failure at a learned
 * address goes back to the recorded one. Alternating, with the transport's backoff between
 * attempts, so a wrong guess (a peer whose connections leave from another address than the
 * one it listens on) never keeps a reachable peer away.
 */
export function addressAfterFailure(peer: PeerAddresses): string {
  if (peer.dialled !== peer.recorded) return peer.recorded;
  if (peer.observedHost === null) return peer.recorded;
  return movedAddress(peer.recorded, peer.observedHost) ?? peer.recorded;
}

/**
 * An authenticated stream from the peer arrived from `host`: the address to dial at once, or
 * null to keep the current one. Moves when the current address is not answering (`working`
 * false), or when the peer used to come from the host dialled and now comes from another (it
 * moved while both sides were up: the stream to its old address has not timed out yet).
 */
export function addressOnArrival(
  peer: PeerAddresses,
  host: string,
  working: boolean,
): string | null {
  const moved = movedAddress(peer.dialled, host);
  if (moved === null) return null;
  if (!working) return moved;
  const cameFromDialled = peer.observedHost !== null && sameHost(peer.dialled, peer.observedHost);
  return cameFromDialled ? moved : null;
}
