// Go's duration syntax, as docker's flags take it: "2160h", "90m", "1h30m", "5s", "250ms".
const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds; throws with docker's wording on a malformed value. */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(trimmed); match; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    consumed = pattern.lastIndex;
  }
  if (consumed !== trimmed.length || trimmed.length === 0) {
    throw new Error(`time: invalid duration "${text}"`);
  }
  return total;
}

/** Go's Duration.String() for whole milliseconds: 2160h0m0s, 5s, 1m30s. */
export function formatDuration(milliseconds: number): string {
  if (milliseconds === 0) return '0s';
  const hours = Math.floor(milliseconds / 3_600_000);
  const minutes = Math.floor((milliseconds % 3_600_000) / 60_000);
  const seconds = (milliseconds % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
