// Scalar flag values parsed as the docker CLI parses them (Go's strconv and time packages,
// docker/go-units), with the same error wording, so `invalid argument "x" for "--replicas"
// flag: strconv.ParseUint: parsing "x": invalid syntax` reads exactly as docker prints it.
import { CliError } from '../../connection.ts';

/** A value that pflag would refuse while parsing the command line: docker exits with 125. */
export class FlagError extends CliError {
  override name = 'FlagError';
  constructor(message: string) {
    super(message, 125);
  }
}

/** pflag's wrapping of a value error: `invalid argument "v" for "-e, --env" flag: reason`. */
export function invalidArgument(flag: string, value: string, reason: string): FlagError {
  return new FlagError(`invalid argument ${goQuote(value)} for ${goQuote(flag)} flag: ${reason}`);
}

/** Go's %q for the strings flags carry (printable text; control characters escaped). */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MAX = 2n ** 63n - 1n;

/** Go's underscoreOK: underscores only between digits, and only with a base prefix. */
function underscoresOk(text: string): boolean {
  let saw = '^';
  let index = 0;
  let body = text;
  if (body.startsWith('+') || body.startsWith('-')) body = body.slice(1);
  let hexPrefix = false;
  if (body.length >= 2 && body[0] === '0' && /[bBoOxX]/.test(body[1]!)) {
    index = 2;
    saw = '0';
    hexPrefix = /[xX]/.test(body[1]!);
  }
  for (; index < body.length; index++) {
    const char = body[index]!;
    if (/[0-9]/.test(char) || (hexPrefix && /[a-fA-F]/.test(char))) {
      saw = '0';
      continue;
    }
    if (char === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** Digits of `text` in base 0 (Go: 0x, 0o, 0b, or a leading 0 for octal), as a bigint. */
function parseBaseZero(text: string): bigint | undefined {
  if (text === '') return undefined;
  let base = 10;
  let digits = text;
  let prefixed = false;
  if (text[0] === '0' && text.length > 1) {
    const marker = text[1]!.toLowerCase();
    if (marker === 'x' || marker === 'b' || marker === 'o') {
      base = marker === 'x' ? 16 : marker === 'b' ? 2 : 8;
      digits = text.slice(2);
    } else {
      base = 8;
      digits = text.slice(1);
    }
    prefixed = true;
  }
  if (digits.includes('_')) {
    if (!prefixed || !underscoresOk(text)) return undefined;
    digits = digits.replace(/_/g, '');
  }
  if (digits === '') return undefined;
  const alphabet = '0123456789abcdef'.slice(0, base);
  let value = 0n;
  for (const char of digits.toLowerCase()) {
    const digit = alphabet.indexOf(char);
    if (digit < 0) return undefined;
    value = value * BigInt(base) + BigInt(digit);
  }
  return value;
}

/** strconv.ParseUint(text, 0, 64). */
export function parseUint(text: string): number {
  const value = parseBaseZero(text);
  if (value === undefined) {
    throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`);
  }
  if (value > UINT64_MAX) {
    throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: value out of range`);
  }
  return Number(value);
}

/** strconv.ParseUint(text, 10, 64), as `service scale` validates replicas. */
export function parseUintBase10(text: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`);
  }
  if (BigInt(text) > UINT64_MAX) {
    throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: value out of range`);
  }
  return Number(text);
}

/** strconv.ParseInt(text, 0, 64). */
export function parseInt64(text: string): number {
  const negative = text.startsWith('-');
  const body = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text;
  const value = parseBaseZero(body);
  if (value === undefined) {
    throw new Error(`strconv.ParseInt: parsing ${goQuote(text)}: invalid syntax`);
  }
  if (negative ? value > INT64_MAX + 1n : value > INT64_MAX) {
    throw new Error(`strconv.ParseInt: parsing ${goQuote(text)}: value out of range`);
  }
  return Number(negative ? -value : value);
}

/** strconv.ParseFloat(text, 32), decimal forms and inf/nan. */
export function parseFloat32(text: string): number {
  const decimal = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  const special = /^[+-]?(?:inf|infinity|nan)$/i;
  if (!decimal.test(text) && !special.test(text)) {
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(text)}: invalid syntax`);
  }
  const value = special.test(text)
    ? /nan/i.test(text)
      ? Number.NaN
      : text.startsWith('-')
        ? -Infinity
        : Infinity
    : Number(text);
  const rounded = Math.fround(value);
  if (Number.isFinite(value) && !Number.isFinite(rounded)) {
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(text)}: value out of range`);
  }
  return rounded;
}

/** strconv.ParseBool. */
export function parseBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new Error(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
}

const DURATION_UNITS_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration, in nanoseconds: "1h30m", "-1.5s", "250ms", "0". */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${goQuote(text)}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    const whole = number[1] ?? '';
    const fraction = number[2];
    if (whole === '' && (fraction === undefined || fraction === '')) throw invalid();
    rest = rest.slice(number[0].length);
    const unitMatch = /^[^0-9.]*/.exec(rest)![0];
    if (unitMatch === '') throw new Error(`time: missing unit in duration ${goQuote(text)}`);
    const unitNs = DURATION_UNITS_NS[unitMatch];
    if (unitNs === undefined) {
      throw new Error(`time: unknown unit ${goQuote(unitMatch)} in duration ${goQuote(text)}`);
    }
    rest = rest.slice(unitMatch.length);
    total += Number(`${whole || '0'}.${fraction || '0'}`) * unitNs;
  }
  if (total > 2 ** 63) throw invalid();
  return Math.round(negative ? -total : total);
}

/** Go's Duration.String() for nanoseconds: 1h30m0s, 5s, 1.5s, 250ms, 0s (compose's). */
export { formatDuration as formatGoDuration } from '../../../compose/index.ts';

const RAM_UNITS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** go-units RAMInBytes: "512m", "1g", "1.5GiB", "100" (bytes). */
export function ramInBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!match) throw new Error(`invalid size: '${text}'`);
  const size = Number.parseFloat(match[1]!);
  const unit = match[2] ? RAM_UNITS[match[2].toLowerCase()]! : 1;
  return Math.trunc(size * unit);
}

/** docker's opts.ParseCPUs: a decimal (or a/b) number of CPUs to whole nano CPUs. */
export function parseNanoCpus(text: string): number {
  const fraction = /^([+-]?\d+)\/(\d+)$/.exec(text);
  if (fraction) {
    const numerator = BigInt(fraction[1]!) * 1_000_000_000n;
    const denominator = BigInt(fraction[2]!);
    if (denominator === 0n || numerator % denominator !== 0n) {
      throw new Error(
        denominator === 0n
          ? `failed to parse ${text} as a rational number`
          : 'value is too precise',
      );
    }
    return Number(numerator / denominator);
  }
  const decimal = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!decimal || (decimal[2] === '' && (decimal[3] ?? '') === '')) {
    throw new Error(`failed to parse ${text} as a rational number`);
  }
  // Exact decimal arithmetic: digits × 10^(exponent + 9 - fraction digits).
  const digits = `${decimal[2]}${decimal[3] ?? ''}`.replace(/^0+(?=\d)/, '');
  const scale = Number(decimal[4] ?? '0') + 9 - (decimal[3] ?? '').length;
  let value = BigInt(digits || '0');
  if (scale >= 0) {
    value *= 10n ** BigInt(scale);
  } else {
    const divisor = 10n ** BigInt(-scale);
    if (value % divisor !== 0n) throw new Error('value is too precise');
    value /= divisor;
  }
  return Number(decimal[1] === '-' ? -value : value);
}

/** go-units BytesSize: "512MiB", "1.5GiB" (four significant digits). */
export function bytesSize(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${Number(size.toPrecision(4)).toString()}${units[unit]}`;
}
