// Reads wrk's report (with --latency): requests per second and the 99th percentile latency.
export interface WrkResult {
  rps: number;
  p99Ms: number;
  /** Socket errors and non-2xx/3xx answers wrk counted. */
  errors: number;
}

function milliseconds(value: string, unit: string): number {
  const n = Number(value);
  switch (unit) {
    case 'us':
      return n / 1000;
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    default:
      throw new Error(`unknown wrk latency unit ${unit}`);
  }
}

export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  if (!rps || !p99) throw new Error(`cannot read wrk's report:\n${output}`);
  let errors = 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  if (socket) errors += socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  if (non2xx) errors += Number(non2xx[1]);
  return {
    rps: Math.round(Number(rps[1])),
    p99Ms: Math.round(milliseconds(p99[1]!, p99[2]!) * 100) / 100,
    errors,
  };
}
