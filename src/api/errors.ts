// The API's errors: one small hierarchy, mapped to an HTTP status and Docker's `{"message": ...}`
// body in one place (`toHttpError`). Handlers throw these, or rethrow store errors as they are:
// anything with a known `code` (src/store/errors.ts) maps to the status Docker would answer.

/** An error with the HTTP status the API answers for it. The message is sent to the client. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`ApiError status must be an HTTP error status (400-599), got ${status}`);
    }
  }
}

/** 400: a malformed request, an invalid parameter or body (Docker's "InvalidParameter"). */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

/** 403: the caller may not do this (Docker's "Forbidden"). */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(403, message, options);
  }
}

/** 404: no such object, or no such route ("page not found"). */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(404, message, options);
  }
}

/** 409: a name already in use, or an update for a stale version. */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(409, message, options);
  }
}

/** 501: an endpoint or option Shoal does not implement. */
export class NotImplementedError extends ApiError {
  override name = 'NotImplementedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(501, message, options);
  }
}

/** 503: the node cannot serve this now (Docker's "Unavailable"): locked, no leader, ... */
export class UnavailableError extends ApiError {
  override name = 'UnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, message, options);
  }
}

/**
 * Why a node cannot answer a manager-only request; each has dockerd's wording
 * (daemon/cluster/errors.go and Cluster.errNoManager).
 * - `not-in-swarm`: the node is in no swarm at all.
 * - `worker`: the node is a worker.
 * - `manager-starting`: the node is a manager that is not ready yet.
 */
export type NotManagerReason = 'not-in-swarm' | 'worker' | 'manager-starting';

export interface NotManagerErrorOptions {
  reason?: NotManagerReason;
  /** The command named in the hint: `docker` as Docker says it, `shoal` for Shoal's own CLI. */
  cliName?: string;
  cause?: unknown;
}

function notManagerMessage(reason: NotManagerReason, cliName: string): string {
  switch (reason) {
    case 'not-in-swarm':
      return (
        `This node is not a swarm manager. Use "${cliName} swarm init" or ` +
        `"${cliName} swarm join" to connect this node to swarm and try again.`
      );
    case 'worker':
      return (
        "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster " +
        'state. Please run this command on a manager node or promote the current node to a manager.'
      );
    case 'manager-starting':
      return (
        'This node is not a swarm manager. Manager is being prepared or has trouble connecting ' +
        'to the cluster.'
      );
  }
}

/** 503 with Docker's exact "This node is not a swarm manager..." message. */
export class NotManagerError extends UnavailableError {
  override name = 'NotManagerError';
  readonly reason: NotManagerReason;
  constructor(options: NotManagerErrorOptions = {}) {
    const reason = options.reason ?? 'not-in-swarm';
    super(notManagerMessage(reason, options.cliName ?? 'docker'), { cause: options.cause });
    this.reason = reason;
  }
}

/** The status and body message the API answers for a thrown value. */
export interface HttpError {
  status: number;
  message: string;
}

/** Statuses for the `code` of src/store's errors (and anything else that uses these codes). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  conflict: 409,
  name_conflict: 409,
  already_exists: 409,
  not_found: 404,
  invalid_batch: 400,
  // A spec the cluster refuses (swarmkit's InvalidArgument).
  invalid_argument: 400,
  // A request the cluster's state refuses (demoting the last manager...): Docker's 400.
  failed_precondition: 400,
  // Refused by a rule of the swarm (e.g. a predefined network for a service): Docker's 403.
  permission_denied: 403,
  // No leader, no quorum: the node cannot serve the write now.
  unavailable: 503,
};

/** Maps anything a handler throws to Docker's status and message. Unknown errors are 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof ApiError) return { status: error.status, message: error.message };
  if (typeof error === 'object' && error !== null) {
    const message = messageOf(error);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code)) {
      return { status: STATUS_BY_CODE[code]!, message };
    }
    return { status: 500, message };
  }
  return { status: 500, message: String(error) };
}

function messageOf(error: object): string {
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && message !== '') return message;
  return String(error);
}
