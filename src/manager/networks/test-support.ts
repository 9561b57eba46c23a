// For the tests of networks: a real one-member manager (Raft on an in-memory disk) holding a
// cluster object and the ingress network, as `swarm init` leaves it; stopped when the test ends.
import type { TestContext } from 'node:test';
import type { ClusterState } from '../cluster-state.ts';
import { singleManager } from '../test-support.ts';
import { ingressNetworkInput } from './allocate.ts';

let counter = 0;
/** Object IDs for tests: unique, sortable, recognisable. */
export const testId = () => `id${String(++counter).padStart(6, '0')}`;

export async function managerWithIngress(t: TestContext): Promise<ClusterState> {
  const state = await singleManager(t);
  const pools = { DefaultAddrPool: ['10.0.0.0/8'], SubnetSize: 24 };
  await state.propose([
    {
      kind: 'create',
      table: 'cluster',
      object: {
        ID: 'cluster1',
        Spec: {
          Name: 'default',
          Labels: {},
          Orchestration: { TaskHistoryRetentionLimit: 5 },
          Raft: {
            SnapshotInterval: 10000,
            KeepOldSnapshots: 0,
            LogEntriesForSlowFollowers: 500,
            ElectionTick: 10,
            HeartbeatTick: 1,
          },
          Dispatcher: { HeartbeatPeriod: 5e9 },
          CAConfig: { NodeCertExpiry: 7776000e9 },
          TaskDefaults: {},
          EncryptionConfig: { AutoLockManagers: false },
        },
        TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
        RootRotationInProgress: false,
        DataPathPort: 4789,
        ...pools,
        JoinTokens: { Worker: '', Manager: '' },
        Internal: { rootCaKeyPem: '', raftIds: {} },
      },
    },
    { kind: 'create', table: 'networks', object: ingressNetworkInput('ingress0', pools) },
  ]);
  return state;
}
