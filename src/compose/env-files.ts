// The two environment file formats a stack reads:
// - `.env` beside the (first) compose file: variables for interpolation, in the dotenv format
//   compose uses (`[export] NAME=value`, quotes, `#` comments, `${VAR}` in values). Docker's
//   stack deploy ignores this file (moby#29133); Shoal reads it, and the shell's environment
//   still wins over it.
// - a service's `env_file:` entries, read as docker's opts.ParseEnvFile reads them: `NAME=value`
//   taken literally (no quotes removed), `NAME` alone passes the caller's variable through.
import { type Lookup, substitute, TemplateError } from './interpolate.ts';
import type { Issues } from './issues.ts';

const DOTENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses a `.env` file; problems go to `issues` at their line. */
export function parseDotEnv(
  text: string,
  file: string,
  environment: Lookup,
  issues: Issues,
): Map<string, string> {
  const values = new Map<string, string>();
  const lookup: Lookup = (name) => environment(name) ?? values.get(name);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const at = { file, line: index + 1, column: 1 };
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const statement = line.startsWith('export ') ? line.slice('export '.length).trimStart() : line;
    const equals = statement.indexOf('=');
    if (equals <= 0) {
      issues.add(at, '', `invalid line "${line}": expected NAME=VALUE`);
      continue;
    }
    const name = statement.slice(0, equals).trim();
    if (!DOTENV_NAME.test(name)) {
      issues.add(at, '', `invalid variable name "${name}"`);
      continue;
    }
    try {
      values.set(name, dotEnvValue(statement.slice(equals + 1).trim(), lookup));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      issues.add(at, name, error.message);
    }
  }
  return values;
}

function dotEnvValue(raw: string, lookup: Lookup): string {
  if (raw.startsWith("'")) {
    const close = raw.indexOf("'", 1);
    if (close < 0) throw new TemplateError('unterminated single-quoted value');
    return raw.slice(1, close);
  }
  if (raw.startsWith('"')) {
    let value = '';
    for (let index = 1; index < raw.length; index++) {
      const character = raw[index]!;
      if (character === '"') return substitute(value, lookup);
      if (character === '\\' && index + 1 < raw.length) {
        const escaped = raw[++index]!;
        value += { n: '\n', t: '\t', r: '\r' }[escaped] ?? escaped;
        continue;
      }
      value += character;
    }
    throw new TemplateError('unterminated double-quoted value');
  }
  const comment = raw.search(/\s#/);
  return substitute((comment >= 0 ? raw.slice(0, comment) : raw).trim(), lookup);
}

/**
 * Parses a service's env_file as docker does. Answers `[name, value]` in file order; a bare
 * `NAME` whose variable is not set is left out.
 */
export function parseEnvFile(
  text: string,
  file: string,
  environment: Lookup,
  issues: Issues,
): [string, string][] {
  const result: [string, string][] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    const name = equals < 0 ? line.trim() : line.slice(0, equals);
    if (name === '') {
      issues.add({ file, line: index + 1, column: 1 }, '', `no variable name on line '${line}'`);
      continue;
    }
    if (/\s/.test(name)) {
      issues.add(
        { file, line: index + 1, column: 1 },
        '',
        `variable '${name}' contains whitespaces`,
      );
      continue;
    }
    if (equals >= 0) {
      result.push([name, line.slice(equals + 1)]);
      continue;
    }
    const passed = environment(name);
    if (passed !== undefined) result.push([name, passed]);
  }
  return result;
}
