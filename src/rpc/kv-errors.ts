// The "not the leader" convention of the KV service (proto/kv.proto):
//
//   status FAILED_PRECONDITION, details "not the leader", trailing metadata
//   shoal-leader-id (decimal, "0" = unknown) and shoal-leader-address (host:port, "" = unknown).
//
// Handlers throw NotLeaderError; clients reject with NotLeaderError; parseNotLeader() reads the
// convention from any gRPC error.
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../raft/types.ts';

export const LEADER_ID_METADATA = 'shoal-leader-id';
export const LEADER_ADDRESS_METADATA = 'shoal-leader-address';
const NOT_LEADER_DETAILS = 'not the leader';

/** This node cannot serve the request; the leader, as far as it knows, is named. */
export class NotLeaderError extends Error {
  constructor(
    /** 0 when unknown. */
    readonly leaderId: NodeId,
    /** host:port of the leader's KV service, '' when unknown. */
    readonly leaderAddress: string,
  ) {
    super(
      leaderId === 0
        ? `${NOT_LEADER_DETAILS} (leader unknown)`
        : `${NOT_LEADER_DETAILS} (leader is ${leaderId}${leaderAddress ? ` at ${leaderAddress}` : ''})`,
    );
    this.name = 'NotLeaderError';
  }
}

/** The gRPC error a server answers with when it is not the leader. */
export function notLeaderStatus(
  leaderId: NodeId,
  leaderAddress: string,
): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(LEADER_ID_METADATA, String(leaderId));
  metadata.set(LEADER_ADDRESS_METADATA, leaderAddress);
  return { code: grpc.status.FAILED_PRECONDITION, details: NOT_LEADER_DETAILS, metadata };
}

/** The leader named by a "not the leader" gRPC error, or null for any other error. */
export function parseNotLeader(err: unknown): NotLeaderError | null {
  if (err instanceof NotLeaderError) return err;
  if (typeof err !== 'object' || err === null) return null;
  const { code, metadata } = err as Partial<grpc.ServiceError>;
  if (code !== grpc.status.FAILED_PRECONDITION || !(metadata instanceof grpc.Metadata)) {
    return null;
  }
  const id = metadata.get(LEADER_ID_METADATA)[0];
  if (id === undefined) return null;
  const address = metadata.get(LEADER_ADDRESS_METADATA)[0];
  const leaderId = Number(String(id));
  return new NotLeaderError(Number.isSafeInteger(leaderId) ? leaderId : 0, String(address ?? ''));
}
