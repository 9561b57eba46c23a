// docker's WaitOnService: after create/update/scale/rollback without -d, poll every 200 ms
// (GET /services/{id}; GET /tasks?filters={"service":[id],"_up-to-date":["true"]}; GET /nodes)
// and draw the ProgressTracker's messages until the service converges, the update stops with an
// error, or Ctrl-C (which only stops the display: the swarm carries on). With -q nothing is
// drawn but the wait is the same. Runs until one of those happens, as docker does.
import type { Node, Service, Task } from '../../../store/index.ts';
import { CliError } from '../../connection.ts';
import { type Daemon, filtersQuery, inspectService } from './api.ts';
import { ProgressTracker } from './progress.ts';
import { ProgressDisplay } from './progress-display.ts';

export const POLL_INTERVAL_MS = 200;

export interface WaitOptions {
  quiet: boolean;
  write: (text: string) => void;
  terminal: boolean;
  columns?: number;
  now?: () => number;
  /** Resolves when the user interrupts (default: the next SIGINT). */
  interrupted?: Promise<void>;
  pollIntervalMs?: number;
}

/** Resolves with the service as last seen once it converged; with null when interrupted. */
export async function waitOnService(
  daemon: Daemon,
  serviceId: string,
  options: WaitOptions,
): Promise<Service | null> {
  const tracker = new ProgressTracker(serviceId);
  const display = new ProgressDisplay(options.terminal, options.columns ?? 200);
  const now = options.now ?? Date.now;
  const emit = (messages: Parameters<ProgressDisplay['renderAll']>[0]) => {
    if (!options.quiet && messages.length > 0) options.write(display.renderAll(messages));
  };
  let interrupted = false;
  let wake: (() => void) | undefined;
  const onInterrupt = () => {
    interrupted = true;
    wake?.();
  };
  let removeSignal = () => {};
  if (options.interrupted) {
    void options.interrupted.then(onInterrupt);
  } else {
    process.once('SIGINT', onInterrupt);
    removeSignal = () => process.removeListener('SIGINT', onInterrupt);
  }
  try {
    for (;;) {
      const service = await inspectService(daemon, serviceId);
      const first = tracker.observeService(service, now());
      emit(first.messages);
      if (first.outcome.kind === 'error') throw new CliError(first.outcome.message);
      if (first.outcome.kind === 'done') return service;

      const tasks = await daemon.call<Task[]>('GET', '/tasks', {
        query: { filters: filtersQuery({ service: [service.ID], '_up-to-date': ['true'] }) },
      });
      const nodes = await daemon.call<Node[]>('GET', '/nodes');
      const active = new Set(
        nodes.filter((node) => node.Status.State !== 'down').map((node) => node.ID),
      );
      const second = tracker.observeTasks(service, tasks, active, now());
      emit(second.messages);
      if (second.outcome.kind === 'error') throw new CliError(second.outcome.message);
      if (second.outcome.kind === 'done') return service;

      if (!interrupted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollIntervalMs ?? POLL_INTERVAL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      if (interrupted) {
        emit(tracker.interrupted());
        return null;
      }
    }
  } finally {
    removeSignal();
  }
}
