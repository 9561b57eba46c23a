// What a node keeps on its own disk about its membership: its identity, role, addresses, the
// managers it knows, and its TLS material. Written atomically (temp file, fsync, rename) so a
// crash leaves the old or the new state, never half of one.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { TlsMaterial } from '../pki/index.ts';

export interface NodeState {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
  /** Set once this manager holds a place in the Raft group. */
  raftId: number | null;
  /** host:port other nodes reach this node's cluster port at. */
  advertiseAddr: string;
  /** host:port the cluster port listens on. */
  listenAddr: string;
  /** Cluster addresses of the managers this node knows of (refreshed by its session). */
  managers: string[];
  autolock: boolean;
}

export class NodeStateStore {
  constructor(readonly dataDir: string) {}

  private path(name: string): string {
    return join(this.dataDir, name);
  }

  exists(): boolean {
    return existsSync(this.path('node.json'));
  }

  load(): NodeState {
    return JSON.parse(readFileSync(this.path('node.json'), 'utf8')) as NodeState;
  }

  save(state: NodeState): void {
    writeAtomically(this.path('node.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  loadTls(): TlsMaterial {
    return {
      rootBundlePem: readFileSync(this.path('certificates/swarm-root-ca.crt'), 'utf8'),
      certPem: readFileSync(this.path('certificates/swarm-node.crt'), 'utf8'),
      keyPem: readFileSync(this.path('certificates/swarm-node.key'), 'utf8'),
    };
  }

  saveTls(material: TlsMaterial): void {
    writeAtomically(this.path('certificates/swarm-root-ca.crt'), material.rootBundlePem);
    writeAtomically(this.path('certificates/swarm-node.crt'), material.certPem);
    writeAtomically(this.path('certificates/swarm-node.key'), material.keyPem, 0o600);
  }

  /** The key-encryption key of the Raft data, when autolock is off (root-only file). */
  loadKek(): Uint8Array | null {
    const path = this.path('raft/kek');
    return existsSync(path) ? readFileSync(path) : null;
  }

  saveKek(kek: Uint8Array): void {
    writeAtomically(this.path('raft/kek'), kek, 0o600);
  }

  removeKek(): void {
    rmSync(this.path('raft/kek'), { force: true });
  }

  /** A demoted manager's Raft log and key are of no further use. */
  removeRaftData(): void {
    rmSync(this.path('raft'), { recursive: true, force: true });
  }

  raftDir(): string {
    return this.path('raft');
  }

  /** Leaving the swarm: everything of the membership goes. */
  clear(): void {
    for (const name of ['node.json', 'certificates', 'raft']) {
      rmSync(this.path(name), { recursive: true, force: true });
    }
  }
}

function writeAtomically(path: string, data: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const directory = openSync(dirname(path), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}
