// The routes of the Docker Engine API that Shoal serves so far.
import { Router } from '../router.ts';
import type { HostInfo, SwarmControl } from './control.ts';
import { addLogRoutes } from './logs.ts';
import { addNodeRoutes } from './nodes.ts';
import { addServiceRoutes } from './services.ts';
import { addSwarmRoutes } from './swarm.ts';
import { addSystemRoutes } from './system.ts';
import { addTaskRoutes } from './tasks.ts';

export type { HostInfo, LocalNodeState, SwarmControl } from './control.ts';
export { swarmView } from './swarm.ts';

export function buildRoutes(control: SwarmControl, host: HostInfo): Router {
  const router = new Router();
  addSystemRoutes(router, control, host);
  addSwarmRoutes(router, control);
  addNodeRoutes(router, control);
  addServiceRoutes(router, control, host.newId);
  addTaskRoutes(router, control);
  addLogRoutes(router, control, host.newId);
  return router;
}
