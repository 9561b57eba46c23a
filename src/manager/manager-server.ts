// The Manager service on the cluster port, for manager certificates only: followers forward
// writes to the leader here, and a node newly holding a manager certificate asks the leader
// for a place in the Raft group (it joins as a learner; the leader promotes it once caught up).
import type * as grpc from '@grpc/grpc-js';
import { ConfChangeType } from '../raft/index.ts';
import { clusterServiceDefinition, RpcError, unaryHandler } from '../rpc/index.ts';
import { type Batch, decodeBatch, StoreError } from '../store/index.ts';
import { type ClusterState, QuorumLostError } from './cluster-state.ts';
import { addressOfRaftMember, clusterObject, managerAddresses } from './cluster-view.ts';
import type { RoleChanger } from './roles.ts';

const GRPC_FAILED_PRECONDITION = 9;
const GRPC_PERMISSION_DENIED = 7;

export interface ManagerServerOptions {
  state: ClusterState;
  roles: RoleChanger;
  newRaftId: () => number;
  /** The caller's node id if it holds a manager certificate of this cluster; else throws. */
  identifyManager: (call: grpc.ServerUnaryCall<unknown, unknown>) => string;
}

/** The membership context stored in a Raft conf change: who the member is, where it listens. */
export interface MemberContext {
  nodeId: string;
  addr: string;
}

export function encodeMemberContext(context: MemberContext): Uint8Array {
  return Buffer.from(JSON.stringify(context));
}

export function decodeMemberContext(bytes: Uint8Array): MemberContext | null {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as MemberContext;
    return typeof value.addr === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Runs a write and turns its failure into the answer's error code (the store's, or ours). */
async function outcome(run: () => Promise<void>): Promise<{ errorCode: string; message: string }> {
  try {
    await run();
    return { errorCode: '', message: '' };
  } catch (error) {
    if (error instanceof QuorumLostError)
      return { errorCode: 'unavailable', message: error.message };
    const code = (error as { code?: unknown }).code;
    if (error instanceof StoreError || typeof code === 'string') {
      return { errorCode: String(code), message: (error as Error).message };
    }
    throw error;
  }
}

export class ManagerServer {
  constructor(private readonly options: ManagerServerOptions) {}

  attach(server: grpc.Server): void {
    const identify = (call: unknown) =>
      this.options.identifyManager(call as grpc.ServerUnaryCall<unknown, unknown>);
    server.addService(clusterServiceDefinition('Manager'), {
      Propose: unaryHandler(async (request: { batch: Uint8Array }, call) => {
        identify(call);
        return this.propose(decodeBatch(request.batch));
      }),
      JoinRaft: unaryHandler(async (request: { addr: string }, call) =>
        this.joinRaft(identify(call), request.addr),
      ),
      ChangeRole: unaryHandler(
        async (request: { nodeId: string; role: string; version: number }, call) => {
          identify(call);
          if (!this.options.state.isLeader()) {
            return { errorCode: 'unavailable', message: new QuorumLostError().message };
          }
          return outcome(() =>
            this.options.roles.change(
              request.nodeId,
              request.role === 'manager' ? 'manager' : 'worker',
              request.version,
            ),
          );
        },
      ),
    });
  }

  private async propose(batch: Batch) {
    try {
      await this.options.state.proposeHere(batch);
      return { errorCode: '', message: '' };
    } catch (error) {
      if (error instanceof StoreError) return { errorCode: error.code, message: error.message };
      if (error instanceof QuorumLostError)
        return { errorCode: 'unavailable', message: error.message };
      throw error;
    }
  }

  private async joinRaft(nodeId: string, addr: string) {
    const { state } = this.options;
    if (!state.isLeader()) {
      const leader = addressOfRaftMember(state.store, state.leader());
      throw new RpcError(
        GRPC_FAILED_PRECONDITION,
        leader ? `not the leader; the leader is at ${leader}` : new QuorumLostError().message,
      );
    }
    const node = state.store.get('nodes', nodeId);
    if (node?.Spec.Role !== 'manager') {
      throw new RpcError(GRPC_PERMISSION_DENIED, `node ${nodeId} is not a manager of this cluster`);
    }
    const cluster = clusterObject(state.store)!;
    const raftId = cluster.Internal.raftIds[nodeId] ?? this.options.newRaftId();
    if (cluster.Internal.raftIds[nodeId] !== raftId || node.ManagerStatus?.Addr !== addr) {
      await state.propose([
        {
          kind: 'update',
          table: 'cluster',
          object: {
            ...cluster,
            Internal: {
              ...cluster.Internal,
              raftIds: { ...cluster.Internal.raftIds, [nodeId]: raftId },
            },
          },
          expectedVersion: cluster.Version.Index,
        },
        {
          kind: 'update',
          table: 'nodes',
          object: {
            ...node,
            ManagerStatus: { Reachability: 'unknown', Addr: addr },
          },
          expectedVersion: node.Version.Index,
        },
      ]);
    }
    const status = state.raft.status();
    if (!status.voters.includes(raftId) && !status.learners.includes(raftId)) {
      await state.changeMembership(
        ConfChangeType.AddLearner,
        raftId,
        encodeMemberContext({ nodeId, addr }),
      );
    }
    return { raftId, members: managerAddresses(state.store) };
  }
}
