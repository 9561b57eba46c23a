import { InvalidCertificateError } from './errors.ts';

/** Largest PEM input accepted from a peer (a CSR or a bundle is a few KiB). */
export const MAX_PEM_BYTES = 256 * 1024;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** Every PEM block in `text`, in order. Text between blocks is ignored, as OpenSSL does. */
export function decodePemBlocks(text: string): PemBlock[] {
  if (text.length > MAX_PEM_BYTES) {
    throw new InvalidCertificateError(`PEM input larger than ${MAX_PEM_BYTES} bytes`);
  }
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1] ?? '';
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new InvalidCertificateError(`PEM block ${label} is not valid base64`);
    }
    out.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

/** The DER bodies of the blocks labelled `label`; throws if there is none. */
export function decodePem(text: string, label: string): Uint8Array[] {
  const blocks = decodePemBlocks(text).filter((b) => b.label === label);
  if (blocks.length === 0) throw new InvalidCertificateError(`no PEM block "${label}" found`);
  return blocks.map((b) => b.der);
}

export function encodePem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString(
    'base64',
  );
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The certificates of a PEM bundle, each re-encoded canonically. */
export function splitPemCertificates(bundlePem: string): string[] {
  return decodePem(bundlePem, 'CERTIFICATE').map((der) => encodePem(der, 'CERTIFICATE'));
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
