// POST /shoal/ca/client-certificates (Shoal's own, manager-only): signs an operator's API
// client certificate with the cluster CA, for `docker --tlsverify` against a node's TLS port.
// The caller sends a CSR, so the private key never leaves the machine that made it. Body:
// {"CSR": PEM, "Name": "alice", "Expiry": nanoseconds (optional)}; answer 201
// {"Certificate": PEM, "CA": PEM of the cluster's root (both roots during a root rotation)}.
import { clusterObject } from '../../manager/index.ts';
import { BadRequestError, UnavailableError } from '../errors.ts';
import { json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';

export interface ClientCertificateRequest {
  ca: { clusterId: string; certPem: string; keyPem: string };
  csrPem: string;
  name: string;
  expiryMs?: number;
}

/** Signs a client certificate (the daemon provides it: it loads the X.509 library). */
export type ClientCertificateIssuer = (request: ClientCertificateRequest) => Promise<string>;

const NANOSECONDS_PER_MILLISECOND = 1_000_000;

interface IssueBody {
  CSR?: unknown;
  Name?: unknown;
  Expiry?: unknown;
}

export function addCaRoutes(router: Router, control: SwarmControl, issue: ClientCertificateIssuer) {
  router.post('/shoal/ca/client-certificates', async (context) => {
    const cluster = clusterObject(requireManager(control).store);
    if (!cluster) throw new UnavailableError('the swarm is still being initialized');
    const body = ((await context.body<IssueBody>()) ?? {}) as IssueBody;
    if (typeof body.CSR !== 'string' || !body.CSR.includes('CERTIFICATE REQUEST')) {
      throw new BadRequestError('CSR must be a PEM certificate signing request');
    }
    if (typeof body.Name !== 'string' || body.Name === '') {
      throw new BadRequestError("Name (the client certificate's common name) is required");
    }
    if (
      body.Expiry !== undefined &&
      (typeof body.Expiry !== 'number' || !Number.isSafeInteger(body.Expiry) || body.Expiry <= 0)
    ) {
      throw new BadRequestError('Expiry must be a positive number of nanoseconds');
    }
    // During a root rotation the new root signs, and the client gets both roots to trust: the
    // API's server certificate comes from the old root until the rotation ends, from the new
    // one after, and the certificate stays valid across the change.
    const rotation = cluster.Internal.rootRotation;
    const trustRoot = cluster.TLSInfo.TrustRoot;
    const signing =
      rotation === undefined
        ? { certPem: trustRoot, keyPem: cluster.Internal.rootCaKeyPem }
        : { certPem: rotation.caCertPem, keyPem: rotation.caKeyPem };
    const caBundle =
      rotation === undefined ? trustRoot : `${trustRoot.trimEnd()}\n${rotation.caCertPem.trim()}\n`;
    try {
      const certificate = await issue({
        ca: { clusterId: cluster.ID, ...signing },
        csrPem: body.CSR,
        name: body.Name,
        ...(typeof body.Expiry === 'number'
          ? { expiryMs: Math.floor(body.Expiry / NANOSECONDS_PER_MILLISECOND) }
          : {}),
      });
      return json(201, { Certificate: certificate, CA: caBundle });
    } catch (error) {
      if (error instanceof RangeError || (error as Error).name === 'InvalidCsrError') {
        throw new BadRequestError((error as Error).message, { cause: error });
      }
      throw error;
    }
  });
}
