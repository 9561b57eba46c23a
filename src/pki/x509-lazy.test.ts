// What every node runs must not evaluate @peculiar/x509 (see x509-lazy.ts); this runs the
// paths of a worker in a fresh process and watches for it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RootCa } from './ca.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { HOUR } from './test-fixtures.ts';
import { loadX509 } from './x509-lazy.ts';

const CHILD = `
const peculiarLoaded = () =>
  typeof Reflect.getMetadata === 'function' ||
  Object.keys(require.cache).some((path) => path.includes('@peculiar'));
(async () => {
  const steps = {};
  const pki = await import(process.env.PKI_INDEX);
  steps.imported = peculiarLoaded();
  const now = new Date();
  const material = {
    rootBundlePem: process.env.ROOT_PEM,
    certPem: process.env.CERT_PEM,
    keyPem: process.env.KEY_PEM,
  };
  const info = pki.verifyNodeCertificate({
    chainPem: material.certPem,
    rootBundlePem: material.rootBundlePem,
    now,
    role: 'worker',
  });
  pki.parseNodeCertificate(material.certPem);
  pki.renewalTime(info.notBefore, info.notAfter);
  pki.needsRenewal(material.certPem, now);
  pki.peerIdentity(material.certPem);
  pki.createClientCredentials(material);
  pki.createServerCredentials(material);
  pki.buildTrustBundle(material.rootBundlePem);
  pki.verifyRootBundle(pki.generateJoinToken(material.rootBundlePem), material.rootBundlePem);
  const made = await pki.generateNodeKeyAndCsr();
  await pki.createCsr({ privateKey: made.privateKey, publicKey: made.publicKey });
  steps.workerPaths = peculiarLoaded();
  await pki.verifyCsr(made.csrPem);
  steps.afterVerifyCsr = peculiarLoaded();
  console.log(JSON.stringify(steps));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

describe('lazy @peculiar/x509', () => {
  it('is not loaded by the paths every node runs, only by signing and CSR checks', async () => {
    const ca = await RootCa.create({ now: new Date() });
    const { csrPem, keyPem } = await generateNodeKeyAndCsr();
    const certPem = await ca.issueNodeCertificate({
      csrPem,
      nodeId: 'worker1',
      clusterId: 'cluster1',
      role: 'worker',
      now: new Date(),
      expiryMs: 10 * HOUR,
    });
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', CHILD], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PKI_INDEX: join(import.meta.dirname, 'index.ts'),
        ROOT_PEM: ca.certPem,
        CERT_PEM: certPem,
        KEY_PEM: keyPem,
      },
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}'), {
      imported: false,
      workerPaths: false,
      afterVerifyCsr: true,
    });
  });

  it('loads the module once', async () => {
    const [a, b] = await Promise.all([loadX509(), loadX509()]);
    assert.equal(a, b);
    assert.equal(typeof a.X509CertificateGenerator.create, 'function');
    assert.equal(await loadX509(), a);
  });
});
