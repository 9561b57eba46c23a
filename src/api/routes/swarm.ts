// /swarm endpoints, shaped as the Docker Engine API (v1.41) answers them.

import { randomBytes } from 'node:crypto';
import { clusterObject } from '../../manager/index.ts';
import {
  applyCaRequest,
  formatUnlockKey,
  generateJoinToken,
  rotationRequestOf,
} from '../../pki/index.ts';
import type { Cluster, ClusterSpec, NodeAvailability } from '../../store/index.ts';
import { BadRequestError, UnavailableError } from '../errors.ts';
import { queryBool, queryInt } from '../request.ts';
import { empty, json, type Router } from '../router.ts';
import type { SwarmControl } from './control.ts';
import { requireManager } from './managers.ts';
import { mergeSwarmSpec } from './swarm-spec.ts';

interface InitBody {
  ListenAddr?: string;
  AdvertiseAddr?: string;
  ForceNewCluster?: boolean;
  Spec?: Partial<ClusterSpec>;
  AutoLockManagers?: boolean;
  Availability?: NodeAvailability;
}

interface JoinBody {
  ListenAddr?: string;
  AdvertiseAddr?: string;
  RemoteAddrs?: string[];
  JoinToken?: string;
  Availability?: NodeAvailability;
}

const AVAILABILITIES = new Set(['active', 'pause', 'drain']);

/** Docker's Swarm object: the cluster without what only Shoal's managers may see. */
export function swarmView(cluster: Cluster) {
  const { Internal: _internal, ...visible } = cluster;
  return visible;
}

function availabilityOf(value: unknown): NodeAvailability {
  if (value === undefined || value === '') return 'active';
  if (typeof value !== 'string' || !AVAILABILITIES.has(value)) {
    throw new BadRequestError(
      `invalid availability "${String(value)}": use active, pause or drain`,
    );
  }
  return value as NodeAvailability;
}

export function addSwarmRoutes(router: Router, control: SwarmControl): void {
  router.get('/swarm', () => {
    const cluster = clusterObject(requireManager(control).store);
    if (!cluster) throw new UnavailableError('the swarm is still being initialized');
    return json(200, swarmView(cluster));
  });

  router.post('/swarm/init', async (context) => {
    const body = (await context.body<InitBody>()) ?? {};
    const { nodeId } = await control.init({
      forceNewCluster: body.ForceNewCluster === true,
      listenAddr: body.ListenAddr ?? '',
      advertiseAddr: body.AdvertiseAddr ?? '',
      availability: availabilityOf(body.Availability),
      autolock: body.AutoLockManagers === true,
      spec: body.Spec ?? {},
    });
    return json(200, nodeId);
  });

  router.post('/swarm/join', async (context) => {
    const body = (await context.body<JoinBody>()) ?? {};
    if (!body.JoinToken) throw new BadRequestError('a join token is required (--token)');
    if (!Array.isArray(body.RemoteAddrs) || body.RemoteAddrs.length === 0) {
      throw new BadRequestError('the address of a manager is required');
    }
    await control.join({
      remoteAddrs: body.RemoteAddrs,
      token: body.JoinToken,
      listenAddr: body.ListenAddr ?? '',
      advertiseAddr: body.AdvertiseAddr ?? '',
      availability: availabilityOf(body.Availability),
    });
    return empty(200);
  });

  router.post('/swarm/leave', async (context) => {
    await control.leave(queryBool(context.query, 'force'));
    return empty(200);
  });

  router.get('/swarm/unlockkey', () => {
    const cluster = clusterObject(requireManager(control).store);
    return json(200, { UnlockKey: cluster?.Internal.unlockKey ?? '' });
  });

  router.post('/swarm/unlock', async (context) => {
    const body = (await context.body<{ UnlockKey?: string }>()) ?? {};
    await control.unlock(body.UnlockKey ?? '');
    return empty(200);
  });

  router.post('/swarm/update', async (context) => {
    const state = requireManager(control);
    const version = queryInt(context.query, 'version');
    if (version === undefined) throw new BadRequestError('the version of the swarm is required');
    const cluster = clusterObject(state.store);
    if (!cluster) throw new UnavailableError('the swarm is still being initialized');
    const body = await context.body();
    const spec = mergeSwarmSpec(cluster.Spec, body);
    // `swarm ca --rotate`: ForceRotate moved, or a signing CA certificate and key were given.
    const withCa = await applyCaRequest(
      cluster,
      rotationRequestOf(body, cluster.Spec.CAConfig.ForceRotate, spec.CAConfig.ForceRotate),
      { now: new Date(), minValidityMs: spec.CAConfig.NodeCertExpiry / 1_000_000 },
    );
    const autolock = spec.EncryptionConfig.AutoLockManagers;
    let unlockKey = cluster.Internal.unlockKey;
    if (!autolock) unlockKey = undefined;
    else if (!unlockKey || queryBool(context.query, 'rotateManagerUnlockKey')) {
      unlockKey = formatUnlockKey(randomBytes(32));
    }
    const internal = { ...withCa.Internal };
    if (unlockKey === undefined) delete internal.unlockKey;
    else internal.unlockKey = unlockKey;
    const root = cluster.TLSInfo.TrustRoot;
    await state.propose([
      {
        kind: 'update',
        table: 'cluster',
        expectedVersion: version,
        object: {
          ...withCa,
          Spec: spec,
          Internal: internal,
          JoinTokens: {
            Worker: queryBool(context.query, 'rotateWorkerToken')
              ? generateJoinToken(root)
              : cluster.JoinTokens.Worker,
            Manager: queryBool(context.query, 'rotateManagerToken')
              ? generateJoinToken(root)
              : cluster.JoinTokens.Manager,
          },
        },
      },
    ]);
    return empty(200);
  });
}
