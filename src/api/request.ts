// Reading requests the way dockerd does: bodies (bounded), JSON with a precise error, query
// booleans (httputils.BoolValue) and the `filters` parameter (api/types/filters).
import type { IncomingMessage } from 'node:http';
import { BadRequestError } from './errors.ts';

/** Default bound on a request body: far above any spec Docker clients send. */
export const DEFAULT_BODY_BYTES_MAX = 1024 * 1024;

/** A body over the limit. A BadRequestError: dockerd has no limit, so no 413 a client expects. */
export class BodyTooLargeError extends BadRequestError {
  override name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body too large (limit ${limitBytes} bytes)`);
  }
}

/** How much of an oversized body is read and discarded so the client still gets the answer. */
const DISCARD_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Reads the whole body, at most `limitBytes`. Over the limit it stops collecting and rejects;
 * the rest is discarded (up to 64 MiB, then the connection is dropped) so the client, still
 * sending, reads the 400 instead of a reset connection.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    discardRest(request);
    return Promise.reject(new BodyTooLargeError(limitBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let totalBytes = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      totalBytes += chunk.length;
      if (totalBytes > limitBytes) {
        cleanup();
        discardRest(request);
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, totalBytes));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new BadRequestError('request body ended before it was complete'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

function discardRest(request: IncomingMessage): void {
  let discardedBytes = 0;
  request.on('data', (chunk: Buffer) => {
    discardedBytes += chunk.length;
    if (discardedBytes > DISCARD_BYTES_MAX) request.destroy();
  });
  request.on('error', () => {});
  request.resume();
}

/** True for `application/json` with or without parameters (`; charset=utf-8`). */
export function isJsonContentType(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json';
}

/**
 * Parses a JSON body. No body (or only whitespace) is `undefined`. A `Content-Type` other than
 * JSON is refused with dockerd's message; a missing one is accepted when the body parses (dockerd
 * is lenient too). Malformed JSON is a 400 naming the line, column and offset of the error.
 */
export function parseJsonBody(raw: Buffer, contentType: string | undefined): unknown {
  if (contentType !== undefined && contentType !== '' && !isJsonContentType(contentType)) {
    if (raw.length === 0) return undefined;
    throw new BadRequestError(`Content-Type specified (${contentType}) must be 'application/json'`);
  }
  const source = raw.toString('utf8');
  if (source.trim() === '') return undefined;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new BadRequestError(describeJsonError(source, error), { cause: error });
  }
}

/** `malformed JSON in request body at line 1, column 9 (offset 8): <parser message>`. */
export function describeJsonError(source: string, error: unknown): string {
  const parserMessage = error instanceof Error ? error.message : String(error);
  const reported = /at position (\d+)/.exec(parserMessage);
  let offset = reported === null ? jsonErrorOffset(source) : Number(reported[1]);
  if (offset < 0) offset = 0;
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  // V8 echoes (part of) the input back, and may quote a raw newline: keep just the token.
  const detail = parserMessage.replace(
    /^Unexpected token '([\s\S])', [\s\S]* is not valid JSON$/,
    (_, token: string) => `Unexpected token ${quoteToken(token)}`,
  );
  return `malformed JSON in request body at line ${line}, column ${column} (offset ${offset}): ${detail}`;
}

/** `'x'`, or JSON-escaped (`"\\n"`) for whitespace and control characters. */
function quoteToken(token: string): string {
  const invisible = token.trim() === '' || token.charCodeAt(0) < 0x20;
  return invisible ? JSON.stringify(token) : `'${token}'`;
}

type ScanState = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'after';

/**
 * The offset of the first JSON syntax error in `source` (its length when the input ends too
 * early), or -1 when it is valid. V8's messages do not always carry a position, so this finds
 * one. Iterative, so nesting depth cannot overflow the stack.
 */
export function jsonErrorOffset(source: string): number {
  const closers: string[] = [];
  let state: ScanState = 'value';
  let index = 0;
  for (;;) {
    index = skipWhitespace(source, index);
    if (index >= source.length) {
      return state === 'after' && closers.length === 0 ? -1 : source.length;
    }
    const char = source[index]!;
    switch (state) {
      case 'value':
      case 'value-or-close': {
        if (state === 'value-or-close' && char === ']') {
          closers.pop();
          index += 1;
          state = 'after';
        } else if (char === '{' || char === '[') {
          closers.push(char === '{' ? '}' : ']');
          index += 1;
          state = char === '{' ? 'key-or-close' : 'value-or-close';
        } else {
          const end = scanScalar(source, index);
          if (end.error) return end.offset;
          index = end.offset;
          state = 'after';
        }
        break;
      }
      case 'key':
      case 'key-or-close': {
        if (state === 'key-or-close' && char === '}') {
          closers.pop();
          index += 1;
          state = 'after';
        } else if (char === '"') {
          const end = scanString(source, index);
          if (end.error) return end.offset;
          index = end.offset;
          state = 'colon';
        } else {
          return index;
        }
        break;
      }
      case 'colon': {
        if (char !== ':') return index;
        index += 1;
        state = 'value';
        break;
      }
      case 'after': {
        const closer = closers.at(-1);
        if (closer === undefined) return index;
        if (char === ',') {
          state = closer === '}' ? 'key' : 'value';
        } else if (char === closer) {
          closers.pop();
        } else {
          return index;
        }
        index += 1;
        break;
      }
    }
  }
}

interface ScanResult {
  error: boolean;
  /** The offset after the token, or of the error. */
  offset: number;
}

function skipWhitespace(source: string, start: number): number {
  let index = start;
  while (index < source.length && ' \t\n\r'.includes(source[index]!)) index += 1;
  return index;
}

function scanScalar(source: string, start: number): ScanResult {
  const char = source[start]!;
  if (char === '"') return scanString(source, start);
  if (char === '-' || (char >= '0' && char <= '9')) return scanNumber(source, start);
  for (const literal of ['true', 'false', 'null']) {
    if (literal[0] !== char) continue;
    for (let index = 1; index < literal.length; index++) {
      if (source[start + index] !== literal[index]) return { error: true, offset: start + index };
    }
    return { error: false, offset: start + literal.length };
  }
  return { error: true, offset: start };
}

function scanString(source: string, start: number): ScanResult {
  let index = start + 1;
  while (index < source.length) {
    const code = source.charCodeAt(index);
    if (code === 0x22) return { error: false, offset: index + 1 };
    if (code < 0x20) return { error: true, offset: index };
    if (code === 0x5c) {
      const escaped = source[index + 1];
      if (escaped === undefined) return { error: true, offset: source.length };
      if (escaped === 'u') {
        for (let digit = 2; digit < 6; digit++) {
          if (!/[0-9a-fA-F]/.test(source[index + digit] ?? '')) {
            return { error: true, offset: Math.min(index + digit, source.length) };
          }
        }
        index += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(escaped)) return { error: true, offset: index + 1 };
      index += 2;
      continue;
    }
    index += 1;
  }
  return { error: true, offset: source.length };
}

function scanNumber(source: string, start: number): ScanResult {
  const isDigit = (at: number) => {
    const char = source[at];
    return char !== undefined && char >= '0' && char <= '9';
  };
  let index = start;
  if (source[index] === '-') index += 1;
  if (source[index] === '0') {
    index += 1;
  } else {
    if (!isDigit(index)) return { error: true, offset: index };
    while (isDigit(index)) index += 1;
  }
  if (source[index] === '.') {
    index += 1;
    if (!isDigit(index)) return { error: true, offset: index };
    while (isDigit(index)) index += 1;
  }
  if (source[index] === 'e' || source[index] === 'E') {
    index += 1;
    if (source[index] === '+' || source[index] === '-') index += 1;
    if (!isDigit(index)) return { error: true, offset: index };
    while (isDigit(index)) index += 1;
  }
  return { error: false, offset: index };
}

/** Docker's boolean query values: absent, '', '0', 'no', 'false' and 'none' are false. */
export function queryBool(query: URLSearchParams, key: string, defaultValue = false): boolean {
  const value = query.get(key);
  if (value === null) return defaultValue;
  const normalized = value.trim().toLowerCase();
  return !['', '0', 'no', 'false', 'none'].includes(normalized);
}

/** A base-10 integer query value; undefined when absent or empty, 400 when not an integer. */
export function queryInt(query: URLSearchParams, key: string): number | undefined {
  const value = query.get(key);
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const parsed = Number(trimmed);
  if (!/^[+-]?\d+$/.test(trimmed) || !Number.isSafeInteger(parsed)) {
    throw new BadRequestError(
      `invalid value for query parameter '${key}': ${value} is not an integer`,
    );
  }
  return parsed;
}

/**
 * Docker's `filters` query parameter: a JSON object `{"name": {"web": true}}`, or the older form
 * `{"name": ["web"]}`. Returns each filter's values. With `allowed`, an unknown filter name is
 * dockerd's 400 `invalid filter 'xyz'`.
 */
export function parseFilters(
  query: URLSearchParams | string | null | undefined,
  allowed?: Iterable<string>,
): Map<string, string[]> {
  const raw = typeof query === 'string' || query == null ? query : query.get('filters');
  const filters = new Map<string, string[]>();
  if (raw == null || raw === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new BadRequestError(`invalid filters: ${describeJsonError(raw, error)}`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('invalid filters: expected a JSON object of filter names');
  }
  for (const [name, values] of Object.entries(parsed)) {
    filters.set(name, filterValues(name, values));
  }
  if (allowed !== undefined) {
    const accepted = new Set(allowed);
    for (const name of filters.keys()) {
      if (!accepted.has(name)) throw new BadRequestError(`invalid filter '${name}'`);
    }
  }
  return filters;
}

function filterValues(name: string, values: unknown): string[] {
  if (Array.isArray(values) && values.every((value) => typeof value === 'string')) {
    return [...new Set(values as string[])];
  }
  if (
    typeof values === 'object' &&
    values !== null &&
    !Array.isArray(values) &&
    Object.values(values).every((flag) => typeof flag === 'boolean')
  ) {
    return Object.keys(values);
  }
  throw new BadRequestError(
    `invalid filters: the values of '${name}' must be a list of strings or an object of booleans`,
  );
}

/** Encodes filters as the docker CLI sends them: `{"name":{"web":true}}`. */
export function encodeFilters(
  filters: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>,
): string {
  const entries = filters instanceof Map ? [...filters.entries()] : Object.entries(filters);
  const encoded: Record<string, Record<string, boolean>> = {};
  for (const [name, values] of entries) {
    encoded[name] = Object.fromEntries(values.map((value: string) => [value, true]));
  }
  return JSON.stringify(encoded);
}

/** Docker's label filters: `key` (the label is set) or `key=value` (it has that value). */
export function labelFilterMatches(labels: Record<string, string>, filter: string): boolean {
  const equals = filter.indexOf('=');
  if (equals < 0) return filter in labels;
  return labels[filter.slice(0, equals)] === filter.slice(equals + 1);
}
