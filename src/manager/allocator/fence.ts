// The allocation fence: how allocations made on different managers (a service created on a
// follower, tasks allocated by the leader, a network created anywhere) never hand out one
// address or subnet twice, though each reads only its own copy of the store.
//
// Every batch that allocates (addresses, subnets) or removes a network also re-writes the
// network written last (the highest Version.Index, ties broken by the lowest ID), with that
// version expected. Two such batches computed from the same view re-write the same network,
// so the second fails with a conflict; a batch computed from an older view expects a version
// that a later batch has already moved, and fails too. So allocating batches apply one after
// another, each on the state the previous one left, like a compare-and-swap on the networks
// table. The loser re-reads and tries again. (With no network at all there is nothing to
// fence on; the ingress network, created with the cluster, is normally there.)
import type { Change, Network } from '../../store/index.ts';
import type { AddressBook } from './address-book.ts';

/** The network every allocating batch re-writes: the one written last. */
export function fenceNetwork(networks: Iterable<Network>): Network | undefined {
  let fence: Network | undefined;
  for (const network of networks) {
    if (
      fence === undefined ||
      network.Version.Index > fence.Version.Index ||
      (network.Version.Index === fence.Version.Index && network.ID < fence.ID)
    ) {
      fence = network;
    }
  }
  return fence;
}

/**
 * The network writes an allocating batch carries: each network whose address cursor moved,
 * and the fence, each once, with the version read expected. `exclude`: networks the batch
 * deletes or creates itself.
 */
export function networkWrites(
  networks: ReadonlyMap<string, Network>,
  book: AddressBook | undefined,
  exclude: ReadonlySet<string> = new Set(),
): Change[] {
  const writes = new Map<string, Network>();
  for (const [id, cursor] of book?.movedCursors() ?? []) {
    const network = networks.get(id);
    if (network !== undefined && !exclude.has(id))
      writes.set(id, { ...network, NextAddress: cursor });
  }
  const fence = fenceNetwork(networks.values());
  if (fence !== undefined && !exclude.has(fence.ID) && !writes.has(fence.ID)) {
    writes.set(fence.ID, fence);
  }
  return [...writes.values()].map((object) => ({
    kind: 'update',
    table: 'networks',
    object,
    expectedVersion: networks.get(object.ID)!.Version.Index,
  }));
}
