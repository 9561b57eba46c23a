// While the daemon runs, a node whose addresses can move (an interface name, or a detected
// address: node-addresses.ts) checks them again every CHECK_PERIOD_MS: reading the interfaces
// is one getifaddrs call, nothing measurable. (The agent's session also reads the address at
// each reconnect, which is how a move is usually noticed first: streams from the old address
// break.) One timer, unref'd; the check itself decides and acts (swarm-node.ts), so this is
// only the clock.

/** Between two routine checks of the node's addresses. */
export const CHECK_PERIOD_MS = 30_000;

export interface AddressWatchOptions {
  /** Resolves the node's addresses again and acts on a change. Must not throw (logged). */
  check: () => void;
  log: (line: string) => void;
  periodMs?: number;
}

export class AddressWatch {
  private periodic: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: AddressWatchOptions) {}

  start(): void {
    if (this.stopped || this.periodic !== null) return;
    this.periodic = setInterval(() => this.run(), this.options.periodMs ?? CHECK_PERIOD_MS);
    this.periodic.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.periodic !== null) clearInterval(this.periodic);
    this.periodic = null;
  }

  private run(): void {
    if (this.stopped) return;
    try {
      this.options.check();
    } catch (error) {
      this.options.log(`address check: ${(error as Error).message}`);
    }
  }
}
