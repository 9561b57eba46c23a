// The structured flag values of `service create|update`, parsed as docker's opts package does:
// CSV mounts, published ports (short and long syntax), network attachments, secret and config
// references, ulimits, generic resources, placement preferences, and devices (a Shoal
// extension shaped like `docker run --device`). Every function throws a plain Error worded like
// docker's; the caller adds the flag name. Simpler values are in flag-validators.ts.
import { isIP } from 'node:net';
import type { FileReference, GenericResource, Mount, PortConfig } from '../../../store/index.ts';
import { parseInt64, parseUint, ramInBytes } from './flag-values.ts';

/** One record of Go's encoding/csv (comma separated, "quoted" fields with "" escapes). */
export function csvFields(text: string): string[] {
  if (text === '') throw new Error('EOF');
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    let field = '';
    if (text[index] === '"') {
      index++;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote < 0) {
          throw new Error(
            `parse error on line 1, column ${text.length + 1}: extraneous or missing " in quoted-field`,
          );
        }
        field += text.slice(index, quote);
        index = quote + 1;
        if (text[index] === '"') {
          field += '"';
          index++;
          continue;
        }
        if (index < text.length && text[index] !== ',') {
          throw new Error(
            `parse error on line 1, column ${index + 1}: extraneous or missing " in quoted-field`,
          );
        }
        break;
      }
    } else {
      const comma = text.indexOf(',', index);
      field = text.slice(index, comma < 0 ? text.length : comma);
      const bare = field.indexOf('"');
      if (bare >= 0) {
        throw new Error(
          `parse error on line 1, column ${index + bare + 1}: bare " in non-quoted-field`,
        );
      }
      index += field.length;
    }
    fields.push(field);
    if (index >= text.length) return fields;
    index++; // the comma
    if (index === text.length) {
      fields.push('');
      return fields;
    }
  }
}

/** `strings.Cut(text, "=")`. */
export function cut(text: string, separator: string): [string, string, boolean] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, '', false] : [text.slice(0, at), text.slice(at + separator.length), true];
}

/** docker's opts.MountOpt: `type=bind,source=/a,target=/b,readonly`, volume by default. */
export function parseMount(value: string): Mount {
  const fields = csvFields(value);
  const mount: Mount = { Type: 'volume', Target: '' };
  let volumeOptions: NonNullable<Mount['VolumeOptions']> | undefined;
  const volume = () => {
    volumeOptions ??= { Labels: {}, DriverConfig: {} };
    mount.VolumeOptions = volumeOptions;
    return volumeOptions;
  };
  const bind = () => {
    mount.BindOptions ??= {};
    return mount.BindOptions;
  };
  const tmpfs = () => {
    mount.TmpfsOptions ??= {};
    return mount.TmpfsOptions;
  };
  const boolean = (key: string, text: string, message = `invalid value for ${key}: ${text}`) => {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
    throw new Error(message);
  };
  const setOnMap = (target: Record<string, string>, text: string) => {
    const [key, entry] = cut(text, '=');
    if (key !== '') target[key] = entry;
  };
  for (const field of fields) {
    const [key, text, hasValue] = cut(field, '=');
    if (!hasValue) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true;
      else if (key === 'volume-nocopy') volume().NoCopy = true;
      else if (key === 'bind-nonrecursive') bind().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        mount.Type = text.toLowerCase() as Mount['Type'];
        break;
      case 'source':
      case 'src':
        mount.Source = text;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = text;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = boolean(key, text);
        break;
      case 'consistency':
        mount.Consistency = text.toLowerCase();
        break;
      case 'bind-propagation':
        bind().Propagation = text.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().NonRecursive = boolean(key, text);
        break;
      case 'volume-nocopy':
        volume().NoCopy = boolean(key, text, `invalid value for volume-nocopy: ${text}`);
        break;
      case 'volume-label':
        setOnMap(volume().Labels!, text);
        break;
      case 'volume-driver':
        volume().DriverConfig!.Name = text;
        break;
      case 'volume-opt': {
        const driver = volume().DriverConfig!;
        driver.Options ??= {};
        setOnMap(driver.Options, text);
        break;
      }
      case 'tmpfs-size':
        try {
          tmpfs().SizeBytes = ramInBytes(text);
        } catch {
          throw new Error(`invalid value for ${key}: ${text}`);
        }
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(text) || Number.parseInt(text, 8) > 0xffffffff) {
          throw new Error(`invalid value for ${key}: ${text}`);
        }
        tmpfs().Mode = Number.parseInt(text, 8);
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if ((mount.Type as string) === '') throw new Error('type is required');
  if (mount.Target === '') throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') {
    throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  }
  if (mount.BindOptions && mount.Type !== 'bind') {
    throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  }
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') {
    throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  }
  return mount;
}

/** go-connections nat.ParsePortRange: "80" or "8000-8010". */
function parsePortRange(text: string): [number, number] {
  if (text === '') throw new Error('Empty string specified for ports.');
  const port = (part: string) => {
    if (!/^[0-9]+$/.test(part) || Number(part) > 65535) throw new Error('invalid port');
    return Number(part);
  };
  if (!text.includes('-')) return [port(text), port(text)];
  const [first, second] = text.split('-');
  const start = port(first!);
  const end = port(second ?? '');
  if (end < start) throw new Error(`Invalid range specified for the Port: ${text}`);
  return [start, end];
}

/** docker's swarm PortOpt: `8080:80`, `8080:80/udp`, `80`, or `published=8080,target=80,...`. */
export function parsePorts(value: string): PortConfig[] {
  if (/\w+=\w+(,\w+=\w+)*/.test(value)) return [parseLongPort(value)];
  // Short syntax ([ip:]published:target[/protocol]), as nat.ParsePortSpec reads it.
  const parts = value.split(':');
  const containerPart = parts[parts.length - 1]!;
  const hostPort = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const ip = parts.length >= 3 ? parts.slice(0, parts.length - 2).join(':') : '';
  const slash = containerPart.split('/');
  let protocol = 'tcp';
  let containerPort = containerPart;
  if (containerPart === '' || slash[0] === '') {
    protocol = '';
    containerPort = '';
  } else if (slash.length > 1) {
    protocol = slash[1] === '' ? 'tcp' : slash[1]!;
    containerPort = slash[0]!;
  }
  const rawIp = ip.replace(/^\[|\]$/g, '');
  if (rawIp !== '' && isIP(rawIp) === 0) throw new Error(`Invalid ip address: ${rawIp}`);
  if (containerPort === '') throw new Error(`No port specified: ${value}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`Invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== '') {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`Invalid hostPort: ${hostPort}`);
    }
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new Error(
        `Invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
      );
    }
  }
  const lowered = protocol.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lowered)) throw new Error(`Invalid proto: ${protocol}`);
  if (rawIp !== '') throw new Error('hostip is not supported');
  const ports: PortConfig[] = [];
  for (let offset = 0; offset <= end - start; offset++) {
    const target = start + offset;
    // A single target port with a published range publishes each port of the range.
    const publishedStart = hostPort === '' ? 0 : start === end ? hostStart : hostStart + offset;
    const publishedEnd = hostPort === '' ? 0 : start === end ? hostEnd : hostStart + offset;
    for (let published = publishedStart; published <= publishedEnd; published++) {
      ports.push({
        Protocol: lowered as PortConfig['Protocol'],
        TargetPort: target,
        ...(published === 0 ? {} : { PublishedPort: published }),
        PublishMode: 'ingress',
      });
    }
  }
  return ports;
}

function parseLongPort(value: string): PortConfig {
  const port: PortConfig = { Protocol: 'tcp', TargetPort: 0, PublishMode: 'ingress' };
  const number = (text: string, what: string) => {
    if (!/^[0-9]+$/.test(text)) {
      throw new Error(`invalid ${what} port (${text}): value must be an integer: invalid syntax`);
    }
    if (Number(text) > 65535) {
      throw new Error(
        `invalid ${what} port (${text}): value must be an integer: value out of range`,
      );
    }
    return Number(text);
  };
  for (const field of csvFields(value)) {
    const [key, text, hasValue] = cut(field.toLowerCase(), '=');
    if (!hasValue || key === '') throw new Error(`invalid field: ${field}`);
    switch (key) {
      case 'protocol':
        if (!['tcp', 'udp', 'sctp'].includes(text)) {
          throw new Error(`invalid protocol value '${text}'`);
        }
        port.Protocol = text as PortConfig['Protocol'];
        break;
      case 'mode':
        if (text !== 'ingress' && text !== 'host') {
          throw new Error(
            `invalid publish mode value (${text}): must be either 'ingress' or 'host'`,
          );
        }
        port.PublishMode = text;
        break;
      case 'target':
        port.TargetPort = number(text, 'target');
        break;
      case 'published':
        port.PublishedPort = number(text, 'published');
        break;
      default:
        throw new Error(`invalid field key: ${key}`);
    }
  }
  if (port.TargetPort === 0) throw new Error("missing mandatory field 'target'");
  return {
    Protocol: port.Protocol,
    TargetPort: port.TargetPort,
    ...(port.PublishedPort ? { PublishedPort: port.PublishedPort } : {}),
    PublishMode: port.PublishMode,
  };
}

export interface NetworkAttachment {
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

/** docker's opts.NetworkOpt: `name` or `name=net,alias=a,driver-opt=k=v`. */
export function parseNetwork(value: string): NetworkAttachment {
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return { Target: value };
  const attachment: NetworkAttachment = { Target: '', Aliases: [] };
  for (const field of csvFields(value)) {
    const [rawKey, rawValue, hasValue] = cut(field, '=');
    if (!hasValue || rawKey === '') throw new Error(`invalid field ${field}`);
    const key = rawKey.trim();
    const text = rawValue.trim();
    if (key === 'name') attachment.Target = text;
    else if (key === 'alias') attachment.Aliases!.push(text);
    else if (key === 'ip' || key === 'ip6') continue;
    else if (key === 'driver-opt') {
      const [optionKey, optionValue, ok] = cut(text, '=');
      if (!ok || optionKey === '') {
        throw new Error('invalid key value pair format in driver options');
      }
      attachment.DriverOpts ??= {};
      attachment.DriverOpts[optionKey.trim()] = optionValue.trim();
    } else throw new Error(`invalid field key ${key}`);
  }
  if (attachment.Target === '') throw new Error('network name/id is not specified');
  return attachment;
}

/** docker's SecretOpt/ConfigOpt: `name` or `source=name,target=/x,uid=0,gid=0,mode=0444`. */
export function parseFileReference(value: string, kind: 'secret' | 'config'): FileReference {
  const fields = csvFields(value);
  const file = { Name: '', UID: '0', GID: '0', Mode: 0o444 };
  const nameKey = kind === 'secret' ? 'SecretName' : 'ConfigName';
  if (fields.length === 1 && !fields[0]!.includes('=')) {
    return { File: { ...file, Name: fields[0]! }, [nameKey]: fields[0]! };
  }
  let source = '';
  for (const field of fields) {
    const [key, text, hasValue] = cut(field, '=');
    if (!hasValue || key === '')
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    switch (key.toLowerCase()) {
      case 'source':
      case 'src':
        source = text;
        break;
      case 'target':
        file.Name = text;
        break;
      case 'uid':
        file.UID = text;
        break;
      case 'gid':
        file.GID = text;
        break;
      case 'mode':
        try {
          file.Mode = parseUint(text);
          if (file.Mode > 0xffffffff) throw new Error('value out of range');
        } catch (error) {
          throw new Error(`invalid mode specified: ${(error as Error).message}`);
        }
        break;
      default:
        throw new Error(`invalid field in ${kind} request: ${key}`);
    }
  }
  if (source === '') throw new Error('source is required');
  if (file.Name === '') file.Name = source;
  return { File: file, [nameKey]: source };
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

function validDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const seen = new Set<string>();
  for (const char of mode) {
    if (!'rwm'.includes(char) || seen.has(char)) return false;
    seen.add(char);
  }
  return true;
}

/** `docker run --device` syntax: /dev/x[:/dev/y][:rwm], validated as docker validates it. */
export function parseDevice(value: string): DeviceMapping {
  const parts = value.split(':');
  if (parts.length > 3 || parts[0] === '') throw new Error(`bad format for path: ${value}`);
  let containerPath = parts[0]!;
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (validDeviceMode(parts[1]!)) permissions = parts[1]!;
    else containerPath = parts[1]!;
  } else if (parts.length === 3) {
    containerPath = parts[1]!;
    if (!validDeviceMode(parts[2]!)) throw new Error(`bad mode specified: ${parts[2]}`);
    permissions = parts[2]!;
  }
  if (!containerPath.startsWith('/')) throw new Error(`${containerPath} is not an absolute path`);
  return { PathOnHost: parts[0]!, PathInContainer: containerPath, CgroupPermissions: permissions };
}

const ULIMIT_NAMES = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** go-units ParseUlimit: `nofile=1024[:2048]`. */
export function parseUlimit(value: string): Ulimit {
  const [name, limits, hasValue] = cut(value, '=');
  if (!hasValue) throw new Error(`invalid ulimit argument: ${value}`);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const values = limits.split(':');
  if (values.length > 2) {
    throw new Error(
      `too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``,
    );
  }
  const decimal = (text: string) => {
    if (!/^[+-]?[0-9]+$/.test(text)) {
      throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
    }
    return parseInt64(text);
  };
  const hard = values.length === 2 ? decimal(values[1]!) : undefined;
  const soft = decimal(values[0]!);
  const effectiveHard = hard ?? soft;
  if (effectiveHard !== -1) {
    if (soft === -1) {
      throw new Error(
        `ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${effectiveHard}`,
      );
    }
    if (soft > effectiveHard) {
      throw new Error(
        `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${effectiveHard}`,
      );
    }
  }
  return { Name: name, Soft: soft, Hard: effectiveHard };
}

/** docker's ValidateSingleGenericResource. */
export function validateGenericResource(value: string): string {
  if (!value.includes('=')) {
    throw new Error(`invalid generic-resource format \`${value}\` expected \`name=value\``);
  }
  return value;
}

/** swarmkit's genericresource.Parse: `gpu=2` (discrete) or `gpu=uuid1` `gpu=uuid2` (named). */
export function parseGenericResources(values: readonly string[]): GenericResource[] {
  const tokens = new Map<string, string[]>();
  for (const term of values) {
    const parts = term.split('=');
    if (parts.length !== 2) {
      throw new Error(
        `invalid generic resource specification: could not parse GenericResource: incorrect term ${term}, missing '=' or malformed expression`,
      );
    }
    const key = parts[0]!.trim();
    tokens.set(key, [...(tokens.get(key) ?? []), parts[1]!.trim()]);
  }
  const resources: GenericResource[] = [];
  for (const [kind, entries] of tokens) {
    if (entries.length === 1 && /^[+-]?[0-9]+$/.test(entries[0]!)) {
      const count = Number(entries[0]);
      if (count < 0) {
        throw new Error(
          `invalid generic resource specification: could not parse GenericResource: cannot ask for negative resource ${kind}`,
        );
      }
      resources.push({ DiscreteResourceSpec: { Kind: kind, Value: count } });
      continue;
    }
    if (entries.every((entry) => !/^[+-]?[0-9]+$/.test(entry))) {
      for (const entry of entries)
        resources.push({ NamedResourceSpec: { Kind: kind, Value: entry } });
      continue;
    }
    throw new Error(
      `invalid generic resource specification: could not parse GenericResource: mixed discrete and named resources in ${kind}`,
    );
  }
  return resources;
}

/** docker's placementPrefOpts: only `spread=<descriptor>`. */
export function parsePlacementPreference(value: string): { Spread: { SpreadDescriptor: string } } {
  const [strategy, descriptor, ok] = cut(value, '=');
  if (!ok || strategy === '') {
    throw new Error('placement preference must be of the format "<strategy>=<arg>"');
  }
  if (strategy !== 'spread') {
    throw new Error(`unsupported placement preference ${strategy} (only spread is supported)`);
  }
  return { Spread: { SpreadDescriptor: descriptor } };
}
