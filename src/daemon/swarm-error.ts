import { ApiError } from '../api/index.ts';

/** A refusal of a swarm operation, with the HTTP status the API answers it with. */
export class SwarmError extends ApiError {
  override name = 'SwarmError';
}
