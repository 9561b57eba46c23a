// Node's X509Certificate prints names (`subject`, `issuer`) with OpenSSL's
// XN_FLAG_SEP_MULTILINE | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL |
// ASN1_STRFLGS_UTF8_CONVERT: one RDN a line, the attributes of a multi-valued RDN joined by
// " + ", short type names ("CN", "O", "OU", else the dotted OID), values in UTF-8 with
// `,+"\<>;` (and a leading space or '#', a trailing space) escaped as `\c` and control
// characters as `\XX`. So a newline or " + " inside a value is always escaped, and splitting
// on the unescaped ones cannot let a value smuggle in another attribute.
import { InvalidCertificateError } from './errors.ts';

export interface NameAttribute {
  /** Short name ("CN", "O", "OU") or dotted OID. */
  type: string;
  value: string;
}

/** A relative distinguished name: one attribute, or several for a multi-valued RDN. */
export type Rdn = NameAttribute[];

/** Longest name accepted: a certificate's names are far shorter. */
const MAX_NAME_CHARS = 64 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/** Parses Node's multi-line form of a name into its RDNs, values unescaped. */
export function parseNodeName(text: string): Rdn[] {
  if (text.length > MAX_NAME_CHARS) fail('name too long');
  if (text === '') return [];
  return text.split('\n').map(parseRdn);
}

/** The values of every attribute of `type`, in order, across all RDNs. */
export function nameValues(rdns: Rdn[], type: string): string[] {
  return rdns.flatMap((rdn) => rdn.filter((a) => a.type === type).map((a) => a.value));
}

/**
 * A name as one line in RFC 4514 style, in certificate order ("O=c1, OU=swarm-worker,
 * CN=n1"), as @peculiar/x509 prints it; for messages and NodeCertificateInfo.issuer.
 */
export function formatName(rdns: Rdn[]): string {
  return rdns
    .map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join('+'))
    .join(', ');
}

function parseRdn(line: string): Rdn {
  const parts: string[] = [];
  let from = 0;
  let index = 0;
  while (index < line.length) {
    if (line[index] === '\\') {
      // Whatever follows a backslash is part of the value (hex digits are never separators).
      index += 2;
    } else if (line.startsWith(' + ', index)) {
      parts.push(line.slice(from, index));
      index += 3;
      from = index;
    } else {
      index++;
    }
  }
  parts.push(line.slice(from));
  return parts.map(parseAttribute);
}

function parseAttribute(text: string): NameAttribute {
  const equals = text.indexOf('=');
  if (equals <= 0) fail(`no "type=value" in ${JSON.stringify(text)}`);
  const type = text.slice(0, equals);
  if (type.includes('\\')) fail(`bad attribute type ${JSON.stringify(type)}`);
  return { type, value: unescapeValue(text.slice(equals + 1)) };
}

function unescapeValue(text: string): string {
  const bytes: number[] = [];
  const chars = Array.from(text);
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index] as string;
    if (char !== '\\') {
      bytes.push(...ENCODER.encode(char));
      continue;
    }
    const pair = (chars[index + 1] ?? '') + (chars[index + 2] ?? '');
    if (HEX_PAIR.test(pair)) {
      bytes.push(Number.parseInt(pair, 16));
      index += 2;
    } else if (index + 1 < chars.length) {
      bytes.push(...ENCODER.encode(chars[index + 1] as string));
      index += 1;
    } else {
      fail('a value ends with a lone backslash');
    }
  }
  try {
    return UTF8.decode(new Uint8Array(bytes));
  } catch {
    return fail('a value is not valid UTF-8');
  }
}

function escapeValue(value: string): string {
  let out = '';
  const chars = Array.from(value);
  chars.forEach((char, index) => {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) {
      out += `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
    } else if (
      ',+"\\<>;'.includes(char) ||
      (index === 0 && (char === ' ' || char === '#')) ||
      (index === chars.length - 1 && char === ' ')
    ) {
      out += `\\${char}`;
    } else {
      out += char;
    }
  });
  return out;
}

function fail(detail: string): never {
  throw new InvalidCertificateError(`cannot read name: ${detail}`);
}
