// `shoal daemon`: the process every node runs. Wiring only: the API on the unix socket, and
// the node's swarm membership (which starts the manager and agent parts as needed).
import * as os from 'node:os';
import {
  type ApiServer,
  createApiServer,
  EngineProxy,
  EventLog,
  EventRecorder,
  type SwarmPingStatus,
} from '../api/index.ts';
import { buildRoutes } from '../api/routes/index.ts';
import { issueClientCertificate } from './api-certificates.ts';
import { newObjectId } from './identifiers.ts';
import { DEFAULT_DOCKER_SOCKET } from './runtimes.ts';
import { SwarmNode } from './swarm-node.ts';
import { TlsApiListener, type TlsApiOptions } from './tls-api.ts';

export interface DaemonOptions {
  dataDir: string;
  /** Path of the unix socket the API listens on. */
  socketPath: string;
  /** The name this node reports (several daemons on one machine need distinct names). */
  hostname?: string;
  /** The Docker Engine's socket; null: exec tasks only. Default /var/run/docker.sock. */
  dockerSocket?: string | null;
  /** The address published ports listen on (default 0.0.0.0: every address). */
  ingressHost?: string;
  /** The API on TCP with TLS as well (`--tls-listen`); see tls-api.ts. */
  tls?: Omit<TlsApiOptions, 'log' | 'hosts'>;
  version: string;
  log: (line: string) => void;
}

export class Daemon {
  readonly swarm: SwarmNode;
  private api: ApiServer | null = null;
  private readonly events = new EventLog();
  private readonly engine: EngineProxy;
  private tlsApi: TlsApiListener | null = null;

  constructor(private readonly options: DaemonOptions) {
    this.swarm = new SwarmNode({
      dataDir: options.dataDir,
      ...(options.hostname ? { hostname: options.hostname } : {}),
      version: options.version,
      ...(options.dockerSocket !== undefined ? { dockerSocket: options.dockerSocket } : {}),
      ...(options.ingressHost ? { ingressHost: options.ingressHost } : {}),
      log: options.log,
      onManagerState: (state) => {
        if (state === null) recorder.stop();
        else recorder.attach({ store: state.store, fromIndex: state.raft.status().lastIndex });
        this.tlsApi?.onManagerState(state);
      },
    });
    const recorder = new EventRecorder(this.events);
    this.engine = new EngineProxy({
      socketPath: options.dockerSocket === undefined ? DEFAULT_DOCKER_SOCKET : options.dockerSocket,
    });
  }

  async start(): Promise<void> {
    const { options, swarm } = this;
    this.api = createApiServer({
      routes: buildRoutes(
        swarm,
        {
          name: options.hostname ?? os.hostname(),
          version: options.version,
          dataDir: options.dataDir,
          newId: () => newObjectId(),
        },
        {
          events: this.events,
          engine: this.engine,
          issueClientCertificate: (request) => issueClientCertificate(request),
        },
      ),
      info: { version: options.version },
      // Configs may hold up to 1000 KiB (swarmkit's limit), base64 in JSON.
      bodyBytesMax: 2 * 1024 * 1024,
      engineProxy: this.engine,
      swarmStatus: () => pingStatus(swarm),
    });
    await this.api.listenUnix(options.socketPath);
    if (options.tls) {
      this.tlsApi = new TlsApiListener(this.api, {
        ...options.tls,
        hosts: options.hostname ? [options.hostname] : [],
        log: options.log,
      });
      await this.tlsApi.start();
    }
    await swarm.resume();
    options.log(`API listening on unix://${options.socketPath}`);
  }

  async stop(): Promise<void> {
    this.events.closeAll();
    this.tlsApi?.stop();
    await this.api?.close();
    await this.swarm.stop();
  }
}

function pingStatus(swarm: SwarmNode): SwarmPingStatus {
  const state = swarm.state;
  if (state !== 'active') return state;
  return swarm.identity?.role === 'manager' ? 'active/manager' : 'active/worker';
}
