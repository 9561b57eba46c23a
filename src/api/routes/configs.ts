// /configs endpoints: the same five routes as /secrets (secrets.ts), except that a config's
// data is part of what the API answers, as Docker does.
import type { Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { addFileObjectRoutes } from './secrets.ts';

export function addConfigRoutes(router: Router, control: SwarmControl, newId: () => string): void {
  addFileObjectRoutes(router, control, newId, 'config');
}
