// Go text/template built-in functions plus the docker CLI's template functions.
import {
  formatValue,
  goTypeName,
  isArrayLike,
  isObjectLike,
  sprint,
  sprintln,
} from './format-value.ts';
import { sprintf } from './printf.ts';

/**
 * Parameter types, mirroring the Go signatures: 'value' is passed through untouched
 * (Go's reflect.Value parameters: a missing value stays `undefined`), 'any' turns a missing
 * value into null (Go's interface{}), the others are checked like Go's typed parameters.
 */
export type ParamType = 'value' | 'any' | 'string' | 'int' | 'bool' | 'strings';

export interface FuncSpec {
  params: ParamType[];
  /** Element type of a trailing variadic parameter, if any. */
  variadic?: ParamType;
  // biome-ignore lint/suspicious/noExplicitAny: template functions take checked dynamic args
  fn: (...args: any[]) => unknown;
}

/** A template function: a FuncSpec, or a plain function taking any number of `any` args. */
// biome-ignore lint/suspicious/noExplicitAny: see FuncSpec
export type TemplateFunc = FuncSpec | ((...args: any[]) => unknown);

export function toSpec(f: TemplateFunc): FuncSpec {
  return typeof f === 'function' ? { params: [], variadic: 'any', fn: f } : f;
}

/** Go truthiness: false, 0, nil, empty string/array/map are false; "structs" are true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    case 'object':
      if (isArrayLike(v)) return v.length > 0;
      if (v instanceof Map || v instanceof Set) return v.size > 0;
      if (isPlainObject(v)) return Object.keys(v).length > 0;
  }
  return true;
}

export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

type Kind = 'bool' | 'number' | 'string' | 'other';
function basicKind(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of bs) {
    const k2 = basicKind(b);
    const nil = a === undefined || a === null || b === undefined || b === null;
    if (k1 !== k2) {
      if (!nil)
        throw new Error(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
      continue;
    }
    if (k1 === 'number' ? Number(a) === Number(b) : k1 !== 'other' ? a === b : false) return true;
    if (k1 !== 'other') continue;
    if (nil) {
      if ((a === undefined || a === null) === (b === undefined || b === null)) return true;
      continue;
    }
    for (const x of [b, a]) {
      if (isArrayLike(x) || (isObjectLike(x) && isPlainObject(x)) || x instanceof Map) {
        throw new Error(`non-comparable type ${formatValue(x)}: ${goTypeName(x)}`);
      }
    }
    if (a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'other' || k2 === 'other') throw new Error('invalid type for comparison');
  if (k1 !== k2)
    throw new Error(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  return k1 === 'number' ? Number(a) < Number(b) : (a as string) < (b as string);
}

function indexArg(i: unknown, len: number): number {
  if (i === undefined || i === null) throw new Error('cannot index slice/array with nil');
  if (typeof i === 'bigint') i = Number(i);
  if (typeof i !== 'number' || !Number.isInteger(i)) {
    throw new Error(`cannot index slice/array with type ${goTypeName(i)}`);
  }
  if (i < 0 || i > len) throw new Error(`index out of range: ${i}`);
  return i;
}

/** Zero value for a missing key: "" for string maps (like labels), else no value. */
function zeroOf(m: object): unknown {
  const values = m instanceof Map ? [...m.values()] : Object.values(m);
  return values.every((v) => typeof v === 'string') ? '' : undefined;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  for (const i of indexes) {
    if (item === undefined || item === null) throw new Error('index of nil pointer');
    if (typeof item === 'string' || isArrayLike(item)) {
      const bytes = typeof item === 'string' ? Buffer.from(item) : item;
      const x = indexArg(i, bytes.length);
      if (x >= bytes.length) throw new Error(`index out of range: ${x}`);
      item = bytes[x];
    } else if (item instanceof Map) {
      item = item.has(i) ? item.get(i) : zeroOf(item);
    } else if (isObjectLike(item)) {
      if (typeof i !== 'string')
        throw new Error(`value has type ${goTypeName(i)}; should be string`);
      item = Object.hasOwn(item, i) ? (item as Record<string, unknown>)[i] : zeroOf(item);
    } else throw new Error(`can't index item of type ${goTypeName(item)}`);
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = Buffer.byteLength(item);
  } else if (isArrayLike(item)) len = item.length;
  else throw new Error(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, len);
  });
  const [i, j, k] = idx as [number, number, number];
  if (i > j) throw new Error(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) throw new Error(`invalid slice index: ${j} > ${k}`);
  if (typeof item === 'string') return Buffer.from(item).subarray(i, j).toString();
  return Array.prototype.slice.call(item, i, j);
}

function length(v: unknown): number {
  if (v === undefined || v === null) throw new Error('len of nil pointer');
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (isArrayLike(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isObjectLike(v) && isPlainObject(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

/** Like fmt.Sprint, but nil arguments print as `<no value>` (text/template's evalArgs). */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

const HTML: Record<string, string> = {
  '\0': '\uFFFD',
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};
const JS: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (JS[c]) out += JS[c];
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp >= 0x80 && !/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(c)) {
      out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += c;
  }
  return out;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const unreachable = (): never => {
  throw new Error('unreachable');
};
const cmp = (fn: (a: unknown, b: unknown) => boolean): FuncSpec => ({
  params: ['value', 'value'],
  fn,
});

/** Go text/template's predefined functions (`call` is not supported). */
export const BUILTINS: Record<string, FuncSpec> = {
  and: { params: ['value'], variadic: 'value', fn: unreachable },
  or: { params: ['value'], variadic: 'value', fn: unreachable },
  not: { params: ['value'], fn: (a: unknown) => !isTrue(a) },
  len: { params: ['value'], fn: length },
  index: { params: ['value'], variadic: 'value', fn: index },
  slice: { params: ['value'], variadic: 'value', fn: slice },
  print: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprint(a) },
  printf: {
    params: ['string'],
    variadic: 'any',
    fn: (f: string, ...a: unknown[]) => sprintf(f, a),
  },
  println: { params: [], variadic: 'any', fn: (...a: unknown[]) => sprintln(a) },
  html: {
    params: [],
    variadic: 'any',
    fn: (...a: unknown[]) => evalArgs(a).replace(/[\0"'&<>]/g, (c) => HTML[c]!),
  },
  js: { params: [], variadic: 'any', fn: (...a: unknown[]) => jsEscape(evalArgs(a)) },
  urlquery: { params: [], variadic: 'any', fn: (...a: unknown[]) => queryEscape(evalArgs(a)) },
  eq: { params: ['value'], variadic: 'value', fn: eq },
  ne: cmp((a, b) => !eq(a, b)),
  lt: cmp(lt),
  le: cmp((a, b) => lt(a, b) || eq(a, b)),
  gt: cmp((a, b) => !(lt(a, b) || eq(a, b))),
  ge: cmp((a, b) => !lt(a, b)),
};
