// pflag refuses a bad flag value while it parses the command line, before docker sends any
// request; `checkFlagValues` does the same for the values the spec builders parse later, so a
// typo is reported (exit 125) even when the daemon cannot be reached.

import {
  parseDevice,
  parseFileReference,
  parseMount,
  parseNetwork,
  parsePlacementPreference,
  parsePorts,
  parseUlimit,
  validateGenericResource,
} from './flag-parsers.ts';
import { FlagReader } from './flag-reader.ts';
import type { FlagValues } from './flag-table.ts';
import {
  shellSplit,
  validateDnsSearch,
  validateEnv,
  validateExtraHost,
  validateIpAddress,
  validateLabel,
} from './flag-validators.ts';
import {
  parseFloat32,
  parseGoDuration,
  parseInt64,
  parseNanoCpus,
  parseUint,
  ramInBytes,
} from './flag-values.ts';
import { parsePlacementStrategy } from './flags.ts';

const positiveDuration = (text: string) => {
  if (parseGoDuration(text) < 0) throw new Error('duration cannot be negative');
};

const PARSERS: Record<string, (text: string) => unknown> = {};
const assign = (names: string[], parse: (text: string) => unknown) => {
  for (const name of names) PARSERS[name] = parse;
};
assign(
  [
    'replicas',
    'max-concurrent',
    'replicas-max-per-node',
    'restart-max-attempts',
    'update-parallelism',
    'rollback-parallelism',
  ],
  parseUint,
);
assign(['limit-cpu', 'reserve-cpu'], parseNanoCpus);
assign(['limit-memory', 'reserve-memory'], ramInBytes);
assign(['limit-pids', 'health-retries'], parseInt64);
assign(['update-max-failure-ratio', 'rollback-max-failure-ratio'], parseFloat32);
assign(
  [
    'stop-grace-period',
    'restart-delay',
    'restart-window',
    'update-delay',
    'update-monitor',
    'rollback-delay',
    'rollback-monitor',
  ],
  parseGoDuration,
);
assign(['health-interval', 'health-timeout', 'health-start-period'], positiveDuration);
assign(['label', 'container-label', 'label-add', 'container-label-add'], validateLabel);
assign(['env', 'env-add'], (text) => validateEnv(text, {}));
assign(['mount', 'mount-add'], parseMount);
assign(['publish', 'publish-add', 'publish-rm'], parsePorts);
assign(['placement-pref', 'placement-pref-add', 'placement-pref-rm'], parsePlacementPreference);
assign(['network', 'network-add'], parseNetwork);
assign(['secret', 'secret-add'], (text) => parseFileReference(text, 'secret'));
assign(['config', 'config-add'], (text) => parseFileReference(text, 'config'));
assign(['dns', 'dns-add'], validateIpAddress);
assign(['dns-search', 'dns-search-add'], validateDnsSearch);
assign(['host', 'host-add'], validateExtraHost);
assign(['ulimit', 'ulimit-add'], parseUlimit);
assign(['generic-resource', 'generic-resource-add'], validateGenericResource);
assign(['device', 'device-add'], parseDevice);
assign(['entrypoint', 'args'], shellSplit);
assign(['placement-strategy'], parsePlacementStrategy);

/** Throws the FlagError pflag would for the first bad value. */
export function checkFlagValues(values: FlagValues): void {
  const reader = new FlagReader(values);
  for (const [name, value] of values) {
    const parse = PARSERS[name];
    if (!parse) continue;
    if (Array.isArray(value)) reader.parsedList(name, parse);
    else reader.parsed(name, parse);
  }
}
