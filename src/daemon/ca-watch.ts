// A node's poll of the CA for root rotations: every node asks a manager what the cluster wants
// (the desired issuer of certificates, the trust root) and, when its own material differs,
// renews its certificate or takes the new trust root. Often while a rotation is under way or
// right after a change (so the manager records it promptly), rarely otherwise.
import {
  type CaStatus,
  nextTrustAction,
  type TlsMaterial,
  type TrustAction,
} from '../pki/index.ts';

/**
 * Between polls when nothing is happening: rare, because the session tells the node when the
 * cluster object moves (pollSoon); this only catches what a lost session missed.
 */
export const CA_POLL_IDLE_MS = 5 * 60_000;
/** Between polls while a rotation is under way, or after this node acted. */
export const CA_POLL_BUSY_MS = 1_000;
/** Polls are spread by up to this fraction either way, so a fleet does not poll in step. */
const JITTER_FRACTION = 0.1;

export interface CaWatchOptions {
  /** The node's current material (it changes when the node acts). */
  tls: () => TlsMaterial;
  /** Asks a manager for the CA's status. */
  fetch: (tls: TlsMaterial) => Promise<CaStatus>;
  /** Carries out an action (renew, trust a root); the next poll follows it quickly. */
  act: (action: Exclude<TrustAction, { kind: 'none' }>) => Promise<void>;
  log: (line: string) => void;
  random?: () => number;
  idleMs?: number;
  busyMs?: number;
}

export class CaWatch {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The last failure logged, so an unreachable manager is not logged on every poll. */
  private lastError = '';

  constructor(private readonly options: CaWatchOptions) {}

  start(): void {
    this.schedule(this.options.busyMs ?? CA_POLL_BUSY_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Polls now (e.g. after the cluster told this node something changed). */
  pollSoon(): void {
    if (this.timer) this.schedule(0);
  }

  private schedule(baseMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const random = this.options.random ?? Math.random;
    const waitMs = Math.max(0, Math.round(baseMs * (1 + JITTER_FRACTION * (2 * random() - 1))));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().then((busy) =>
        this.schedule(
          busy
            ? (this.options.busyMs ?? CA_POLL_BUSY_MS)
            : (this.options.idleMs ?? CA_POLL_IDLE_MS),
        ),
      );
    }, waitMs);
    this.timer.unref();
  }

  /** One poll and what follows from it; true when another should come soon. */
  private async poll(): Promise<boolean> {
    try {
      const status = await this.options.fetch(this.options.tls());
      if (this.stopped) return false;
      const action = nextTrustAction(this.options.tls(), status, new Date());
      this.lastError = '';
      if (action.kind === 'none') return status.rotationInProgress;
      await this.options.act(action);
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) this.options.log(`CA status: ${message}`);
      this.lastError = message;
      return false;
    }
  }
}
