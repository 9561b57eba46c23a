// Callers waiting on their request ids (a proposal to apply, a read to be confirmed): each
// settles once, by the replica's answer or by its deadline, and their number is bounded.
interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly waiting = new Map<string, Waiter>();

  constructor(
    private readonly maxWaiting: number,
    /** The error a request gets when its deadline passes. */
    private readonly timeoutError: () => Error,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  isFull(): boolean {
    return this.waiting.size >= this.maxWaiting;
  }

  wait(requestId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(requestId, this.timeoutError()), timeoutMs);
      this.waiting.set(requestId, { resolve, reject, timer });
    });
  }

  settle(requestId: string, error?: Error): void {
    const waiter = this.waiting.get(requestId);
    if (!waiter) return;
    this.waiting.delete(requestId);
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  failAll(error: Error): void {
    for (const requestId of [...this.waiting.keys()]) this.settle(requestId, error);
  }
}
