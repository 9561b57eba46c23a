// The body of `POST /networks/create` (Docker's NetworkCreateRequest) checked and turned into a
// swarm NetworkSpec, refusing whole what dockerd or swarmkit would refuse, with their words,
// and what Shoal does not offer (other drivers, local scope, IPv6, config-only networks), with
// what to do instead. Pure.

import type { IPAMConfig, Labels, NetworkSpec } from '../../store/index.ts';
import {
  contains,
  formatSubnet,
  lastAddress,
  parseIpv4,
  parseSubnet,
  type Subnet,
  within,
} from '../allocator/index.ts';
import { NetworkError, swarmkitError } from './errors.ts';

/** Docker's NetworkCreateRequest (API 1.41), as clients send it. */
export interface NetworkCreateRequest {
  Name?: unknown;
  CheckDuplicate?: unknown;
  Driver?: unknown;
  Scope?: unknown;
  Internal?: unknown;
  Attachable?: unknown;
  Ingress?: unknown;
  IPAM?: unknown;
  EnableIPv6?: unknown;
  Options?: unknown;
  Labels?: unknown;
  ConfigOnly?: unknown;
  ConfigFrom?: unknown;
}

/** Names dockerd keeps for its own networks (runconfig.IsPreDefinedNetwork). */
export const PREDEFINED_NETWORK_NAMES = new Set(['bridge', 'host', 'none', 'default']);
/** Labels swarmkit keeps for networks it creates itself. */
const RESERVED_LABELS = {
  'com.docker.swarm.internal': 'predefined internal networks',
  'com.docker.swarm.predefined': 'internally created predefined networks',
};
/** swarmkit's isValidDNSName: letters and digits, with - and _ inside. */
const DNS_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;
const NAME_LENGTH_MAX = 63;
/** A subnet needs room for its network, gateway, broadcast address and one more. */
const SUBNET_PREFIX_MAX = 30;
const MAP_ENTRIES_MAX = 256;

function invalid(message: string): NetworkError {
  return swarmkitError('invalid_argument', message);
}

function unsupported(message: string): NetworkError {
  return new NetworkError('invalid_argument', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw unsupported(`${what} must be an object of strings`);
  const entries = Object.entries(value);
  if (entries.length > MAP_ENTRIES_MAX) {
    throw unsupported(`${what}: at most ${MAP_ENTRIES_MAX} entries, got ${entries.length}`);
  }
  for (const [key, entry] of entries) {
    if (typeof entry !== 'string')
      throw unsupported(`${what}: the value of "${key}" must be a string`);
  }
  return { ...(value as Record<string, string>) };
}

function flag(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw unsupported(`${what} must be true or false`);
  return value;
}

function optionalString(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw unsupported(`${what} must be a string`);
  return value;
}

export function validateNetworkName(name: string): void {
  if (name === '') throw invalid('meta: name must be provided');
  if (PREDEFINED_NETWORK_NAMES.has(name)) {
    throw new NetworkError(
      'permission_denied',
      `operation is not permitted on predefined ${name} network`,
    );
  }
  if (!DNS_NAME.test(name)) {
    throw invalid(
      `name must be valid as a DNS name component ("${name}": letters and digits, with - and _ between them)`,
    );
  }
  if (name.length > NAME_LENGTH_MAX) {
    throw invalid(`name must be ${NAME_LENGTH_MAX} characters or fewer`);
  }
}

function validateLabels(labels: Labels): void {
  for (const [label, kind] of Object.entries(RESERVED_LABELS)) {
    if (label in labels) {
      throw swarmkitError(
        'permission_denied',
        `label ${label} is for ${kind} and cannot be applied by users`,
      );
    }
  }
}

function subnetOrFail(text: string, what: 'subnet' | 'range'): Subnet {
  if (text.includes(':')) {
    throw unsupported(`IPv6 ${what} ${text} is not supported: Shoal networks are IPv4 only`);
  }
  const subnet = parseSubnet(text);
  if (subnet === 'malformed') throw invalid(`ipam configuration: invalid ${what} ${text}`);
  if (subnet === 'host-bits') {
    const slash = text.indexOf('/');
    const address = parseIpv4(text.slice(0, slash))!;
    const prefixBits = Number(text.slice(slash + 1));
    const size = 2 ** (32 - prefixBits);
    const suggestion = formatSubnet({ base: address - (address % size), prefixBits });
    throw invalid(
      `ipam configuration: invalid ${what} ${text}: host bits are set (did you mean ${suggestion}?)`,
    );
  }
  return subnet;
}

/** One IPAM config as asked: its subnet checked, its range and gateway inside it. */
function validateIpamConfig(value: unknown): IPAMConfig {
  if (!isRecord(value)) throw invalid('ipam configuration: cannot be empty');
  const subnetText = optionalString(value.Subnet, 'IPAM Subnet');
  const rangeText = optionalString(value.IPRange ?? value.Range, 'IPAM IPRange');
  const gatewayText = optionalString(value.Gateway, 'IPAM Gateway');
  if (isRecord(value.AuxiliaryAddresses) && Object.keys(value.AuxiliaryAddresses).length > 0) {
    throw unsupported('auxiliary addresses (--aux-address) are not supported on Shoal networks');
  }
  const subnet = subnetOrFail(subnetText, 'subnet');
  if (subnet.prefixBits > SUBNET_PREFIX_MAX) {
    throw invalid(
      `ipam configuration: subnet ${subnetText} is too small: use a /${SUBNET_PREFIX_MAX} or larger`,
    );
  }
  const config: IPAMConfig = { Subnet: formatSubnet(subnet) };
  if (rangeText !== '') {
    const range = subnetOrFail(rangeText, 'range');
    if (!within(range, subnet)) {
      throw invalid(`ipam configuration: subnet ${subnetText} does not contain range ${rangeText}`);
    }
    config.Range = formatSubnet(range);
  }
  if (gatewayText !== '') {
    const gateway = parseIpv4(gatewayText);
    if (gateway === undefined) throw invalid(`ipam configuration: invalid gateway ${gatewayText}`);
    if (!contains(subnet, gateway)) {
      throw invalid(
        `ipam configuration: subnet ${subnetText} does not contain gateway ${gatewayText}`,
      );
    }
    if (gateway === subnet.base || gateway === lastAddress(subnet)) {
      throw invalid(
        `ipam configuration: gateway ${gatewayText} is the network or broadcast address of ${subnetText}`,
      );
    }
    config.Gateway = gatewayText;
  }
  return config;
}

function validateIpam(value: unknown): NetworkSpec['IPAMOptions'] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw unsupported('IPAM must be an object');
  const driver = optionalString(value.Driver, 'IPAM Driver');
  if (driver !== '' && driver !== 'default') {
    throw unsupported(
      `IPAM driver "${driver}" is not supported: Shoal allocates addresses itself (leave out --ipam-driver)`,
    );
  }
  const options = stringMap(value.Options, 'IPAM Options');
  const configs = value.Config ?? [];
  if (!Array.isArray(configs)) throw unsupported('IPAM Config must be a list');
  if (configs.length > 1) {
    throw unsupported(
      `a Shoal network has one IPv4 subnet, got ${configs.length}: give --subnet once`,
    );
  }
  const ipam: NetworkSpec['IPAMOptions'] = {
    Driver: { Name: 'default', ...(Object.keys(options).length > 0 ? { Options: options } : {}) },
  };
  if (configs.length === 1) ipam.Configs = [validateIpamConfig(configs[0])];
  return ipam;
}

/** The swarm NetworkSpec of a create request; throws NetworkError naming what is wrong. */
export function networkSpecOf(body: unknown): NetworkSpec {
  if (!isRecord(body)) throw unsupported('a network create request (a JSON object) is required');
  const request = body as NetworkCreateRequest;
  const name = optionalString(request.Name, 'Name');
  validateNetworkName(name);
  const driver = optionalString(request.Driver, 'Driver') || 'overlay';
  if (driver !== 'overlay') {
    throw unsupported(
      `network driver "${driver}" is not supported: Shoal networks span the swarm and use the overlay driver (-d overlay)`,
    );
  }
  const scope = optionalString(request.Scope, 'Scope');
  if (scope !== '' && scope !== 'swarm') {
    throw unsupported(
      `network scope "${scope}" is not supported: Shoal networks are swarm-scoped (--scope swarm)`,
    );
  }
  if (
    flag(request.ConfigOnly, 'ConfigOnly') ||
    (isRecord(request.ConfigFrom) && request.ConfigFrom.Network)
  ) {
    throw unsupported('config-only networks (--config-only, --config-from) are not supported');
  }
  if (flag(request.EnableIPv6, 'EnableIPv6')) {
    throw unsupported('IPv6 (--ipv6) is not supported: Shoal networks are IPv4 only');
  }
  const ingress = flag(request.Ingress, 'Ingress');
  const attachable = flag(request.Attachable, 'Attachable');
  if (ingress && attachable) throw invalid('ingress network cannot be attachable');
  const labels = stringMap(request.Labels, 'Labels');
  validateLabels(labels);
  const options = stringMap(request.Options, 'Options');
  const spec: NetworkSpec = {
    Name: name,
    Labels: labels,
    DriverConfiguration: {
      Name: 'overlay',
      ...(Object.keys(options).length > 0 ? { Options: options } : {}),
    },
    Scope: 'swarm',
  };
  if (flag(request.Internal, 'Internal')) spec.Internal = true;
  if (attachable) spec.Attachable = true;
  if (ingress) spec.Ingress = true;
  const ipam = validateIpam(request.IPAM);
  if (ipam !== undefined) spec.IPAMOptions = ipam;
  return spec;
}
