// Float formatting with Go's strconv semantics: shortest round-trip digits when no precision
// is given, otherwise correct rounding of the exact binary value with ties to even
// (JS toFixed/toExponential round ties away from zero, so they are not used for that).

/** Exact decimal expansion of a finite x > 0: value = 0.<digits> × 10^point. */
function exactDecimal(x: number): { digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) {
    const d = (mant << BigInt(e)).toString();
    return { digits: d, point: d.length };
  }
  const d = (mant * 5n ** BigInt(-e)).toString();
  return { digits: d, point: d.length + e };
}

/** Keeps the first n digits, rounding half to even; returns the digits and a carry flag. */
function roundDigits(digits: string, n: number): { digits: string; carry: boolean } {
  if (n >= digits.length) return { digits: digits.padEnd(n, '0'), carry: false };
  if (n < 0) return { digits: '', carry: false };
  const head = digits.slice(0, n);
  const rest = digits.slice(n);
  const lastOdd = n > 0 && Number(head[n - 1]) % 2 === 1;
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || lastOdd));
  if (!up) return { digits: head, carry: false };
  const inc = (BigInt(head || '0') + 1n).toString().padStart(n, '0');
  return inc.length > n ? { digits: inc, carry: true } : { digits: inc, carry: false };
}

/** Significant digits (d.ddd…) and decimal exponent of |n| ≠ 0; shortest if precision is undefined. */
export function floatDigits(n: number, precision?: number): { digits: string; exp: number } {
  if (n === 0) return { digits: '0'.repeat((precision ?? 0) + 1), exp: 0 };
  if (precision === undefined) {
    const [mant = '0', ex = '0'] = Math.abs(n).toExponential().split('e');
    return { digits: mant.replace('.', ''), exp: Number(ex) };
  }
  const { digits, point } = exactDecimal(Math.abs(n));
  const r = roundDigits(digits, precision + 1);
  return { digits: r.digits.slice(0, precision + 1), exp: point - 1 + (r.carry ? 1 : 0) };
}

/** Go's %.<p>f of a finite number. */
export function fixedGo(n: number, p: number): string {
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  let int = '0';
  let frac = '0'.repeat(p);
  if (n !== 0) {
    const { digits, point } = exactDecimal(Math.abs(n));
    const r = roundDigits(digits, point + p);
    const all = r.digits.padStart(p + 1, '0');
    int = all.slice(0, all.length - p).replace(/^0+(?=\d)/, '');
    frac = all.slice(all.length - p);
  }
  return sign + int + (p > 0 ? `.${frac}` : '');
}

/** Formats like Go's %e with the given digits (mantissa digits without the dot). */
export function fmtE(neg: boolean, digits: string, exp: number, upper = false): string {
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const es = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${neg ? '-' : ''}${mant}${upper ? 'E' : 'e'}${es}`;
}

/** Go's %g formatting: shortest representation when precision is undefined. */
export function formatFloatG(n: number, precision?: number, upper = false): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const shortest = precision === undefined;
  const p = shortest ? undefined : Math.max(precision, 1) - 1;
  let { digits, exp } = floatDigits(n, p);
  digits = digits.replace(/0+$/, '') || '0';
  // Go: shortest %g (and %v of a float64) switches to %e from exponent 6 upward.
  const eprec = shortest ? 6 : Math.max(precision, 1);
  if (exp < -4 || exp >= eprec) return fmtE(n < 0, digits, exp, upper);
  let s: string;
  if (exp < 0) s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) s = digits + '0'.repeat(exp + 1 - digits.length);
  else s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return (n < 0 ? '-' : '') + s;
}
