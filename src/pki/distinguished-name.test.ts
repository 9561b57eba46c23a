import assert from 'node:assert/strict';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatName, nameValues, parseNodeName } from './distinguished-name.ts';
import { InvalidCertificateError } from './errors.ts';
import { makeCertificate, OID, rawName } from './test-fixtures.ts';
import * as x509 from './x509.ts';

describe("parseNodeName (Node's multi-line names)", () => {
  it('splits RDNs and multi-valued RDNs, and unescapes values', () => {
    assert.deepEqual(parseNodeName('O=c1\nOU=swarm-worker\nCN=n1'), [
      [{ type: 'O', value: 'c1' }],
      [{ type: 'OU', value: 'swarm-worker' }],
      [{ type: 'CN', value: 'n1' }],
    ]);
    assert.deepEqual(parseNodeName('CN=a \\+ b + O=x\\0AOU=y\\\\'), [
      [
        { type: 'CN', value: 'a + b' },
        { type: 'O', value: 'x\nOU=y\\' },
      ],
    ]);
    assert.deepEqual(parseNodeName('CN=\\ x=y\\,\\;\\"\\<\\>\\#\\ '), [
      [{ type: 'CN', value: ' x=y,;"<># ' }],
    ]);
    assert.deepEqual(parseNodeName(''), []);
    assert.deepEqual(nameValues(parseNodeName('O=a + O=b\nCN=c\nO=d'), 'O'), ['a', 'b', 'd']);
  });

  it('refuses what Node never prints', () => {
    for (const bad of ['CN', '=x', 'CN=x\\', 'C\\N=x', 'CN=\\FF']) {
      assert.throws(() => parseNodeName(bad), InvalidCertificateError, bad);
    }
  });

  it("round-trips Node's printing of any value, as Node's own legacy object reads it", async () => {
    const values = [
      'plain',
      'c,1+2;"x"\\y<z>',
      'a\nOU=swarm-manager',
      ' lead#',
      '#hash ',
      'é ü 中 = x 😀',
      'a + OU=b',
      'ctl\t\u0001\u001f\u007f',
      'back\\0A',
      '\\',
    ];
    for (const value of values) {
      const { pem } = await makeCertificate({
        subject: rawName([
          [[OID.CN, value]],
          [
            [OID.O, value],
            [OID.OU, 'x'],
          ],
        ]),
      });
      const node = new NodeX509(pem);
      const rdns = parseNodeName(node.subject);
      assert.deepEqual(nameValues(rdns, 'CN'), [value], JSON.stringify(node.subject));
      assert.deepEqual(nameValues(rdns, 'O'), [value]);
      assert.deepEqual(nameValues(rdns, 'OU'), ['x']);
      const legacy = node.toLegacyObject().subject as unknown as Record<string, string>;
      assert.equal(legacy.CN, value);
    }
  });

  it('formats names the way @peculiar/x509 prints them', async () => {
    for (const subject of [
      'CN=swarm-ca',
      'O=cluster1, OU=swarm-worker, CN=worker1',
      'CN=a\\, b, O=x\\+y',
      'CN=n+O=o2, OU=u',
    ]) {
      const { pem } = await makeCertificate({ subject });
      const expected = new x509.X509Certificate(pem).subject;
      assert.equal(formatName(parseNodeName(new NodeX509(pem).subject)), expected);
    }
  });
});
