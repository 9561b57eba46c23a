// Why a secret or config request was refused. Each error carries a `code` the API maps to
// Docker's HTTP status (src/api/errors.ts): swarmkit's control API answers go through gRPC in
// Docker, so their messages keep dockerd's "rpc error: code = X desc = ..." prefix; the lookups
// dockerd does itself (by ID, name or ID prefix) keep its plain wording.

export type SecretsErrorCode = 'invalid_argument' | 'not_found' | 'conflict' | 'name_conflict';

export class SecretsError extends Error {
  override name = 'SecretsError';
  constructor(
    readonly code: SecretsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** 400, as swarmkit's codes.InvalidArgument reaches Docker clients. */
export function invalidArgument(description: string): SecretsError {
  return new SecretsError(
    'invalid_argument',
    `rpc error: code = InvalidArgument desc = ${description}`,
  );
}
