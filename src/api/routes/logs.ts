// /services/{id}/logs and /tasks/{id}/logs: every node's output of a service's tasks (or one
// task), in Docker's multiplexed stream format. With `details`, each line carries the context
// the docker CLI prints (com.docker.swarm.node.id, service.id, task.id, query-escaped); with
// `timestamps`, the RFC 3339 time first, as dockerd writes them.
import type { LogsQuery } from '../../manager/logs/index.ts';
import { ServiceControl } from '../../manager/services/index.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { queryBool } from '../request.ts';
import type { RequestContext, Router } from '../router.ts';
import { StreamId, startMultiplexedStream } from '../streaming.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';

function parseQuery(context: RequestContext): Omit<LogsQuery, 'services' | 'tasks'> {
  const q = context.query;
  const stdout = queryBool(q, 'stdout');
  const stderr = queryBool(q, 'stderr');
  if (!stdout && !stderr) {
    throw new BadRequestError('Bad parameters: you must choose at least one stream');
  }
  const tailText = q.get('tail') ?? 'all';
  const tail = tailText === 'all' || tailText === '' ? -1 : Number(tailText);
  if (!Number.isInteger(tail) || tail < -1) {
    throw new BadRequestError(`invalid tail value "${tailText}": use a number or "all"`);
  }
  const sinceText = q.get('since') ?? '';
  const since = sinceText === '' ? 0 : Number(sinceText);
  if (!Number.isFinite(since) || since < 0) {
    throw new BadRequestError(`invalid since value "${sinceText}": use Unix seconds`);
  }
  return { follow: queryBool(q, 'follow'), tail, since, stdout, stderr };
}

function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

async function stream(context: RequestContext, control: SwarmControl, query: LogsQuery) {
  const source = control.openLogs(query);
  const timestamps = queryBool(context.query, 'timestamps');
  const details = queryBool(context.query, 'details');
  const out = startMultiplexedStream(context.res, context.version);
  const onAbort = () => source.close();
  context.signal.addEventListener('abort', onAbort);
  try {
    for await (const batch of source) {
      for (const line of batch.lines) {
        let prefix = '';
        if (timestamps) prefix += `${line.time} `;
        if (details) {
          prefix += `com.docker.swarm.node.id=${queryEscape(line.nodeId)},com.docker.swarm.service.id=${queryEscape(line.serviceId)},com.docker.swarm.task.id=${queryEscape(line.taskId)} `;
        }
        const payload = Buffer.concat([Buffer.from(prefix), Buffer.from(line.data)]);
        await out.write(line.stream === 2 ? StreamId.stderr : StreamId.stdout, payload);
      }
      if (batch.warnings.length > 0) {
        await out.write(
          StreamId.systemError,
          `incomplete log stream: some logs could not be retrieved: ${batch.warnings.join('; ')}`,
        );
      }
    }
  } catch {
    // The client left: nothing more to write.
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    source.close();
    if (!out.closed) await out.end().catch(() => {});
  }
  return undefined;
}

export function addLogRoutes(router: Router, control: SwarmControl, newId: () => string): void {
  router.get('/services/{id}/logs', async (context) => {
    const options = parseQuery(context);
    const service = new ServiceControl(requireManager(control), newId).find(context.params.id!);
    return stream(context, control, { ...options, services: [service.ID], tasks: [] });
  });

  router.get('/tasks/{id}/logs', async (context) => {
    const options = parseQuery(context);
    const store = requireManager(control).store;
    const id = context.params.id!;
    const task =
      store.get('tasks', id) ??
      (() => {
        const matches = store.find('tasks', { by: 'idPrefix', value: id });
        return matches.length === 1 ? matches[0] : undefined;
      })();
    if (!task) throw new NotFoundError(`task ${id} not found`);
    return stream(context, control, { ...options, services: [], tasks: [task.ID] });
  });
}
