import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateNodeKeyAndCsr } from './csr.ts';
import { NodeKeyLockedError } from './errors.ts';
import { isNodeKeySealed, openNodeKey, sealNodeKey } from './key-encryption.ts';

describe('node key encryption', () => {
  it('seals the key so that only its key-encryption key opens it', async () => {
    const { keyPem } = await generateNodeKeyAndCsr();
    const kek = randomBytes(32);
    const sealed = sealNodeKey(keyPem, [kek]);
    assert.match(sealed, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.doesNotMatch(sealed, /BEGIN PRIVATE KEY/);
    assert.ok(!sealed.includes(keyPem.split('\n')[1]!), 'no line of the plain key is in the file');
    assert.equal(isNodeKeySealed(sealed), true);
    assert.equal(openNodeKey(sealed, kek), keyPem);
    assert.throws(() => openNodeKey(sealed, randomBytes(32)), NodeKeyLockedError);
    assert.throws(() => openNodeKey(sealed, null), /encrypted and no key was given/);
  });

  it('keeps a plain key readable without any key', async () => {
    const { keyPem } = await generateNodeKeyAndCsr();
    const plain = sealNodeKey(keyPem, [null]);
    assert.equal(plain, keyPem);
    assert.equal(isNodeKeySealed(plain), false);
    assert.equal(openNodeKey(plain, null), keyPem);
    assert.equal(openNodeKey(plain, randomBytes(32)), keyPem);
  });

  it('holds two copies while the key changes: either key opens the file', async () => {
    const { keyPem } = await generateNodeKeyAndCsr();
    const [oldKek, newKek] = [randomBytes(32), randomBytes(32)];
    const both = sealNodeKey(keyPem, [oldKek, newKek]);
    assert.equal(isNodeKeySealed(both), false, 'not the settled form');
    assert.equal(openNodeKey(both, oldKek), keyPem);
    assert.equal(openNodeKey(both, newKek), keyPem);
    assert.throws(() => openNodeKey(both, randomBytes(32)), /encrypted under another key/);
    // Turning autolock on: the plain copy stays readable until the settled form replaces it.
    const turningOn = sealNodeKey(keyPem, [null, newKek]);
    assert.equal(openNodeKey(turningOn, null), keyPem);
    assert.throws(() => sealNodeKey(keyPem, []), RangeError);
    assert.throws(() => sealNodeKey(keyPem, [null, oldKek, newKek]), RangeError);
  });

  it('refuses a file without a key', () => {
    assert.throws(() => openNodeKey('nothing here', null), /holds no private key/);
  });
});
