// Printing of values the way Go's fmt package prints them with %v (fmt.Print).
//
// Value model: JS values stand in for Go values.
//  - undefined = Go's "no value" (missing map key); printed by an action as `<no value>`.
//  - null = a nil interface/pointer; printed as `<nil>`.
//  - numbers: integral numbers print as Go ints (`1000000`, not float64's `1e+06`);
//    non-integral numbers print like Go float64 (`%g` shortest, `1.5`, `1.2345675e+06`).
//  - bigint: printed in decimal (for int64/uint64 values beyond 2^53).
//  - arrays print as `[a b c]`; plain objects and Maps as `map[k:v k2:v2]` with sorted keys.
//  - Date prints like Go's time.Time String(); Error prints its message; objects with
//    their own toString() (like Go's fmt.Stringer) print through it.
import { formatFloatG } from './float.ts';

/** Integral numbers within int64 range stand for Go ints; other numbers for float64. */
export function isGoInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && Math.abs(n) < 2 ** 63;
}

/** True for values that behave like Go maps (plain objects, class instances, Maps). */
export function isObjectLike(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

export function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/** Entries of a map-like value, sorted by key as Go's fmtsort does. */
export function sortedEntries(v: object): [unknown, unknown][] {
  const entries: [unknown, unknown][] =
    v instanceof Map ? [...v.entries()] : Object.keys(v).map((k) => [k, (v as never)[k]]);
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Go type name used in error messages and %!verb(type=value) output. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return 'interface {}';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'number':
      return isGoInt(v) ? 'int' : 'float64';
    case 'function':
      return 'func';
  }
  if (v instanceof Uint8Array) return '[]uint8';
  if (isArrayLike(v)) return '[]interface {}';
  if (v instanceof Date) return 'time.Time';
  return 'map[string]interface {}';
}

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (cp >= 0x20 && cp < 0x7f) out += c;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c === '\x07') out += '\\a';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (c === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(c) || c === ' ') out += c;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Go's %#U formatting of a rune, e.g. U+007D '}'. */
export function goRune(c: string | undefined): string {
  if (c === undefined) return 'U+FFFFFFFF';
  const cp = c.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /\p{C}/u.test(c) ? `U+${hex}` : `U+${hex} '${c}'`;
}

/** A number printed with %v: integral numbers as ints, others like Go float64. */
export function formatNumber(n: number): string {
  if (isGoInt(n)) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  return formatFloatG(n);
}

/** Go's time.Time.String() for a Date (always UTC). */
function formatDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'Invalid Date';
  const iso = d.toISOString(); // 2006-01-02T15:04:05.000Z
  const ms = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms ? `.${ms}` : ''} +0000 UTC`;
}

/** Returns the text of a Stringer/error-like value, or undefined. */
export function stringerText(v: object): string | undefined {
  if (v instanceof Date) return formatDate(v);
  if (v instanceof Error) return v.message;
  const ts = (v as { toString?: unknown }).toString;
  if (typeof ts === 'function' && ts !== Object.prototype.toString && !(v instanceof Map)) {
    return String(ts.call(v));
  }
  return undefined;
}

/** fmt's %v of a single value (nil → `<nil>`). */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatNumber(v);
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'function':
      return '<func>';
    case 'symbol':
      return v.toString();
  }
  if (isArrayLike(v)) return `[${Array.from(v, formatValue).join(' ')}]`;
  const text = stringerText(v as object);
  if (text !== undefined) return text;
  const parts = sortedEntries(v as object).map(([k, x]) => `${formatValue(k)}:${formatValue(x)}`);
  return `map[${parts.join(' ')}]`;
}

/** What an action `{{...}}` prints: like %v, but a missing value prints `<no value>`. */
export function printableValue(v: unknown): string {
  return v === undefined ? '<no value>' : formatValue(v);
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: always spaces between operands, newline appended. */
export function sprintln(args: readonly unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}
