// Certificate renewal: a new key and CSR, signed by any manager's CA service over mutual TLS
// with the current certificate. The CA signs the role the store holds, so this is also how a
// promotion or demotion reaches the node's certificate.
import * as grpc from '@grpc/grpc-js';
import {
  clientChannelOptions,
  createClientCredentials,
  generateNodeKeyAndCsr,
  type TlsMaterial,
} from '../pki/index.ts';
import { callUnary, clusterServiceDefinition } from '../rpc/index.ts';

const CALL_TIMEOUT_MS = 15_000;

export async function renewCertificate(
  tls: TlsMaterial,
  clusterId: string,
  managers: string[],
): Promise<TlsMaterial> {
  const { keyPem, csrPem } = await generateNodeKeyAndCsr();
  let lastError: unknown = new Error('no manager address is known');
  for (const addr of managers) {
    const client = new grpc.Client(
      addr,
      createClientCredentials(tls, { expectedRole: 'manager', expectedClusterId: clusterId }),
      { ...clientChannelOptions('manager'), 'grpc.enable_http_proxy': 0 },
    );
    try {
      const answer = await callUnary<object, { certificatePem: string; rootBundlePem: string }>(
        client,
        clusterServiceDefinition('CA'),
        'Renew',
        { csrPem },
        CALL_TIMEOUT_MS,
      );
      return { rootBundlePem: answer.rootBundlePem, certPem: answer.certificatePem, keyPem };
    } catch (error) {
      lastError = error;
    } finally {
      client.close();
    }
  }
  throw lastError;
}
