// The plainer flag values of `service create|update`, checked and converted as docker's opts
// package does: env entries and env files, labels, IP addresses, extra hosts, DNS search
// domains, key=value lists, capabilities (create's effective lists and update's tri-state),
// and shell-like splitting of --entrypoint and --args. Errors are worded like docker's.
import { isIP } from 'node:net';
import { cut } from './flag-parsers.ts';

/** docker's ValidateEnv: a bare NAME takes its value from the caller's environment. */
export function validateEnv(
  value: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const [key, , hasValue] = cut(value, '=');
  if (key === '') throw new Error(`invalid environment variable: ${value}`);
  if (hasValue) return value;
  const inherited = environment[key];
  return inherited === undefined ? value : `${key}=${inherited}`;
}

const WHITESPACE = ' \t\n\v\f\r';

/** docker's ValidateLabel: a non-empty key without whitespace. */
export function validateLabel(value: string): string {
  let [key] = cut(value, '=');
  while (key !== '' && WHITESPACE.includes(key[0]!)) key = key.slice(1);
  if (key === '') throw new Error(`invalid label '${value}': empty name`);
  if ([...key].some((char) => WHITESPACE.includes(char))) {
    throw new Error(`label '${key}' contains whitespaces`);
  }
  return value;
}

/** docker's ValidateIPAddress, normalized as Go prints the address. */
export function validateIpAddress(value: string): string {
  const trimmed = value.trim();
  if (isIP(trimmed) === 0) throw new Error(`IP address is not correctly formatted: ${value}`);
  return trimmed.toLowerCase();
}

/** docker's ValidateExtraHost: `host:ip` (or host-gateway). */
export function validateExtraHost(value: string): string {
  const [host, address, ok] = cut(value, ':');
  if (!ok || host === '') throw new Error(`bad format for add-host: ${JSON.stringify(value)}`);
  if (address !== 'host-gateway' && isIP(address.trim()) === 0) {
    throw new Error(`invalid IP address in add-host: ${JSON.stringify(address)}`);
  }
  return value;
}

/** docker's ValidateDNSSearch. */
export function validateDnsSearch(value: string): string {
  const trimmed = value.replace(/^ +| +$/g, '');
  if (trimmed === '.') return trimmed;
  const domain =
    /^((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*)\.?\s*$/.exec(
      trimmed,
    );
  if (!/[a-zA-Z]/.test(trimmed) || !domain || domain[1]!.length >= 255) {
    throw new Error(`${trimmed} is not a valid domain`);
  }
  return domain[1]!;
}

/** docker's `--host host:ip` to swarmkit's hosts-file form `ip host`. */
export function extraHostToSwarm(value: string): string {
  const [host, address] = cut(value, ':');
  return `${address} ${host}`;
}

/** docker's ConvertKVStringsToMap. */
export function keyValuesToMap(values: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const [key, entry] = cut(value, '=');
    result[key] = entry;
  }
  return result;
}

/**
 * docker's env-file reading (opts.ParseEnvFile): `KEY=value` lines, `#` comments, and bare
 * `KEY` taking its value from the caller's environment (dropped when unset).
 */
export function parseEnvFileText(
  text: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const lines: string[] = [];
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  for (const raw of all) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const [rawKey, value, hasValue] = cut(line, '=');
    let key = rawKey;
    while (key !== '' && WHITESPACE.includes(key[0]!)) key = key.slice(1);
    if ([...key].some((char) => WHITESPACE.includes(char))) {
      throw new Error(`poorly formatted environment: variable '${key}' contains whitespaces`);
    }
    if (key === '') {
      throw new Error(`poorly formatted environment: no variable name on line '${line}'`);
    }
    if (hasValue) lines.push(`${key}=${value}`);
    else if (environment[key] !== undefined) lines.push(`${key.trim()}=${environment[key]}`);
  }
  return lines;
}

/** docker's NormalizeCapability: upper case, CAP_ prefix (ALL and RESET kept as they are). */
export function normalizeCapability(capability: string): string {
  const upper = capability.trim().toUpperCase();
  if (upper === 'ALL' || upper === 'RESET' || upper.startsWith('CAP_')) return upper;
  return `CAP_${upper}`;
}

/** docker's EffectiveCapAddCapDrop for `create`: adding wins over dropping; ALL trumps. */
export function effectiveCapabilities(
  add: readonly string[],
  drop: readonly string[],
): { add: string[]; drop: string[] } {
  let adding = new Set(add.map(normalizeCapability));
  let dropping = new Set(drop.map(normalizeCapability));
  if (adding.has('ALL')) adding = new Set(['ALL']);
  if (dropping.has('ALL')) dropping = new Set(['ALL']);
  const addList = [...adding].filter((c) => c !== 'RESET').sort();
  const dropList = [...dropping].filter((c) => !adding.has(c) && c !== 'RESET').sort();
  return { add: addList, drop: dropList };
}

/** docker's updateCapabilities for `update`: a tri-state against the service's lists. */
export function updateCapabilities(
  currentAdd: readonly string[],
  currentDrop: readonly string[],
  addFlags: readonly string[] | undefined,
  dropFlags: readonly string[] | undefined,
): { add: string[] | undefined; drop: string[] | undefined } {
  let capAdd = new Set(currentAdd.map(normalizeCapability));
  let capDrop = new Set(currentDrop.map(normalizeCapability));
  const toAdd = new Set((addFlags ?? []).map(normalizeCapability));
  const toDrop = new Set((dropFlags ?? []).map(normalizeCapability));
  if (toAdd.has('RESET')) {
    capAdd = new Set();
    toAdd.delete('RESET');
  }
  if (toDrop.has('RESET')) {
    capDrop = new Set();
    toDrop.delete('RESET');
  }
  for (const capability of toDrop) {
    if (toAdd.has(capability)) continue;
    if (capAdd.has(capability)) capAdd.delete(capability);
    else capDrop.add(capability);
  }
  for (const capability of toAdd) {
    if (capDrop.has(capability)) capDrop.delete(capability);
    else capAdd.add(capability);
  }
  const list = (caps: Set<string>) => {
    if (caps.size === 0) return undefined;
    if (caps.has('ALL')) return ['ALL'];
    return [...caps].sort();
  };
  return { add: list(capAdd), drop: list(capDrop) };
}

/** google/shlex Split, as docker's ShlexOpt uses it for --entrypoint and --args. */
export function shellSplit(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let index = 0;
  const next = () => text[index++];
  while (index < text.length) {
    const char = next()!;
    if (word === undefined) {
      if (' \t\r\n'.includes(char)) continue;
      if (char === '#') {
        while (index < text.length && text[index] !== '\n') index++;
        continue;
      }
      word = '';
    }
    if (' \t\r\n'.includes(char)) {
      words.push(word);
      word = undefined;
    } else if (char === '\\') {
      if (index >= text.length) throw new Error('EOF found after escape character');
      word += next();
    } else if (char === "'") {
      const end = text.indexOf("'", index);
      if (end < 0) throw new Error('EOF found when expecting closing quote');
      word += text.slice(index, end);
      index = end + 1;
    } else if (char === '"') {
      for (;;) {
        if (index >= text.length) throw new Error('EOF found when expecting closing quote');
        const quoted = next()!;
        if (quoted === '"') break;
        if (quoted === '\\') {
          if (index >= text.length) throw new Error('EOF found when expecting closing quote');
          word += next();
        } else {
          word += quoted;
        }
      }
    } else {
      word += char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
