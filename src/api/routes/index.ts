// The routes of the Docker Engine API that Shoal serves so far.
import type { EngineProxy } from '../engine-proxy.ts';
import { EventLog } from '../events/index.ts';
import { Router } from '../router.ts';
import { addCaRoutes, type ClientCertificateIssuer } from './ca.ts';
import { addConfigRoutes } from './configs.ts';
import type { HostInfo, SwarmControl } from './control.ts';
import { addDistributionRoutes } from './distribution.ts';
import { addEventRoutes } from './events.ts';
import { addLogRoutes } from './logs.ts';
import { addNetworkRoutes } from './networks.ts';
import { addNodeRoutes } from './nodes.ts';
import { addSecretRoutes } from './secrets.ts';
import { addServiceRoutes } from './services.ts';
import { addSwarmRoutes } from './swarm.ts';
import { addSystemRoutes } from './system.ts';
import { addTaskRoutes } from './tasks.ts';

export type { ClientCertificateIssuer, ClientCertificateRequest } from './ca.ts';
export type { HostInfo, LocalNodeState, SwarmControl } from './control.ts';
export { swarmView } from './swarm.ts';
export { mergeSwarmSpec } from './swarm-spec.ts';

/** What some routes need besides the node's membership (the daemon makes them). */
export interface RouteOptions {
  /** The swarm events this node records (served by /events). */
  events?: EventLog;
  /** The node's Docker Engine, for image digests. */
  engine?: EngineProxy;
  /** Signs API client certificates (POST /shoal/ca/client-certificates). */
  issueClientCertificate?: ClientCertificateIssuer;
}

export function buildRoutes(
  control: SwarmControl,
  host: HostInfo,
  options: RouteOptions = {},
): Router {
  const router = new Router();
  addEventRoutes(router, options.events ?? new EventLog(), options.engine);
  addDistributionRoutes(router, options.engine);
  if (options.issueClientCertificate) addCaRoutes(router, control, options.issueClientCertificate);
  addSystemRoutes(router, control, host, options.engine);
  addSwarmRoutes(router, control);
  addNodeRoutes(router, control);
  addServiceRoutes(router, control, host.newId);
  addTaskRoutes(router, control);
  addLogRoutes(router, control, host.newId);
  addSecretRoutes(router, control, host.newId);
  addConfigRoutes(router, control, host.newId);
  addNetworkRoutes(router, control, host.newId);
  return withFreshReads(router, control);
}

/** Swarm objects a GET reads from the replicated store (logs stream, and are left alone). */
const STORE_READ = /^\/(swarm|nodes|services|tasks|networks|secrets|configs)(\/|$)(?!.*\/logs$)/;
/** How long a follower waits to catch up before it answers from what it has. */
const FRESH_READ_MS = 5_000;
/** How long a follower waits for an election to end before it answers from what it has. */
const NO_LEADER_MS = 1_000;

/**
 * On a follower, store reads first catch up with the leader (a Raft ReadIndex barrier), as
 * swarmkit's followers answer by asking the leader: a client that reads an object and then
 * updates it at that version is not refused because this manager lagged. Without a quorum
 * the read is answered from the local store after a short wait, so reads keep working.
 */
/**
 * Waits for a read barrier: up to FRESH_READ_MS while a leader is known, and up to
 * NO_LEADER_MS of an election (then the local store answers: reads go on without a quorum).
 */
async function catchUp(cluster: NonNullable<SwarmControl['cluster']>): Promise<void> {
  const start = Date.now();
  const deadline = start + FRESH_READ_MS;
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now()));
    });
    const outcome = await Promise.race([
      cluster.barrier().then(
        () => 'done' as const,
        () => 'refused' as const,
      ),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome !== 'refused') return;
    if (cluster.leader() === 0 && Date.now() - start > NO_LEADER_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function withFreshReads(router: Router, control: SwarmControl): Router {
  const fresh = new Router();
  for (const route of router.routes()) {
    if (route.method !== 'GET' || !STORE_READ.test(route.path)) {
      fresh.add(route.method, route.path, route.handler);
      continue;
    }
    const handler = route.handler;
    fresh.add(route.method, route.path, async (context) => {
      const cluster = control.cluster;
      if (cluster !== null && !cluster.isLeader()) await catchUp(cluster);
      return handler(context);
    });
  }
  return fresh;
}
