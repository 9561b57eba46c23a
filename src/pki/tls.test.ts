import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { RootCa } from './ca.ts';
import { generateNodeKeyAndCsr } from './csr.ts';
import { PeerIdentityError } from './errors.ts';
import {
  callerIdentity,
  clientChannelOptions,
  createClientCredentials,
  createServerCredentials,
  peerIdentity,
  type TlsMaterial,
} from './tls.ts';

const identity = (b: Buffer) => b;
const unary = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
/** A trivial service: WhoAmI answers the caller's identity; ManagersOnly refuses workers. */
const TestService = {
  whoAmI: unary('/shoal.pki.test.Test/WhoAmI'),
  managersOnly: unary('/shoal.pki.test.Test/ManagersOnly'),
} satisfies grpc.ServiceDefinition;
const TestClient = grpc.makeGenericClientConstructor(TestService, 'Test');

async function material(
  ca: RootCa,
  nodeId: string,
  role: 'manager' | 'worker',
): Promise<TlsMaterial> {
  const { csrPem, keyPem } = await generateNodeKeyAndCsr();
  const certPem = await ca.issueNodeCertificate({
    csrPem,
    nodeId,
    clusterId: 'cluster1',
    role,
    now: new Date(),
  });
  return { rootBundlePem: ca.certPem, certPem, keyPem };
}

function call(
  client: grpc.Client,
  method: 'whoAmI' | 'managersOnly',
): Promise<{ err: grpc.ServiceError | null; body?: string }> {
  return new Promise((resolve) => {
    type UnaryFn = (
      req: Buffer,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: Buffer) => void,
    ) => void;
    const fn = (client as unknown as Record<string, UnaryFn>)[method] as UnaryFn;
    fn.call(client, Buffer.from('ping'), { deadline: Date.now() + 5000 }, (err, res) =>
      resolve({ err, body: res?.toString() }),
    );
  });
}

describe('mutual TLS over gRPC', () => {
  let ca: RootCa;
  let otherCa: RootCa;
  let manager: TlsMaterial;
  let worker: TlsMaterial;
  let server: grpc.Server;
  let port: number;
  const clients: grpc.Client[] = [];
  const connect = (m: TlsMaterial, opts?: Parameters<typeof createClientCredentials>[1]) => {
    const c = new TestClient(
      `127.0.0.1:${port}`,
      createClientCredentials(m, opts),
      clientChannelOptions(),
    );
    clients.push(c);
    return c;
  };

  before(async () => {
    ca = await RootCa.create({ now: new Date() });
    otherCa = await RootCa.create({ now: new Date() });
    manager = await material(ca, 'manager1', 'manager');
    worker = await material(ca, 'worker1', 'worker');
    server = new grpc.Server();
    server.addService(TestService, {
      whoAmI: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const id = callerIdentity(c);
        cb(null, Buffer.from(JSON.stringify(id)));
      },
      managersOnly: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const id = callerIdentity(c);
        if (id.role !== 'manager') {
          cb({ code: grpc.status.PERMISSION_DENIED, details: `${id.nodeId} is a ${id.role}` });
          return;
        }
        cb(null, Buffer.from('ok'));
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', createServerCredentials(manager), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  });

  after(() => {
    for (const c of clients) c.close();
    server.forceShutdown();
  });

  it('the server reads the caller role from its certificate', async () => {
    const w = await call(connect(worker), 'whoAmI');
    assert.equal(w.err, null);
    assert.deepEqual(JSON.parse(w.body ?? ''), {
      nodeId: 'worker1',
      clusterId: 'cluster1',
      role: 'worker',
    });
    const m = await call(connect(manager), 'whoAmI');
    assert.deepEqual(JSON.parse(m.body ?? ''), {
      nodeId: 'manager1',
      clusterId: 'cluster1',
      role: 'manager',
    });
  });

  it('authorizes by role', async () => {
    const denied = await call(connect(worker), 'managersOnly');
    assert.equal(denied.err?.code, grpc.status.PERMISSION_DENIED);
    assert.match(denied.err?.details ?? '', /worker1 is a worker/);
    const allowed = await call(connect(manager), 'managersOnly');
    assert.equal(allowed.err, null);
    assert.equal(allowed.body, 'ok');
  });

  it('refuses a client certificate from another CA', async () => {
    const stranger = await material(otherCa, 'intruder', 'manager');
    // The stranger trusts our root, so only the server's check of its certificate stops it.
    const r = await call(connect({ ...stranger, rootBundlePem: ca.certPem }), 'whoAmI');
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
  });

  it('refuses a client without a certificate', async () => {
    const c = new TestClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createSsl(Buffer.from(ca.certPem)),
      clientChannelOptions(),
    );
    clients.push(c);
    const r = await call(c, 'whoAmI');
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
  });

  it('the client refuses a server of another CA, or of the wrong role or cluster', async () => {
    const foreign = await call(connect({ ...worker, rootBundlePem: otherCa.certPem }), 'whoAmI');
    assert.equal(foreign.err?.code, grpc.status.UNAVAILABLE);
    const wrongRole = await call(connect(worker, { expectedRole: 'worker' }), 'whoAmI');
    assert.equal(wrongRole.err?.code, grpc.status.UNAVAILABLE);
    const wrongCluster = await call(connect(worker, { expectedClusterId: 'cluster2' }), 'whoAmI');
    assert.equal(wrongCluster.err?.code, grpc.status.UNAVAILABLE);
    const pinned = await call(
      connect(worker, { expectedNodeId: 'manager1', expectedClusterId: 'cluster1' }),
      'whoAmI',
    );
    assert.equal(pinned.err, null);
  });
});

describe('peerIdentity', () => {
  it('reads PEM, DER and a PeerCertificate, and refuses non-node certificates', async () => {
    const ca = await RootCa.create({ now: new Date() });
    const m = await material(ca, 'n1', 'worker');
    const expected = { nodeId: 'n1', clusterId: 'cluster1', role: 'worker' };
    assert.deepEqual(peerIdentity(m.certPem), expected);
    const der = new Uint8Array(Buffer.from(m.certPem.split('\n').slice(1, -2).join(''), 'base64'));
    assert.deepEqual(peerIdentity(der), expected);
    assert.deepEqual(peerIdentity({ raw: Buffer.from(der) } as never), expected);
    assert.throws(() => peerIdentity(ca.certPem), PeerIdentityError);
    assert.throws(() => peerIdentity({} as never), /the peer presented no certificate/);
    assert.throws(() => callerIdentity({}), /no call.getAuthContext/);
    assert.throws(
      () => callerIdentity({ getAuthContext: () => ({}) }),
      /no verified TLS client certificate/,
    );
  });
});
