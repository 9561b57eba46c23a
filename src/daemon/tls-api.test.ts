import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster } from '../store/index.ts';
import { clusterTrust, parseListenAddress } from './tls-api.ts';

const OLD = '-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n';
const NEW = '-----BEGIN CERTIFICATE-----\nnew\n-----END CERTIFICATE-----\n';

function cluster(rotating: boolean): Cluster {
  return {
    ID: 'c1',
    TLSInfo: { TrustRoot: OLD, CertIssuerSubject: '', CertIssuerPublicKey: '' },
    Internal: {
      rootCaKeyPem: 'old-key',
      raftIds: {},
      ...(rotating
        ? { rootRotation: { caCertPem: NEW, caKeyPem: 'new-key', crossSignedPem: '' } }
        : {}),
    },
  } as unknown as Cluster;
}

test('the listener signs with the trust root and accepts the new root during a rotation', () => {
  assert.deepEqual(clusterTrust(cluster(false)), {
    clusterId: 'c1',
    signing: { clusterId: 'c1', certPem: OLD, keyPem: 'old-key' },
    clientCaPem: OLD,
  });
  const rotating = clusterTrust(cluster(true));
  assert.deepEqual(rotating.signing, { clusterId: 'c1', certPem: OLD, keyPem: 'old-key' });
  assert.equal(rotating.clientCaPem, `${OLD}${NEW}`);
});

test('listen addresses: host:port, [v6]:port, :port', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:2376'), { host: '127.0.0.1', port: 2376 });
  assert.deepEqual(parseListenAddress('[::1]:2376'), { host: '::1', port: 2376 });
  assert.deepEqual(parseListenAddress(':2376'), { host: '0.0.0.0', port: 2376 });
  assert.throws(() => parseListenAddress('2376'), /invalid --tls-listen address "2376"/);
});
