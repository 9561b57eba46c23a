// The joining side of `swarm join`: fetch the root CA without trusting it yet, check it
// against the digest in the join token before sending anything secret, then ask the CA for a
// certificate over TLS pinned to that root.
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { ManagerAddress } from '../manager/index.ts';
import {
  type CaMismatchError,
  generateNodeKeyAndCsr,
  parseJoinToken,
  peerIdentity,
  type TlsMaterial,
  verifyRootBundle,
} from '../pki/index.ts';
import { callUnary, clusterServiceDefinition } from '../rpc/index.ts';
import type { NodeDescription } from '../store/index.ts';

const CALL_TIMEOUT_MS = 15_000;

export class JoinError extends Error {
  override name = 'JoinError';
  constructor(
    message: string,
    /** The HTTP status the API answers with. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface JoinResult {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
  tls: TlsMaterial;
  managers: ManagerAddress[];
}

export interface JoinRequest {
  remoteAddr: string;
  token: string;
  advertiseAddr: string;
  availability: string;
  description: NodeDescription;
}

export async function joinCluster(request: JoinRequest): Promise<JoinResult> {
  try {
    parseJoinToken(request.token);
  } catch (error) {
    throw new JoinError(`invalid join token: ${(error as Error).message}`, 400);
  }
  const rootBundlePem = await fetchRootBundle(request.remoteAddr);
  try {
    verifyRootBundle(request.token, rootBundlePem);
  } catch (error) {
    throw new JoinError(
      `error while validating Root CA Certificate: ${(error as CaMismatchError).message}`,
      400,
    );
  }
  const { keyPem, csrPem } = await generateNodeKeyAndCsr();
  const client = new grpc.Client(
    request.remoteAddr,
    grpc.credentials.createSsl(Buffer.from(rootBundlePem), null, null, {
      checkServerIdentity: (_host, cert) => {
        try {
          return peerIdentity(cert).role === 'manager'
            ? undefined
            : new Error('the remote node is not a manager');
        } catch (error) {
          return error as Error;
        }
      },
    }),
    { 'grpc.ssl_target_name_override': 'swarm-manager', 'grpc.enable_http_proxy': 0 },
  );
  try {
    const response = await callUnary<object, JoinResponse>(
      client,
      clusterServiceDefinition('CA'),
      'Join',
      {
        token: request.token,
        csrPem,
        advertiseAddr: request.advertiseAddr,
        availability: request.availability,
        description: Buffer.from(JSON.stringify(request.description)),
      },
      CALL_TIMEOUT_MS,
    ).catch((error: grpc.ServiceError) => {
      throw new JoinError(error.details || error.message, error.code === 3 ? 400 : 503);
    });
    return {
      nodeId: response.nodeId,
      clusterId: response.clusterId,
      role: response.role === 'manager' ? 'manager' : 'worker',
      tls: { rootBundlePem: response.rootBundlePem, certPem: response.certificatePem, keyPem },
      managers: response.managers,
    };
  } finally {
    client.close();
  }
}

interface JoinResponse {
  nodeId: string;
  clusterId: string;
  role: string;
  certificatePem: string;
  rootBundlePem: string;
  managers: ManagerAddress[];
}

/** The root bundle, read without verifying the server: the token's digest is the check. */
async function fetchRootBundle(remoteAddr: string): Promise<string> {
  const client = new grpc.Client(
    remoteAddr,
    // Nothing is verified here, so nothing needs trusting: an explicit context keeps grpc-js
    // from reading the bundle GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names (when set) and keeping
    // it, and the memory of a TLS context trusting every CA in it, for the daemon's lifetime.
    grpc.credentials.createFromSecureContext(createSecureContext(), { rejectUnauthorized: false }),
    { 'grpc.ssl_target_name_override': 'swarm-manager', 'grpc.enable_http_proxy': 0 },
  );
  try {
    const response = await callUnary<object, { rootBundlePem: string }>(
      client,
      clusterServiceDefinition('CA'),
      'GetRootCertificate',
      {},
      CALL_TIMEOUT_MS,
    );
    return response.rootBundlePem;
  } catch (error) {
    const reason = (error as grpc.ServiceError).details || (error as Error).message;
    throw new JoinError(
      `could not reach a swarm manager at ${remoteAddr}: ${reason}. Is it a manager, and is its cluster port open?`,
      503,
    );
  } finally {
    client.close();
  }
}
