// The value syntaxes compose borrows from Go and docker: durations (`1m30s`, Go's
// time.ParseDuration), sizes (`512M`, go-units' RAMInBytes, binary multiples) and CPU counts
// (`0.5`, docker's ParseCPUs, exact to the nanoCPU). Each throws UnitError with docker's wording.

export class UnitError extends Error {
  override name = 'UnitError';
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseDuration(text: string): number {
  const invalid = () => new UnitError(`invalid duration "${text}"`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    if (!number || (number[1] === '' && (number[2] ?? '') === '')) throw invalid();
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]+/.exec(rest)?.[0];
    if (unit === undefined) throw new UnitError(`missing unit in duration "${text}"`);
    const scale = DURATION_UNITS[unit];
    if (scale === undefined) throw new UnitError(`unknown unit "${unit}" in duration "${text}"`);
    rest = rest.slice(unit.length);
    const whole = Number(number[1] || '0');
    const fraction = number[2] ? Number(`0.${number[2]}`) : 0;
    total += whole * scale + Math.round(fraction * scale);
  }
  if (!Number.isSafeInteger(total)) throw invalid();
  return sign * total;
}

/** Formats nanoseconds as Go's Duration.String() does (`1m30s`, `500ms`, `0s`). */
export function formatDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  const sign = nanoseconds < 0 ? '-' : '';
  let rest = Math.abs(Math.round(nanoseconds));
  if (rest < 1e9) {
    for (const [unit, scale] of [
      ['ms', 1e6],
      ['µs', 1e3],
      ['ns', 1],
    ] as const) {
      if (rest >= scale) return `${sign}${trimZeros(rest / scale)}${unit}`;
    }
  }
  const hours = Math.floor(rest / 3600e9);
  rest -= hours * 3600e9;
  const minutes = Math.floor(rest / 60e9);
  rest -= minutes * 60e9;
  const seconds = `${trimZeros(rest / 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

function trimZeros(value: number): string {
  return String(Number(value.toFixed(9)));
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** go-units RAMInBytes: `512m`, `1.5G`, `100kb`, `1024` (binary multiples). */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!match) throw new UnitError(`invalid size: '${text}'`);
  const value = Number(match[1]);
  if (!Number.isFinite(value)) throw new UnitError(`invalid size: '${text}'`);
  const bytes = Math.trunc(value * SIZE_UNITS[(match[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new UnitError(`invalid size: '${text}'`);
  return bytes;
}

/** docker's ParseCPUs: a decimal number of CPUs to nanoCPUs, refusing finer than 1e-9. */
export function parseCpus(text: string): number {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new UnitError(`failed to parse ${text} as a rational number`);
  }
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > 9) throw new UnitError('value is too precise');
  const nano = Number(match[2] || '0') * 1e9 + Number(fraction.padEnd(9, '0') || '0');
  if (!Number.isSafeInteger(nano)) throw new UnitError(`failed to parse ${text} as a CPU count`);
  return match[1] === '-' ? -nano : nano;
}
