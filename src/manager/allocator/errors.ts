// Why an allocation failed. `code` is what the API maps to Docker's status (src/api/errors.ts):
// the cluster's state refuses the request (400), whichever endpoint asked.

export class AllocationError extends Error {
  override name = 'AllocationError';
  readonly code = 'failed_precondition';
}

/** Every address a network hands out is taken. */
export class AddressesExhaustedError extends AllocationError {
  override name = 'AddressesExhaustedError';
  constructor(
    readonly networkName: string,
    range: string,
  ) {
    super(
      `no available addresses on network ${networkName} (every address of ${range} is in use): remove unused services or create the network with a larger --subnet`,
    );
  }
}

/** The default address pools hold no free subnet of the cluster's SubnetSize. */
export class PoolsExhaustedError extends AllocationError {
  override name = 'PoolsExhaustedError';
  constructor(pools: readonly string[], prefixBits: number) {
    super(
      `could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network (no free /${prefixBits} in ${pools.join(', ')}): remove unused networks or give --subnet`,
    );
  }
}

/** A network the allocation needs is gone or was never allocated a range. */
export class MissingNetworkError extends AllocationError {
  override name = 'MissingNetworkError';
  constructor(networkId: string) {
    super(`network ${networkId} not found or without an address range`);
  }
}

/** swarmkit's refusal of a service publishing ingress ports in a cluster without ingress. */
export class NoIngressError extends AllocationError {
  override name = 'NoIngressError';
  constructor() {
    super(
      'rpc error: code = FailedPrecondition desc = service needs ingress network, but no ingress network is present: create one with `shoal network create --ingress -d overlay NAME`',
    );
  }
}
