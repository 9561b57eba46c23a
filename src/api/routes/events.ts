// GET /events: the swarm events this manager recorded (services, nodes, secrets, configs,
// networks), streamed as dockerd streams them: one JSON message per line, the kept events first
// when `since` or `until` asks for the past, then live ones until `until` or the client leaves.
// On a node with a Docker Engine, the engine's own events (containers, images, volumes...) come
// on the same stream, as dockerd's local events do: the engine is asked with the same filters
// and window, its past up to now is merged in time order with the swarm's, then both live
// streams are passed on as they come. Without the engine (or when it stops answering) the
// swarm's events go on alone.
import type { EngineProxy } from '../engine-proxy.ts';
import { BadRequestError } from '../errors.ts';
import {
  collectLines,
  type DockerEvent,
  EVENT_FILTERS,
  EventFilter,
  type EventLine,
  type EventLog,
  encodeEvent,
  formatEventTime,
  mergeByTime,
  mergeUntilPrimaryEnds,
} from '../events/index.ts';
import { parseFilters } from '../request.ts';
import type { RequestContext, Router } from '../router.ts';
import { endStream, writeWithBackpressure } from '../streaming.ts';

/** Docker's event time parameter: Unix seconds with an optional fraction (`1700000000.5`). */
export function parseEventTime(name: string, text: string | null): bigint | undefined {
  if (text === null || text === '') return undefined;
  const match = /^(\d{1,12})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (match === null) {
    throw new BadRequestError(
      `invalid value for ${name}: ${JSON.stringify(text)} is not a Unix time in seconds (e.g. 1700000000.5)`,
    );
  }
  return BigInt(match[1]!) * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** setTimeout's longest delay; a later `until` is reached in several steps. */
const TIMER_MS_MAX = 2 ** 31 - 1;

function inWindow(event: DockerEvent, since: bigint | undefined, until: bigint | undefined) {
  return (
    (since === undefined || event.timeNano >= since) &&
    (until === undefined || event.timeNano <= until)
  );
}

/** Engine events replayed for `since`/`until` at most (dockerd keeps 256). */
const ENGINE_HISTORY_LINES_MAX = 4096;
/** How long the engine's past may take to arrive. */
const ENGINE_HISTORY_TIMEOUT_MS = 5000;

/** The engine's /events path for this request: its filters, and the time window given. */
function enginePath(query: URLSearchParams, since: bigint | undefined, until: bigint | undefined) {
  const engineQuery = new URLSearchParams();
  const filters = query.get('filters');
  if (filters !== null && filters !== '') engineQuery.set('filters', filters);
  if (since !== undefined) engineQuery.set('since', formatEventTime(since));
  if (until !== undefined) engineQuery.set('until', formatEventTime(until));
  const text = engineQuery.toString();
  return text === '' ? '/events' : `/events?${text}`;
}

function eventLine(event: DockerEvent): EventLine {
  return { timeNano: event.timeNano, text: encodeEvent(event) };
}

async function* liveLines(live: AsyncIterable<DockerEvent>, until: bigint | undefined) {
  for await (const event of live) {
    if (inWindow(event, undefined, until)) yield encodeEvent(event);
  }
}

async function* withNewlines(lines: AsyncIterable<string>) {
  for await (const line of lines) yield `${line}\n`;
}

interface EventWindow {
  since: bigint | undefined;
  until: bigint | undefined;
  nowNanos: bigint;
  /** The window ends before now: only the past is served. */
  onlyPast: boolean;
  /** `since` or `until` was given: the past is served first. */
  replay: boolean;
}

/**
 * The engine's events for this request: its past (up to now, within a bounded time and count)
 * and its live stream from just after now, so nothing comes twice; nothing without an engine.
 */
async function engineEvents(
  engine: EngineProxy | undefined,
  query: URLSearchParams,
  window: EventWindow,
  signal: AbortSignal,
): Promise<{ past: EventLine[]; live: AsyncIterable<string> | null }> {
  const { since, until, nowNanos, onlyPast, replay } = window;
  if (engine === undefined || engine.socketPath === null) return { past: [], live: null };
  let past: EventLine[] = [];
  if (replay && (since === undefined || since <= nowNanos)) {
    const history = new AbortController();
    const abort = () => history.abort();
    signal.addEventListener('abort', abort);
    const timer = setTimeout(abort, ENGINE_HISTORY_TIMEOUT_MS);
    try {
      const lines = await engine.openLines(
        enginePath(query, since, onlyPast ? until : nowNanos),
        history.signal,
      );
      if (lines !== null) past = await collectLines(lines, ENGINE_HISTORY_LINES_MAX);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      history.abort();
    }
  }
  if (onlyPast) return { past, live: null };
  let liveSince = replay ? nowNanos + 1n : undefined;
  if (since !== undefined && liveSince !== undefined && since > liveSince) liveSince = since;
  const live = await engine.openLines(enginePath(query, liveSince, until), signal);
  return { past, live };
}

async function streamEvents(context: RequestContext, log: EventLog, engine?: EngineProxy) {
  const since = parseEventTime('since', context.query.get('since'));
  const until = parseEventTime('until', context.query.get('until'));
  if (since !== undefined && until !== undefined && until < since) {
    throw new BadRequestError(
      `\`since\` time (${context.query.get('since')}) cannot be after \`until\` time (${context.query.get('until')})`,
    );
  }
  const filter = new EventFilter(parseFilters(context.query, EVENT_FILTERS));
  const nowNanos = BigInt(Date.now()) * 1_000_000n;
  const onlyPast = until !== undefined && until < nowNanos;
  const window = {
    since,
    until,
    nowNanos,
    onlyPast,
    replay: since !== undefined || until !== undefined,
  };
  const { past, live } = log.subscribe((event) => filter.includes(event));
  const response = context.res;
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.flushHeaders();
  // Ends the swarm's subscription and the engine's requests: at `until`, or when the client goes.
  const engineRequests = new AbortController();
  const stop = () => {
    live.close();
    engineRequests.abort();
  };
  context.signal.addEventListener('abort', stop);
  let timer: NodeJS.Timeout | undefined;
  const armUntil = () => {
    if (until === undefined) return;
    const leftMs = Number((until - BigInt(Date.now()) * 1_000_000n) / 1_000_000n) + 1;
    if (leftMs <= 0) live.close();
    else timer = setTimeout(armUntil, Math.min(leftMs, TIMER_MS_MAX));
  };
  if (!onlyPast) armUntil();
  try {
    const fromEngine = await engineEvents(engine, context.query, window, engineRequests.signal);
    if (window.replay) {
      const swarmPast = past.filter((event) => inWindow(event, since, until)).map(eventLine);
      for (const line of mergeByTime(swarmPast, fromEngine.past)) {
        await writeWithBackpressure(response, line.text);
      }
    }
    if (!onlyPast) {
      const lines = mergeUntilPrimaryEnds(
        liveLines(live, until),
        fromEngine.live === null ? null : withNewlines(fromEngine.live),
      );
      for await (const line of lines) await writeWithBackpressure(response, line);
    }
  } catch {
    // The client left: nothing more to write.
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    context.signal.removeEventListener('abort', stop);
    stop();
    await endStream(response);
  }
  return undefined;
}

export function addEventRoutes(router: Router, log: EventLog, engine?: EngineProxy): void {
  router.get('/events', (context) => streamEvents(context, log, engine));
}
