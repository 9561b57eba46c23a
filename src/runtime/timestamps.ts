// RFC 3339 timestamps with nanoseconds, the form Docker and the CRI log format use
// ("2026-01-02T03:04:05.123456789Z"), and their conversion to the Unix seconds of
// LogOptions.since. JavaScript dates stop at milliseconds, so parsing keeps the fraction apart.

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** `date` as RFC 3339 in UTC with nine fractional digits (the last six are zero). */
export function formatRfc3339Nano(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.123Z
  return `${iso.slice(0, 23)}000000Z`;
}

/**
 * Unix seconds (with the fraction) of an RFC 3339 timestamp; NaN when it is not one. Precise to
 * the microsecond, which is all a double holds for today's dates.
 */
export function rfc3339ToUnixSeconds(text: string): number {
  const match = RFC3339.exec(text);
  if (match === null) return Number.NaN;
  const [, whole, fraction = '', zone] = match;
  const wholeMs = Date.parse(`${whole}${zone}`);
  if (Number.isNaN(wholeMs)) return Number.NaN;
  return wholeMs / 1000 + (fraction === '' ? 0 : Number(`0.${fraction}`));
}

/** Docker's zero time ("0001-01-01T00:00:00Z") and empty strings mean "never". */
export function presentTime(text: string | undefined): string | undefined {
  if (text === undefined || text === '' || text.startsWith('0001-01-01')) return undefined;
  return text;
}
