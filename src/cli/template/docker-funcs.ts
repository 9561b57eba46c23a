// The docker CLI's template functions (docker/cli templates/templates.go).
import { isArrayLike, isObjectLike, sortedEntries } from './format-value.ts';
import type { FuncSpec } from './functions.ts';

/** Go's encoding/json string encoding with SetEscapeHTML(false). */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const cp = s.charCodeAt(i);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (cp < 0x20) out += `\\u00${cp.toString(16).padStart(2, '0')}`;
    else if (cp === 0x2028 || cp === 0x2029) out += `\\u${cp.toString(16)}`;
    else if (cp >= 0xd800 && cp <= 0xdbff && /[\udc00-\udfff]/.test(s[i + 1] ?? '')) {
      out += c + s[++i];
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else out += c;
  }
  return `${out}"`;
}

/** Go's time.Time MarshalJSON (RFC 3339 with trimmed fractional seconds), in UTC. */
function jsonDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'null';
  return `"${d.toISOString().replace(/\.?0+Z$/, 'Z')}"`;
}

/**
 * JSON encoding like Go's json.Marshal of the equivalent Go value: object keys in insertion
 * order (like a Go struct), Map keys sorted (like a Go map), Uint8Array as base64, undefined
 * and non-finite numbers as null.
 */
export function toJSON(v: unknown): string {
  if (v === undefined || v === null || typeof v === 'function' || typeof v === 'symbol')
    return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'bigint':
    case 'boolean':
      return String(v);
  }
  if (v instanceof Date) return jsonDate(v);
  if (v instanceof Uint8Array) return jsonString(Buffer.from(v).toString('base64'));
  const custom = (v as { toJSON?: unknown }).toJSON;
  if (typeof custom === 'function') return toJSON(custom.call(v));
  if (isArrayLike(v)) return `[${Array.from(v, toJSON).join(',')}]`;
  const entries = v instanceof Map ? sortedEntries(v) : Object.entries(v as object);
  const parts = entries
    .filter(([, x]) => x !== undefined && typeof x !== 'function')
    .map(([k, x]) => `${jsonString(String(k))}:${toJSON(x)}`);
  return isObjectLike(v) ? `{${parts.join(',')}}` : 'null';
}

/** Go's strings.Title (deprecated in Go, still what docker uses). */
function title(s: string): string {
  const isSeparator = (c: string): boolean => {
    if (c.codePointAt(0)! <= 0x7f) return !/[0-9A-Za-z_]/.test(c);
    if (/[\p{L}\p{Nd}]/u.test(c)) return false;
    return /\s/u.test(c);
  };
  let prev = ' ';
  let out = '';
  for (const c of s) {
    const up = c.toUpperCase();
    out += isSeparator(prev) && [...up].length === 1 ? up : c;
    prev = c;
  }
  return out;
}

function split(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

function truncate(s: string, n: number): string {
  if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
  const runes = [...s];
  return runes.length < n ? s : runes.slice(0, n).join('');
}

function pad(s: string, prefix: number, suffix: number): string {
  if (s === '') return s;
  if (prefix < 0 || suffix < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(prefix) + s + ' '.repeat(suffix);
}

/** docker/cli's basicFunctions, added to every template. */
export const DOCKER_FUNCS: Record<string, FuncSpec> = {
  json: { params: ['any'], fn: toJSON },
  split: { params: ['string', 'string'], fn: split },
  join: {
    params: ['strings', 'string'],
    fn: (a: string[] | null, sep: string) => (a ?? []).join(sep),
  },
  title: { params: ['string'], fn: title },
  lower: { params: ['string'], fn: (s: string) => s.toLowerCase() },
  upper: { params: ['string'], fn: (s: string) => s.toUpperCase() },
  pad: { params: ['string', 'int', 'int'], fn: pad },
  truncate: { params: ['string', 'int'], fn: truncate },
};

const first = (v: string): string => v;

/** docker/cli's HeaderFunctions: used when rendering a table header, so headers stay intact. */
export const HEADER_FUNCS: Record<string, FuncSpec> = {
  json: { params: ['string'], fn: first },
  split: { params: ['string', 'string'], fn: first },
  join: { params: ['string', 'string'], fn: first },
  title: { params: ['string'], fn: first },
  lower: { params: ['string'], fn: first },
  upper: { params: ['string'], fn: first },
  truncate: { params: ['string', 'int'], fn: first },
};
