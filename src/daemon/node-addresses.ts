// The cluster addresses of a node: what it listens on and what it tells others to dial, read
// from `--listen-addr` and `--advertise-addr` as dockerd reads them (an IP address or an
// interface name, each with an optional port; no advertise address and a listen address on
// every interface: the system's one address, system-address.ts). What the operator gave is
// kept as written and resolved again at each start and while the daemon runs (address-watch.ts),
// so a node whose interface got a new address (DHCP) advertises that one; an address given
// literally stays what it is. Pure: the interfaces are passed in.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { DEFAULT_CLUSTER_PORT } from './defaults.ts';
import {
  AddressError,
  type Interfaces,
  resolveAdvertiseAddr,
  resolveListenAddr,
  splitHostPort,
} from './interface-address.ts';
import type { NodeState } from './node-state.ts';
import { SwarmError } from './swarm-error.ts';
import { systemAddress, withSystemHost } from './system-address.ts';

export interface NodeAddresses {
  listenAddr: string;
  advertiseAddr: string;
}

/**
 * The listen and advertise addresses of init and join (and of each restart): the advertised
 * port defaults to the listen port. A refusal is a SwarmError 400 with dockerd's message.
 */
export function resolveNodeAddresses(
  listen: string,
  advertise: string,
  interfaces: Interfaces = networkInterfaces(),
): NodeAddresses {
  try {
    const listenAddr = resolveListenAddr(
      listen || `0.0.0.0:${DEFAULT_CLUSTER_PORT}`,
      DEFAULT_CLUSTER_PORT,
      interfaces,
    );
    const bound = splitHostPort(listenAddr);
    if (!advertise.trim() && isUnspecified(bound.host)) {
      return { listenAddr, advertiseAddr: withSystemHost(systemAddress(interfaces), bound.port) };
    }
    return { listenAddr, advertiseAddr: resolveAdvertiseAddr(advertise, listenAddr, interfaces) };
  } catch (error) {
    if (error instanceof AddressError) throw new SwarmError(400, error.message);
    throw error;
  }
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || /^[0:]+$/.test(host);
}

/**
 * Whether resolving the node's addresses again can give other ones: an interface name, or an
 * advertised address detected from the system's (none given, listening on every address).
 * Addresses given literally never move, so nothing needs to watch them.
 */
export function addressesCanMove(node: NodeState): boolean {
  if (node.advertiseSpec === undefined) return false;
  const listen = splitHostPort((node.listenSpec ?? node.listenAddr).trim());
  if (listen.host !== '' && isIP(listen.host) === 0) return true;
  const advertise = node.advertiseSpec.trim();
  if (advertise === '') return listen.host === '' || isUnspecified(listen.host);
  return isIP(splitHostPort(advertise).host) === 0;
}

/** What a restart (or a check while running) finds: the addresses now, and the ones before. */
export type AddressRefresh =
  | { kind: 'unchanged' }
  | { kind: 'changed'; previous: NodeAddresses; node: NodeState }
  /** The interface named has no usable address now (e.g. DHCP has not answered yet). */
  | { kind: 'unresolved'; reason: string };

/**
 * Resolves the addresses the operator gave at init or join again. When they now differ, the
 * node state to keep: the new addresses, and this node's own entry in its list of managers
 * (a manager lists itself) moved to the new advertised address.
 */
export function refreshNodeAddresses(
  node: NodeState,
  interfaces: Interfaces = networkInterfaces(),
): AddressRefresh {
  if (node.advertiseSpec === undefined) return { kind: 'unchanged' };
  let now: NodeAddresses;
  try {
    now = resolveNodeAddresses(node.listenSpec ?? node.listenAddr, node.advertiseSpec, interfaces);
  } catch (error) {
    return { kind: 'unresolved', reason: (error as Error).message };
  }
  if (now.listenAddr === node.listenAddr && now.advertiseAddr === node.advertiseAddr) {
    return { kind: 'unchanged' };
  }
  const previous = { listenAddr: node.listenAddr, advertiseAddr: node.advertiseAddr };
  const managers = node.managers.map((addr) =>
    addr === previous.advertiseAddr ? now.advertiseAddr : addr,
  );
  return {
    kind: 'changed',
    previous,
    node: { ...node, ...now, managers: [...new Set(managers)] },
  };
}
