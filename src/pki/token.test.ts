import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import { CaMismatchError, InvalidJoinTokenError, PkiError } from './errors.ts';
import { fixedRandomBytes, NOW } from './test-fixtures.ts';
import {
  generateJoinToken,
  joinToken,
  parseJoinToken,
  rootBundleDigest,
  tokensEqual,
  verifyRootBundle,
} from './token.ts';

const TOKEN_RE = /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/;
const BUNDLE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('join token', () => {
  it('matches an independently computed vector', () => {
    // sha256(BUNDLE) and bytes 1..16, converted to base 36 by a separate implementation.
    const secret = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    assert.equal(
      joinToken(BUNDLE, secret),
      'SWMTKN-1-36woy3tx1wz6xwxhrp3j3aayz6ijqxoh5gdq314wxttyhgfh29-025burfp0j7epb0hqfcuw340g',
    );
    assert.equal(
      rootBundleDigest(BUNDLE),
      '8010bfcee1842b2a4ce8f67c3e9455f0188f7a15bf39ec61a26feb75cd785821',
    );
  });

  it('pads both parts with zeros to 50 and 25 characters', () => {
    const zeros = joinToken(BUNDLE, new Uint8Array(16));
    assert.match(zeros, /-0{25}$/);
    const max = joinToken(BUNDLE, new Uint8Array(16).fill(0xff));
    assert.match(max, /-f5lxx1zz5pnorynqglhzmsp33$/);
    assert.throws(() => joinToken(BUNDLE, new Uint8Array(15)), RangeError);
  });

  it('has the docker format for a real root, and worker/manager tokens share the digest', async () => {
    const ca = await RootCa.create({ now: NOW });
    const worker = generateJoinToken(ca.certPem);
    const manager = generateJoinToken(ca.certPem);
    assert.match(worker, TOKEN_RE);
    assert.match(manager, TOKEN_RE);
    assert.notEqual(worker, manager);
    assert.equal(worker.split('-')[2], manager.split('-')[2]);
    const parsed = parseJoinToken(worker);
    assert.equal(parsed.version, 1);
    assert.equal(parsed.digest, rootBundleDigest(ca.certPem));
    assert.equal(parsed.secret, worker.split('-')[3]);
    // Injected randomness makes it deterministic.
    assert.equal(
      generateJoinToken(ca.certPem, fixedRandomBytes(5)),
      generateJoinToken(ca.certPem, fixedRandomBytes(5)),
    );
  });

  it('names what is malformed', () => {
    const good = joinToken(BUNDLE, new Uint8Array(16).fill(7));
    const [, , digest, secret] = good.split('-');
    const cases: [string, RegExp][] = [
      ['', /the token is empty/],
      ['SWMKEY-1-abc', /must start with "SWMTKN-"/],
      [`SWMTKN-2-${digest}-${secret}`, /unsupported version "2"/],
      [`SWMTKN-1-${digest}`, /expected 4 dash-separated parts/],
      [`SWMTKN-1-${digest}-${secret}-x`, /expected 4 dash-separated parts/],
      [`SWMTKN-1-${digest?.slice(1)}-${secret}`, /CA digest must be 50 base-36 characters/],
      [`SWMTKN-1-${digest?.toUpperCase()}-${secret}`, /CA digest must be 50 base-36/],
      [`SWMTKN-1-${'z'.repeat(50)}-${secret}`, /larger than a SHA-256 digest/],
      [`SWMTKN-1-${digest}-${secret}0`, /secret must be 25 base-36 characters/],
      [`SWMTKN-1-${digest}-${'z'.repeat(25)}`, /secret is larger than 16 bytes/],
    ];
    for (const [token, re] of cases) {
      assert.throws(
        () => parseJoinToken(token),
        (err) => {
          assert.ok(err instanceof InvalidJoinTokenError, token);
          assert.ok(err instanceof PkiError);
          assert.match(err.message, /^invalid join token: /);
          assert.match(err.message, re, token);
          return true;
        },
      );
    }
    // Surrounding whitespace, as pasted, is fine.
    assert.equal(parseJoinToken(` ${good}\n`).secret, secret);
  });

  it('verifies the fetched bundle and rejects a tampered one', async () => {
    const ca = await RootCa.create({ now: NOW });
    const other = await RootCa.create({ now: NOW });
    const token = generateJoinToken(ca.certPem);
    verifyRootBundle(token, ca.certPem);
    verifyRootBundle(token, Buffer.from(ca.certPem));
    const tampered = [
      other.certPem,
      `${ca.certPem}\n`,
      ca.certPem.replace('-----END', ' -----END'),
      ca.certPem + other.certPem,
    ];
    for (const bundle of tampered) {
      assert.throws(
        () => verifyRootBundle(token, bundle),
        (err) => {
          assert.ok(err instanceof CaMismatchError);
          assert.match(
            err.message,
            /^the remote CA does not match the fingerprint in the join token/,
          );
          assert.equal(err.expectedDigest, rootBundleDigest(ca.certPem));
          return true;
        },
      );
    }
    assert.throws(() => verifyRootBundle('garbage', ca.certPem), InvalidJoinTokenError);
  });

  it('compares tokens in constant time', () => {
    const a = joinToken(BUNDLE, new Uint8Array(16).fill(1));
    const b = joinToken(BUNDLE, new Uint8Array(16).fill(2));
    assert.equal(tokensEqual(a, a), true);
    assert.equal(tokensEqual(a, `${a}`), true);
    assert.equal(tokensEqual(a, b), false);
    assert.equal(tokensEqual(a, `${a.slice(0, -1)}x`), false);
    assert.equal(tokensEqual(a, `x${a.slice(1)}`), false);
    assert.equal(tokensEqual(a, a.slice(0, -1)), false);
    assert.equal(tokensEqual(a, `${a}0`), false);
    assert.equal(tokensEqual('', ''), true);
    assert.equal(tokensEqual('', a), false);
  });
});
