// The node's TLS private key on disk under autolock: encrypted with the key-encryption key
// (KEK) that also wraps the Raft data key, so a stolen disk of a locked manager gives neither
// (swarmkit encrypts its node key PEM the same way). The file holds one PEM block per key it
// can be opened with: normally one, two while the KEK changes (the old and the new), so a
// crash at any point leaves a file that the key the Raft data is under still opens.
import { createPrivateKey } from 'node:crypto';
import { NodeKeyLockedError } from './errors.ts';
import { decodePemBlocks, encodePem } from './pem.ts';

const PLAIN_LABEL = 'PRIVATE KEY';
const ENCRYPTED_LABEL = 'ENCRYPTED PRIVATE KEY';
/** Standard PKCS#8 encryption (PBES2: PBKDF2 with a random salt, AES-256-CBC). */
const CIPHER = 'aes-256-cbc';
/** A file written here holds at most this many copies (old and new KEK). */
export const MAX_KEY_COPIES = 2;

/**
 * The key file's text for a PKCS#8 (or SEC1) key PEM: one block per entry of `keks`, in
 * order: a null entry is the plain PKCS#8 block, a KEK an encrypted PKCS#8 block under it.
 */
export function sealNodeKey(keyPem: string, keks: readonly (Uint8Array | null)[]): string {
  if (keks.length === 0 || keks.length > MAX_KEY_COPIES) {
    throw new RangeError(`a node key file holds 1 to ${MAX_KEY_COPIES} copies, got ${keks.length}`);
  }
  const key = createPrivateKey(keyPem);
  return keks
    .map((kek) =>
      kek === null
        ? String(key.export({ type: 'pkcs8', format: 'pem' }))
        : String(
            key.export({
              type: 'pkcs8',
              format: 'pem',
              cipher: CIPHER,
              passphrase: passphraseOf(kek),
            }),
          ),
    )
    .join('');
}

/**
 * The plain PKCS#8 PEM of the key in a key file: its first plain block, or the first
 * encrypted block `kek` opens. Throws NodeKeyLockedError when nothing opens.
 */
export function openNodeKey(fileText: string, kek: Uint8Array | null): string {
  const blocks = decodePemBlocks(fileText);
  for (const block of blocks) {
    if (block.label === PLAIN_LABEL || block.label === 'EC PRIVATE KEY') {
      return String(
        createPrivateKey(encodePem(block.der, block.label)).export({
          type: 'pkcs8',
          format: 'pem',
        }),
      );
    }
  }
  if (kek !== null) {
    for (const block of blocks) {
      if (block.label !== ENCRYPTED_LABEL) continue;
      try {
        const key = createPrivateKey({
          key: encodePem(block.der, ENCRYPTED_LABEL),
          format: 'pem',
          passphrase: passphraseOf(kek),
        });
        return String(key.export({ type: 'pkcs8', format: 'pem' }));
      } catch {
        // Encrypted under another key: try the next copy.
      }
    }
  }
  throw new NodeKeyLockedError(
    blocks.some((b) => b.label === ENCRYPTED_LABEL)
      ? kek === null
        ? 'it is encrypted and no key was given'
        : 'it is encrypted under another key'
      : 'the file holds no private key',
  );
}

/**
 * Whether a key file is in its settled sealed form: one copy, encrypted (not plain, not the
 * two copies written while the key-encryption key changes).
 */
export function isNodeKeySealed(fileText: string): boolean {
  const blocks = decodePemBlocks(fileText);
  return blocks.length === 1 && blocks[0]?.label === ENCRYPTED_LABEL;
}

/** OpenSSL reads a passphrase as text: the KEK's bytes as hex. */
function passphraseOf(kek: Uint8Array): string {
  if (kek.length === 0) throw new RangeError('the key-encryption key is empty');
  return Buffer.from(kek).toString('hex');
}
