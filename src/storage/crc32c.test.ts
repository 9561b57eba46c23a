import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from './crc32c.ts';
import { seededRandom } from './test-support.ts';

/** Bit at a time, straight from the definition: the reference the fast version must match. */
function slowCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('crc32c matches the standard check value and RFC 3720 vectors', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test('crc32c agrees with a bitwise reference on every length and offset', () => {
  const random = seededRandom(7);
  const bytes = Uint8Array.from({ length: 300 }, () => Math.floor(random() * 256));
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= bytes.length; end += 7) {
      const piece = bytes.subarray(start, end);
      assert.equal(crc32c(piece), slowCrc32c(piece), `bytes ${start}..${end}`);
    }
  }
});

test('crc32c continues across pieces', () => {
  const bytes = new TextEncoder().encode('the quick brown fox jumps over the lazy dog');
  for (let split = 0; split <= bytes.length; split++) {
    const first = crc32c(bytes.subarray(0, split));
    assert.equal(crc32c(bytes.subarray(split), first), crc32c(bytes));
  }
});
