// Identifiers shaped like Docker's: node, cluster and object IDs are 25 characters of
// lowercase base 36 drawn from 128 random bits (swarmkit's identity.NewID).
import { randomBytes } from 'node:crypto';

const ID_LENGTH = 25;

export function newObjectId(random: (size: number) => Uint8Array = randomBytes): string {
  const value = BigInt(`0x${Buffer.from(random(16)).toString('hex')}`);
  return value.toString(36).padStart(ID_LENGTH, '0').slice(-ID_LENGTH);
}

/** A Raft member id: a random positive integer below 2^53, never reused in practice. */
export function newRaftId(random: (size: number) => Uint8Array = randomBytes): number {
  const bytes = Buffer.from(random(7));
  bytes[0]! &= 0x1f; // 53 bits
  const id = Number(BigInt(`0x${bytes.toString('hex')}`));
  return id === 0 ? 1 : id;
}
