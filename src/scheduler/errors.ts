// Why a service's placement spec is refused. The manager parses constraints and preferences
// when a service is created or updated and answers Docker's 400 with these messages, which are
// swarmkit's and the docker CLI's own words, so scripts that match on them keep working.
// `code` follows the convention of src/store's errors (the API maps codes to HTTP statuses).

export abstract class PlacementError extends Error {
  /** A client error: Docker answers 400 Bad Request (gRPC InvalidArgument in swarmkit). */
  readonly code = 'invalid_argument';
}

/**
 * A placement constraint that does not parse. Messages are swarmkit's `constraint.Parse`:
 * "constraint expected one operator from ==, !=", "key 'x' is invalid", "value 'y' is invalid".
 */
export class ConstraintError extends PlacementError {
  override name = 'ConstraintError';
  constructor(
    message: string,
    /** The whole expression as the user wrote it. */
    readonly expression: string,
  ) {
    super(message);
  }
}

/**
 * A placement preference the docker CLI would refuse: `placement preference must be of the
 * format "<strategy>=<arg>"`, `unsupported placement preference x (only spread is supported)`.
 */
export class PlacementPreferenceError extends PlacementError {
  override name = 'PlacementPreferenceError';
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
  }
}
