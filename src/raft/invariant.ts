// A broken invariant means the state is corrupt: stop rather than run on (TigerBeetle style).
export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
