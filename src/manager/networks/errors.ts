// Errors of the network control API. `code` is what the API maps to Docker's status:
// invalid_argument and failed_precondition 400, permission_denied 403, not_found 404,
// conflict 409. Messages keep dockerd's and swarmkit's wording (swarmkit's behind
// "rpc error: code = ... desc = ", as dockerd passes them on).

export type NetworkErrorCode =
  | 'invalid_argument'
  | 'failed_precondition'
  | 'permission_denied'
  | 'not_found'
  | 'conflict';

export class NetworkError extends Error {
  override name = 'NetworkError';
  constructor(
    readonly code: NetworkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const GRPC_CODES: Record<NetworkErrorCode, string> = {
  invalid_argument: 'InvalidArgument',
  failed_precondition: 'FailedPrecondition',
  permission_denied: 'PermissionDenied',
  not_found: 'NotFound',
  conflict: 'AlreadyExists',
};

/** An error swarmkit's control API would answer, worded as dockerd relays it. */
export function swarmkitError(code: NetworkErrorCode, message: string): NetworkError {
  return new NetworkError(code, `rpc error: code = ${GRPC_CODES[code]} desc = ${message}`);
}
