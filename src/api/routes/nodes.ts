// /nodes endpoints, shaped as the Docker Engine API (v1.41) answers them.
import type { Node, NodeSpec } from '../../store/index.ts';
import { BadRequestError } from '../errors.ts';
import { labelFilterMatches, parseFilters, queryBool, queryInt } from '../request.ts';
import { empty, json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { findNode, requireManager } from './managers.ts';

const NODE_FILTERS = ['id', 'label', 'membership', 'name', 'node.label', 'role'];
const AVAILABILITIES = new Set(['active', 'pause', 'drain']);
const ROLES = new Set(['worker', 'manager']);

function matches(node: Node, filters: Map<string, string[]>): boolean {
  const any = (name: string, test: (value: string) => boolean) => {
    const values = filters.get(name);
    return values === undefined || values.some(test);
  };
  return (
    any('id', (v) => node.ID.startsWith(v)) &&
    any('name', (v) => node.Description.Hostname === v || node.Spec.Name === v) &&
    any('role', (v) => node.Spec.Role === v) &&
    any('membership', (v) => v === 'accepted') &&
    any('label', (v) => labelFilterMatches(node.Description.Engine.Labels, v)) &&
    any('node.label', (v) => labelFilterMatches(node.Spec.Labels, v))
  );
}

/** What the API shows of a node: the leader flag is computed, not stored. */
function nodeView(node: Node, leaderNodeId: string | undefined): Node {
  if (!node.ManagerStatus) return node;
  return {
    ...node,
    ManagerStatus: {
      ...node.ManagerStatus,
      ...(node.ID === leaderNodeId ? { Leader: true } : { Leader: false }),
    },
  };
}

function validateSpec(spec: Partial<NodeSpec>): void {
  if (spec.Availability !== undefined && !AVAILABILITIES.has(spec.Availability)) {
    throw new BadRequestError(
      `invalid availability "${spec.Availability}": use active, pause or drain`,
    );
  }
  if (spec.Role !== undefined && !ROLES.has(spec.Role)) {
    throw new BadRequestError(`invalid role "${spec.Role}": use worker or manager`);
  }
}

export function addNodeRoutes(router: Router, control: SwarmControl): void {
  const leaderNodeId = () => {
    const cluster = control.cluster;
    if (!cluster) return undefined;
    const raftIds = cluster.store.list('cluster')[0]?.Internal.raftIds ?? {};
    return Object.entries(raftIds).find(([, raftId]) => raftId === cluster.leader())?.[0];
  };

  router.get('/nodes', (context) => {
    const cluster = requireManager(control);
    const filters = parseFilters(context.query, NODE_FILTERS);
    const leader = leaderNodeId();
    const nodes = cluster.store.list('nodes').filter((node) => matches(node, filters));
    return json(
      200,
      nodes.map((node) => nodeView(node, leader)),
    );
  });

  router.get('/nodes/{id}', (context) => {
    const cluster = requireManager(control);
    return json(200, nodeView(findNode(cluster, context.params.id!), leaderNodeId()));
  });

  router.post('/nodes/{id}/update', async (context) => {
    const cluster = requireManager(control);
    const version = queryInt(context.query, 'version');
    if (version === undefined) throw new BadRequestError('the version of the node is required');
    let node = findNode(cluster, context.params.id!);
    const spec = (await context.body<Partial<NodeSpec>>()) ?? {};
    validateSpec(spec);
    let expected = version;
    if (spec.Role !== undefined && spec.Role !== node.Spec.Role) {
      await control.changeNodeRole(node.ID, spec.Role, version);
      node = findNode(cluster, node.ID);
      expected = node.Version.Index;
      const unchanged =
        (spec.Availability ?? node.Spec.Availability) === node.Spec.Availability &&
        JSON.stringify(spec.Labels ?? {}) === JSON.stringify(node.Spec.Labels);
      if (unchanged) return empty(200);
    }
    await cluster.propose([
      {
        kind: 'update',
        table: 'nodes',
        expectedVersion: expected,
        object: {
          ...node,
          Spec: {
            Labels: spec.Labels ?? {},
            Role: spec.Role ?? node.Spec.Role,
            Availability: spec.Availability ?? node.Spec.Availability,
            ...(spec.Name ? { Name: spec.Name } : {}),
          },
        },
      },
    ]);
    return empty(200);
  });

  router.delete('/nodes/{id}', async (context) => {
    const cluster = requireManager(control);
    const node = findNode(cluster, context.params.id!);
    const force = queryBool(context.query, 'force');
    if (node.Spec.Role === 'manager') {
      throw new BadRequestError(
        `rpc error: code = FailedPrecondition desc = node ${node.ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
      );
    }
    if (node.Status.State !== 'down' && !force) {
      throw new BadRequestError(
        `rpc error: code = FailedPrecondition desc = node ${node.ID} is not down and can't be removed`,
      );
    }
    await cluster.propose([{ kind: 'delete', table: 'nodes', id: node.ID }]);
    return empty(200);
  });
}
