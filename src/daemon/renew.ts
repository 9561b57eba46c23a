// The node's calls to the CA service of any manager, over mutual TLS with its current
// certificate: renewal (a new key and CSR; the CA signs the role the store holds, so this is
// also how a promotion or demotion reaches the node's certificate) and the status poll of a
// root rotation.
import * as grpc from '@grpc/grpc-js';
import {
  type CaStatus,
  clientChannelOptions,
  createClientCredentials,
  generateNodeKeyAndCsr,
  type TlsMaterial,
  verifyCertificateChain,
} from '../pki/index.ts';
import { callUnary, clusterServiceDefinition } from '../rpc/index.ts';

const CALL_TIMEOUT_MS = 15_000;
/** Managers tried per call, in the order known (the first that answers wins). */
const MAX_MANAGERS_TRIED = 5;

export async function renewCertificate(
  tls: TlsMaterial,
  clusterId: string,
  managers: string[],
): Promise<TlsMaterial> {
  const { keyPem, csrPem } = await generateNodeKeyAndCsr();
  const answer = await callAnyManager<{ certificatePem: string; rootBundlePem: string }>(
    tls,
    clusterId,
    managers,
    'Renew',
    { csrPem },
  );
  // Never adopt a chain that the roots it comes with do not cover: peers would refuse it.
  verifyCertificateChain({
    chainPem: answer.certificatePem,
    rootBundlePem: answer.rootBundlePem,
    now: new Date(),
  });
  return { rootBundlePem: answer.rootBundlePem, certPem: answer.certificatePem, keyPem };
}

/** What the CA wants of this node now (a root rotation); reports the roots it trusts. */
export function fetchCaStatus(
  tls: TlsMaterial,
  clusterId: string,
  managers: string[],
): Promise<CaStatus> {
  return callAnyManager<CaStatus>(tls, clusterId, managers, 'Status', {
    trustRootPem: tls.rootBundlePem,
  });
}

async function callAnyManager<T>(
  tls: TlsMaterial,
  clusterId: string,
  managers: string[],
  method: string,
  request: object,
): Promise<T> {
  let lastError: unknown = new Error('no manager address is known');
  for (const addr of managers.slice(0, MAX_MANAGERS_TRIED)) {
    const client = new grpc.Client(
      addr,
      createClientCredentials(tls, { expectedRole: 'manager', expectedClusterId: clusterId }),
      { ...clientChannelOptions('manager'), 'grpc.enable_http_proxy': 0 },
    );
    try {
      return await callUnary<object, T>(
        client,
        clusterServiceDefinition('CA'),
        method,
        request,
        CALL_TIMEOUT_MS,
      );
    } catch (error) {
      lastError = error;
    } finally {
      client.close();
    }
  }
  throw lastError;
}
