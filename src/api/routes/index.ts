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
  return router;
}
