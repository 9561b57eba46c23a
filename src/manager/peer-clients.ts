// Clients of other managers' cluster-port services, over mutual TLS with this node's
// certificate, one channel per address.
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, createClientCredentials, type TlsMaterial } from '../pki/index.ts';
import { callUnary, clusterServiceDefinition } from '../rpc/index.ts';
import { type Batch, encodeBatch } from '../store/index.ts';
import { QuorumLostError } from './cluster-state.ts';
import type { ManagerAddress } from './cluster-view.ts';

const CALL_TIMEOUT_MS = 10_000;

export class ManagerClients {
  private readonly clients = new Map<string, grpc.Client>();
  private credentials: grpc.ChannelCredentials;

  constructor(
    tls: TlsMaterial,
    private readonly clusterId: string,
  ) {
    this.credentials = this.makeCredentials(tls);
  }

  /** New certificate or roots: later channels use them. */
  updateTls(tls: TlsMaterial): void {
    this.credentials = this.makeCredentials(tls);
    this.close();
  }

  /** Sends a batch to the leader at `addr`; rejects with the store's error code on refusal. */
  async propose(addr: string, batch: Batch): Promise<void> {
    if (!addr) throw new QuorumLostError();
    const response = await callUnary<{ batch: Uint8Array }, { errorCode: string; message: string }>(
      this.client(addr),
      clusterServiceDefinition('Manager'),
      'Propose',
      { batch: encodeBatch(batch) },
      CALL_TIMEOUT_MS,
    ).catch((error: grpc.ServiceError) => {
      if (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED) {
        throw new QuorumLostError();
      }
      throw error;
    });
    if (response.errorCode === 'unavailable') throw new QuorumLostError();
    if (response.errorCode) {
      throw Object.assign(new Error(response.message), { code: response.errorCode });
    }
  }

  /** Forwards a promotion or demotion to the leader at `addr`. */
  async changeRole(addr: string, nodeId: string, role: string, version: number): Promise<void> {
    const response = await callUnary<object, { errorCode: string; message: string }>(
      this.client(addr),
      clusterServiceDefinition('Manager'),
      'ChangeRole',
      { nodeId, role, version },
      CALL_TIMEOUT_MS,
    );
    if (response.errorCode === 'unavailable') throw new QuorumLostError();
    if (response.errorCode) {
      throw Object.assign(new Error(response.message), { code: response.errorCode });
    }
  }

  joinRaft(addr: string, ownAddr: string): Promise<{ raftId: number; members: ManagerAddress[] }> {
    return callUnary(
      this.client(addr),
      clusterServiceDefinition('Manager'),
      'JoinRaft',
      { addr: ownAddr },
      CALL_TIMEOUT_MS,
    );
  }

  /** Opens the leader's log stream for a query (Logs.Subscribe); cancel the call to stop. */
  subscribeLogs(addr: string, query: Uint8Array): grpc.ClientReadableStream<unknown> {
    if (!addr) throw new QuorumLostError();
    const method = clusterServiceDefinition('Logs').Subscribe as grpc.MethodDefinition<
      { query: Uint8Array },
      unknown
    >;
    return this.client(addr).makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { query },
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(addr: string): grpc.Client {
    let client = this.clients.get(addr);
    if (!client) {
      client = new grpc.Client(addr, this.credentials, {
        ...clientChannelOptions('manager'),
        'grpc.enable_http_proxy': 0,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 2000,
      });
      this.clients.set(addr, client);
    }
    return client;
  }

  private makeCredentials(tls: TlsMaterial): grpc.ChannelCredentials {
    return createClientCredentials(tls, {
      expectedRole: 'manager',
      expectedClusterId: this.clusterId,
    });
  }
}
