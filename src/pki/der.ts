// Minimal DER, so that what every node does needs no @peculiar/x509 (see x509-lazy.ts for
// why that matters): a reader for the two certificate extensions Node's X509Certificate does
// not expose (basicConstraints' cA and pathLenConstraint, the keyUsage bits), and a writer
// for the few types of a PKCS#10 certificate request.
import { InvalidCertificateError } from './errors.ts';

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
/** [3] EXPLICIT, constructed: the extensions of a TBSCertificate. */
const TAG_EXTENSIONS = 0xa3;

/** DER of the OIDs 2.5.29.19 (basicConstraints) and 2.5.29.15 (keyUsage). */
const OID_BASIC_CONSTRAINTS = '551d13';
const OID_KEY_USAGE = '551d0f';

/** A certificate holds far fewer; a bound keeps a hostile input from looping long. */
const MAX_EXTENSIONS = 64;
/** Lengths above 4 bytes of length octets cannot occur in a 256 KiB PEM. */
const MAX_LENGTH_OCTETS = 4;

/** Key usage bits, numbered as @peculiar/x509's KeyUsageFlags (bit n of RFC 5280 = 1 << n). */
export const KEY_USAGE_DIGITAL_SIGNATURE = 1;
export const KEY_USAGE_KEY_CERT_SIGN = 32;

export interface CertificateConstraints {
  /** basicConstraints, when the extension is present. */
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** keyUsage bits (KEY_USAGE_*), when the extension is present. */
  keyUsage?: number;
}

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  headerStart: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
}

/** basicConstraints and keyUsage of a DER certificate. Throws InvalidCertificateError. */
export function readCertificateConstraints(der: Uint8Array): CertificateConstraints {
  const certificate = readTlv(der, 0, der.length, TAG_SEQUENCE);
  const tbs = readTlv(der, certificate.start, certificate.end, TAG_SEQUENCE);
  const out: CertificateConstraints = {};
  for (const field of children(der, tbs)) {
    if (field.tag !== TAG_EXTENSIONS) continue;
    const list = readTlv(der, field.start, field.end, TAG_SEQUENCE);
    const seen = new Set<string>();
    for (const extension of children(der, list)) {
      if (extension.tag !== TAG_SEQUENCE) fail('an extension is not a SEQUENCE');
      const [oid, second, third] = children(der, extension);
      if (oid?.tag !== TAG_OID) fail('an extension has no OID');
      const valueTlv = second?.tag === TAG_BOOLEAN ? third : second;
      if (valueTlv?.tag !== TAG_OCTET_STRING) fail('an extension has no value');
      const oidHex = hex(der, oid);
      // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a
      // particular extension"; OpenSSL refuses such certificates too.
      if (seen.has(oidHex)) fail(`extension ${oidHex} appears twice`);
      seen.add(oidHex);
      if (oidHex === OID_BASIC_CONSTRAINTS) {
        out.basicConstraints = readBasicConstraints(der, valueTlv);
      } else if (oidHex === OID_KEY_USAGE) {
        out.keyUsage = readKeyUsage(der, valueTlv);
      }
    }
  }
  return out;
}

/** TBSCertificate's optional [0] EXPLICIT version. */
const TAG_VERSION = 0xa0;

/**
 * The DER of a certificate's subject Name, tag and length included: what Docker shows as a
 * TLSInfo's CertIssuerSubject (Go's RawSubject) when that certificate is the issuer.
 */
export function readSubjectDer(der: Uint8Array): Uint8Array {
  const certificate = readTlv(der, 0, der.length, TAG_SEQUENCE);
  const tbs = readTlv(der, certificate.start, certificate.end, TAG_SEQUENCE);
  const fields = children(der, tbs);
  // [version] serialNumber signature issuer validity subject ...
  const first = fields[0]?.tag === TAG_VERSION ? 1 : 0;
  const subject = fields[first + 4];
  if (subject?.tag !== TAG_SEQUENCE) fail('the certificate has no subject');
  return der.slice(subject.headerStart, subject.end);
}

function readBasicConstraints(der: Uint8Array, value: Tlv): { ca: boolean; pathLength?: number } {
  const seq = readTlv(der, value.start, value.end, TAG_SEQUENCE);
  if (seq.end !== value.end) fail('trailing bytes after basicConstraints');
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
  const items = children(der, seq);
  let next = 0;
  let ca = false;
  const first = items[next];
  if (first?.tag === TAG_BOOLEAN) {
    if (first.end - first.start !== 1) fail('basicConstraints cA is not one byte');
    ca = der[first.start] !== 0;
    next++;
  }
  const second = items[next];
  let pathLength: number | undefined;
  if (second?.tag === TAG_INTEGER) {
    pathLength = readSmallUnsigned(der, second);
    next++;
  }
  if (next !== items.length) fail('unexpected field in basicConstraints');
  return pathLength === undefined ? { ca } : { ca, pathLength };
}

function readKeyUsage(der: Uint8Array, value: Tlv): number {
  const bits = readTlv(der, value.start, value.end, TAG_BIT_STRING);
  if (bits.end !== value.end) fail('trailing bytes after keyUsage');
  if (bits.end - bits.start < 1) fail('keyUsage is empty');
  const unused = der[bits.start] ?? 0;
  if (unused > 7 || (unused > 0 && bits.end - bits.start === 1)) {
    fail('keyUsage has a bad count of unused bits');
  }
  let usage = 0;
  // Byte 0 counts unused bits; bit n of the string is bit (7 - n % 8) of byte 1 + n / 8.
  for (let index = 1; index < Math.min(bits.end - bits.start, 3); index++) {
    const byte = der[bits.start + index] ?? 0;
    for (let bit = 0; bit < 8; bit++) {
      if (byte & (0x80 >> bit)) usage |= 1 << ((index - 1) * 8 + bit);
    }
  }
  return usage;
}

function readSmallUnsigned(der: Uint8Array, item: Tlv): number {
  const length = item.end - item.start;
  if (length < 1 || length > 4) fail('integer out of range');
  if ((der[item.start] ?? 0) & 0x80) fail('negative integer');
  let value = 0;
  for (let i = item.start; i < item.end; i++) value = value * 256 + (der[i] ?? 0);
  return value;
}

/** The TLVs directly inside a constructed TLV, in order (at most MAX_EXTENSIONS + a few). */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    if (out.length >= MAX_EXTENSIONS) fail('too many elements');
    const tlv = readTlv(der, offset, parent.end);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

function readTlv(der: Uint8Array, offset: number, limit: number, expectedTag?: number): Tlv {
  if (offset + 2 > limit) fail('truncated');
  const tag = der[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not used in certificates');
  if (expectedTag !== undefined && tag !== expectedTag) {
    fail(`expected tag 0x${expectedTag.toString(16)}, got 0x${tag.toString(16)}`);
  }
  let length = der[offset + 1] ?? 0;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > MAX_LENGTH_OCTETS) fail('unsupported length');
    if (start + octets > limit) fail('truncated');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[start + i] ?? 0);
    start += octets;
  }
  const end = start + length;
  if (end > limit) fail('truncated');
  return { tag, headerStart: offset, start, end };
}

function hex(der: Uint8Array, tlv: Tlv): string {
  return Buffer.from(der.subarray(tlv.start, tlv.end)).toString('hex');
}

function fail(detail: string): never {
  throw new InvalidCertificateError(`malformed DER: ${detail}`);
}

// --- Writing: just enough DER to build a PKCS#10 request (csr.ts). ---

/** One DER TLV with definite length. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const length = content.length;
  let header: number[];
  if (length < 0x80) {
    header = [tag, length];
  } else {
    const octets: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
    if (octets.length > MAX_LENGTH_OCTETS) throw new RangeError('DER value too long');
    header = [tag, 0x80 | octets.length, ...octets];
  }
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}

export function encodeSequence(...items: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, Buffer.concat(items));
}

export function encodeSet(...items: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG_SET, Buffer.concat(items));
}

/** A non-negative INTEGER small enough for a JavaScript number. */
export function encodeSmallInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad integer ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return encodeTlv(TAG_INTEGER, Uint8Array.from(bytes));
}

/** A BIT STRING with no unused bits. */
export function encodeBitString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(TAG_BIT_STRING, Buffer.concat([Uint8Array.of(0), bytes]));
}

/** A dotted OID, e.g. "2.5.4.3". */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`bad OID ${dotted}`);
    return Number(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      base128.unshift(0x80 | (value & 0x7f));
    }
    bytes.push(...base128);
  }
  return encodeTlv(TAG_OID, Uint8Array.from(bytes));
}

/** A directory string as @peculiar/x509 writes it: PrintableString when it can, else UTF8String. */
export function encodeDirectoryString(value: string): Uint8Array {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
  return encodeTlv(printable ? TAG_PRINTABLE_STRING : TAG_UTF8_STRING, Buffer.from(value, 'utf8'));
}
