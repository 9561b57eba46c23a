import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidUnlockKeyError } from './errors.ts';
import { fixedRandomBytes } from './test-fixtures.ts';
import { formatUnlockKey, generateUnlockKey, parseUnlockKey } from './unlock-key.ts';

describe('unlock key', () => {
  it('is SWMKEY-1- and unpadded base64 of 32 bytes, as docker prints it', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const text = formatUnlockKey(key);
    assert.equal(text, `SWMKEY-1-${Buffer.from(key).toString('base64').replace(/=$/, '')}`);
    assert.match(text, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(parseUnlockKey(text), key);
    assert.deepEqual(parseUnlockKey(`  ${text}\n`), key);
    const generated = generateUnlockKey();
    assert.match(generated, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    assert.equal(generateUnlockKey(fixedRandomBytes(2)), generateUnlockKey(fixedRandomBytes(2)));
  });

  it('reads a key in docker documentation form', () => {
    const key = parseUnlockKey('SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8');
    assert.equal(key.length, 32);
  });

  it('names what is wrong', () => {
    const good = formatUnlockKey(new Uint8Array(32).fill(9));
    const cases: [string, RegExp][] = [
      ['', /the key is empty/],
      ['SWMTKN-1-abc', /must start with "SWMKEY-1-"/],
      [`${good}=`, /not unpadded standard base64/],
      [good.replace(/.$/, '-'), /not unpadded standard base64/],
      [`${good.slice(0, -1)}B`, /not canonical base64/],
      [
        `SWMKEY-1-${Buffer.alloc(16).toString('base64').replace(/=+$/, '')}`,
        /expected 32 bytes, got 16/,
      ],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseUnlockKey(text),
        (err) => {
          assert.ok(err instanceof InvalidUnlockKeyError, text);
          assert.match(err.message, /^invalid unlock key: /);
          assert.match(err.message, re, text);
          return true;
        },
      );
    }
    assert.throws(() => formatUnlockKey(new Uint8Array(31)), /expected 32 bytes, got 31/);
  });
});
