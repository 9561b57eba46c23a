// Go's fmt.Sprintf for template values (verbs v s q d b o O x X c U t e E f F g G T %).
import { fixedGo, floatDigits, fmtE, formatFloatG } from './float.ts';
import {
  formatValue,
  goQuote,
  goTypeName,
  isArrayLike,
  isGoInt,
  sortedEntries,
  stringerText,
} from './format-value.ts';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
  verb: string;
}

const runeLen = (s: string): number => [...s].length;

function pad(s: string, f: Spec, zeroOk = true): string {
  const n = (f.width ?? 0) - runeLen(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  if (f.zero && zeroOk) {
    const sign = /^[+\- ]/.test(s) ? s.slice(0, 1) : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function badVerb(v: unknown, f: Spec): string {
  if (v === undefined || v === null) return `%!${f.verb}(<nil>)`;
  return `%!${f.verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function quoteRune(cp: number): string {
  const c = String.fromCodePoint(cp);
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  return `'${goQuote(c).slice(1, -1)}'`;
}

function fmtInteger(n: bigint, f: Spec): string {
  const base = { b: 2, o: 8, O: 8, x: 16, X: 16 }[f.verb] ?? 10;
  const neg = n < 0n;
  const u = neg ? -n : n;
  let prec = 0;
  if (f.prec !== undefined) {
    prec = f.prec;
    if (prec === 0 && u === 0n) return pad('', { ...f, zero: false });
  } else if (f.zero && !f.minus && f.width !== undefined) {
    prec = f.width - (neg || f.plus || f.space ? 1 : 0);
  }
  let digits = u.toString(base);
  if (f.verb === 'X') digits = digits.toUpperCase();
  digits = digits.padStart(prec, '0');
  let prefix = '';
  if (f.sharp && base === 2) prefix = '0b';
  if (f.sharp && base === 8 && digits[0] !== '0') prefix = '0';
  if (f.sharp && base === 16) prefix = f.verb === 'X' ? '0X' : '0x';
  if (f.verb === 'O') prefix = '0o';
  const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + prefix + digits, f, false);
}

function fmtFloat(n: number, f: Spec): string {
  const upper = f.verb === 'E' || f.verb === 'G';
  let s: string;
  if (Number.isNaN(n)) s = 'NaN';
  else if (!Number.isFinite(n)) s = n > 0 ? '+Inf' : '-Inf';
  else if (f.verb === 'e' || f.verb === 'E') {
    const { digits, exp } = floatDigits(n, f.prec ?? 6);
    s = fmtE(n < 0 || Object.is(n, -0), digits, exp, upper);
  } else if (f.verb === 'f' || f.verb === 'F') {
    s = fixedGo(n, f.prec ?? 6);
  } else s = formatFloatG(n, f.prec, upper);
  if (s === 'NaN') return pad(f.plus ? '+NaN' : f.space ? ' NaN' : 'NaN', f, false);
  if (s[0] !== '-' && s[0] !== '+') s = (f.plus ? '+' : f.space ? ' ' : '') + s;
  if (s === '+Inf' && !f.plus) s = f.space ? ' Inf' : '+Inf';
  return pad(s, f, Number.isFinite(n));
}

function fmtString(s: string, f: Spec, v: unknown): string {
  const t = f.prec !== undefined ? [...s].slice(0, f.prec).join('') : s;
  switch (f.verb) {
    case 'v':
    case 's':
      return pad(t, f);
    case 'q':
      return pad(goQuote(t), f);
    case 'x':
    case 'X': {
      let hex = Buffer.from(s).toString('hex');
      if (f.prec !== undefined) hex = hex.slice(0, f.prec * 2);
      if (f.verb === 'X') hex = hex.toUpperCase();
      return pad(hex, f);
    }
  }
  return badVerb(v, f);
}

function fmtArg(v: unknown, f: Spec, depth: number): string {
  if (f.verb === 'T') return pad(v === undefined || v === null ? '<nil>' : goTypeName(v), f);
  if (v === undefined || v === null) {
    return f.verb === 'v' || depth > 0 ? pad('<nil>', f, false) : badVerb(v, f);
  }
  switch (typeof v) {
    case 'boolean':
      return f.verb === 't' || f.verb === 'v' ? pad(String(v), f) : badVerb(v, f);
    case 'string':
      return fmtString(v, f, v);
    case 'bigint':
    case 'number': {
      const isInt = typeof v === 'bigint' || isGoInt(v);
      if ('eEfFgG'.includes(f.verb) || (!isInt && f.verb === 'v')) return fmtFloat(Number(v), f);
      if (!isInt) return badVerb(v, f);
      const big = BigInt(v);
      if ('vdboOxX'.includes(f.verb))
        return fmtInteger(big, f.verb === 'v' ? { ...f, verb: 'd' } : f);
      if (f.verb === 'c') return pad(String.fromCodePoint(Number(big)), f);
      if (f.verb === 'q') return pad(quoteRune(Number(big)), f);
      if (f.verb === 'U') {
        const u = `U+${big.toString(16).toUpperCase().padStart(4, '0')}`;
        return pad(f.sharp ? `${u} '${String.fromCodePoint(Number(big))}'` : u, f);
      }
      return badVerb(v, f);
    }
    case 'function':
      return badVerb(v, f);
  }
  if (v instanceof Uint8Array && 'sqxX'.includes(f.verb)) {
    return fmtString(Buffer.from(v).toString('latin1'), f, v);
  }
  if (isArrayLike(v)) return `[${Array.from(v, (e) => fmtArg(e, f, depth + 1)).join(' ')}]`;
  const text = stringerText(v as object);
  if (text !== undefined)
    return 'vsqxX'.includes(f.verb) ? fmtString(text, f, text) : badVerb(v, f);
  const parts = sortedEntries(v as object).map(
    ([k, x]) => `${fmtArg(k, f, depth + 1)}:${fmtArg(x, f, depth + 1)}`,
  );
  return `map[${parts.join(' ')}]`;
}

/** Go's fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  const intArg = (): number | undefined => {
    const a = args[argNum];
    if (argNum < args.length) argNum++;
    return typeof a === 'number' && Number.isInteger(a) ? a : undefined;
  };
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Spec = {
      minus: false,
      plus: false,
      sharp: false,
      space: false,
      zero: false,
      verb: '',
    };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') f.minus = true;
      else if (c === '+') f.plus = true;
      else if (c === '#') f.sharp = true;
      else if (c === ' ') f.space = true;
      else if (c === '0') f.zero = !f.minus;
      else break;
    }
    if (format[i] === '*') {
      i++;
      const w = intArg();
      if (w === undefined) out += '%!(BADWIDTH)';
      else if (w < 0) {
        f.minus = true;
        f.zero = false;
        f.width = -w;
      } else f.width = w;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        f.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = intArg();
        if (p === undefined || p < 0) out += '%!(BADPREC)';
        else f.prec = p;
      } else {
        const m = /^\d*/.exec(format.slice(i))![0];
        f.prec = Number(m || '0');
        i += m.length;
      }
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    f.verb = String.fromCodePoint(format.codePointAt(i)!);
    i += f.verb.length;
    if (f.verb === '%') out += '%';
    else if (argNum >= args.length) out += `%!${f.verb}(MISSING)`;
    else out += fmtArg(args[argNum++], f, 0);
  }
  if (argNum < args.length) {
    const extra = args
      .slice(argNum)
      .map((a) => (a == null ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
