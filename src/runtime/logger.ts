// How the runtime drivers report what is not any one task's error (no cgroup v2, an event
// stream that broke, a listener that threw): one line per warning, details included.

export interface RuntimeLogger {
  warn(message: string): void;
}

/** Discards everything; the default when no logger is given. */
export const silentLogger: RuntimeLogger = { warn: () => {} };

/** An error's message for a log line. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
