import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import { createCsr, generateNodeKeyAndCsr, verifyCsr } from './csr.ts';
import { InvalidCsrError, PkiError } from './errors.ts';
import { generateEcKeyPair, importEcPrivateKeyPem, spkiOf, subtle } from './keys.ts';
import { decodePem } from './pem.ts';
import { mutatePem, NOW } from './test-fixtures.ts';
import * as x509 from './x509.ts';

/** The CertificationRequestInfo (everything the signature covers) of a CSR, as hex. */
function requestInfo(csr: string | ArrayBuffer): string {
  const der =
    typeof csr === 'string'
      ? Buffer.from(decodePem(csr, 'CERTIFICATE REQUEST')[0] as Uint8Array)
      : Buffer.from(new Uint8Array(csr));
  // Skip the outer SEQUENCE's header, then take the first element whole.
  const header = (at: number) => {
    const first = der[at + 1] ?? 0;
    if (first < 0x80) return { size: 2, length: first };
    const octets = first & 0x7f;
    return { size: 2 + octets, length: der.readUIntBE(at + 2, octets) };
  };
  const start = header(0).size;
  const inner = header(start);
  return der.subarray(start, start + inner.size + inner.length).toString('hex');
}

describe('CSR', () => {
  it('generates a P-256 key and a CSR that verifies', async () => {
    const made = await generateNodeKeyAndCsr({ commonName: 'alice' });
    assert.match(made.csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    assert.match(made.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const verified = await verifyCsr(made.csrPem);
    assert.equal(verified.requestedSubject, 'CN=alice');
    assert.deepEqual(verified.publicKeySpki, await spkiOf(made.publicKey));
    // The saved key reloads and is the same key.
    const reloaded = await importEcPrivateKeyPem(made.keyPem);
    assert.deepEqual(await spkiOf(reloaded.publicKey), verified.publicKeySpki);
  });

  it('rejects a CSR whose subject was altered after signing', async () => {
    const { csrPem } = await generateNodeKeyAndCsr({ commonName: 'alice' });
    const tampered = mutatePem(csrPem, 'CERTIFICATE REQUEST', (der) => {
      const at = der.indexOf(Buffer.from('alice'));
      assert.ok(at > 0);
      der[at] = 'm'.charCodeAt(0);
    });
    await assert.rejects(verifyCsr(tampered), (err) => {
      assert.ok(err instanceof InvalidCsrError);
      assert.equal(err.message, 'invalid certificate signing request: signature does not verify');
      return true;
    });
  });

  it('rejects a CSR whose public key was swapped', async () => {
    const a = await generateNodeKeyAndCsr({ commonName: 'alice' });
    const b = await generateNodeKeyAndCsr({ commonName: 'alice' });
    const aKey = Buffer.from(await spkiOf(a.publicKey));
    const bKey = Buffer.from(await spkiOf(b.publicKey));
    const swapped = mutatePem(a.csrPem, 'CERTIFICATE REQUEST', (der) => {
      const at = der.indexOf(aKey);
      assert.ok(at > 0);
      bKey.copy(der, at);
    });
    await assert.rejects(verifyCsr(swapped), /signature does not verify/);
  });

  it('rejects a damaged signature, garbage and a missing CSR', async () => {
    const { csrPem } = await generateNodeKeyAndCsr();
    const badSig = mutatePem(csrPem, 'CERTIFICATE REQUEST', (der) => {
      der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0x55;
    });
    await assert.rejects(verifyCsr(badSig), InvalidCsrError);
    await assert.rejects(
      verifyCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'),
      /invalid certificate signing request: cannot parse/,
    );
    await assert.rejects(verifyCsr('hello'), /cannot parse: .*no PEM block/);
    await assert.rejects(verifyCsr(csrPem + csrPem), /expected one CSR, found 2/);
  });

  it('writes the request @peculiar/x509 writes for the same key and subject', async () => {
    const keys = await generateEcKeyPair();
    for (const commonName of [undefined, 'alice', 'node_1', 'é 中', 'a*b']) {
      const opts = commonName ? { commonName } : {};
      const ours = await createCsr(keys, opts);
      const theirs = await x509.Pkcs10CertificateRequestGenerator.create({
        ...(commonName ? { name: [{ CN: [commonName] }] } : {}),
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as unknown as Algorithm,
      });
      assert.equal(requestInfo(ours), requestInfo(theirs.rawData));
      const parsed = new x509.Pkcs10CertificateRequest(ours);
      assert.equal(await parsed.verify(), true);
      assert.equal(parsed.subject, commonName ? `CN=${commonName}` : '');
      assert.equal((await verifyCsr(ours)).requestedSubject, parsed.subject);
    }
  });

  it('writes a request OpenSSL verifies', async (t) => {
    const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('no openssl on this machine');
      return;
    }
    const { csrPem } = await generateNodeKeyAndCsr({ commonName: 'bob' });
    const checked = spawnSync('openssl', ['req', '-verify', '-noout', '-subject'], {
      input: csrPem,
      encoding: 'utf8',
    });
    assert.equal(checked.status, 0, checked.stderr);
    assert.match(checked.stdout + checked.stderr, /verify OK/);
    assert.match(checked.stdout, /subject=CN ?= ?bob/);
    assert.equal(decodePem(csrPem, 'CERTIFICATE REQUEST').length, 1);
  });

  it('refuses a key that is not ECDSA', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPairLike;
    await assert.rejects(createCsr(keys), PkiError);
  });

  it('rejects a key that is not P-256', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
    const keys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPairLike;
    const x509 = await import('./x509.ts');
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=x',
      keys,
      signingAlgorithm: alg,
    });
    await assert.rejects(verifyCsr(csr.toString('pem')), /must be ECDSA P-256, got ec secp384r1/);
  });

  it('is what the manager signs: a tampered CSR gets no certificate', async () => {
    const ca = await RootCa.create({ now: NOW });
    const made = await generateNodeKeyAndCsr({ commonName: 'alice' });
    const tampered = mutatePem(made.csrPem, 'CERTIFICATE REQUEST', (der) => {
      der[der.indexOf(Buffer.from('alice'))] = 'm'.charCodeAt(0);
    });
    await assert.rejects(
      ca.issueNodeCertificate({
        csrPem: tampered,
        nodeId: 'n',
        clusterId: 'c',
        role: 'manager',
        now: NOW,
      }),
      InvalidCsrError,
    );
    // A renewal CSR for the existing key works.
    const renewal = await createCsr({ privateKey: made.privateKey, publicKey: made.publicKey });
    const cert = await ca.issueNodeCertificate({
      csrPem: renewal,
      nodeId: 'n',
      clusterId: 'c',
      role: 'manager',
      now: NOW,
    });
    assert.match(cert, /BEGIN CERTIFICATE/);
  });
});

type CryptoKeyPairLike = Awaited<ReturnType<typeof import('./keys.ts').generateEcKeyPair>>;
type Algorithm = NonNullable<
  Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['signingAlgorithm']
>;
