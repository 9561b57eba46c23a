// What a node keeps on its own disk about its membership: its identity, role, addresses, the
// managers it knows, and its TLS material. Written atomically (temp file, fsync, rename) so a
// crash leaves the old or the new state, never half of one. Under autolock a manager's TLS
// key is sealed with the key-encryption key (src/pki key-encryption.ts): it cannot be read
// without the unlock key.
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
import { openNodeKey, sealNodeKey, type TlsMaterial } from '../pki/index.ts';

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
  /**
   * `--listen-addr` and `--advertise-addr` as the operator gave them at init or join (an
   * interface name stays a name): resolved again at each start, so a node whose interface got
   * a new address (DHCP) advertises that one. Absent in state written before they were kept.
   */
  listenSpec?: string;
  advertiseSpec?: string;
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

  /**
   * The node's TLS material. A sealed key needs `kek` (the unlock key, or raft/kek's); throws
   * NodeKeyLockedError when it does not open.
   */
  loadTls(kek: Uint8Array | null): TlsMaterial {
    return {
      rootBundlePem: readFileSync(this.path('certificates/swarm-root-ca.crt'), 'utf8'),
      certPem: readFileSync(this.path('certificates/swarm-node.crt'), 'utf8'),
      keyPem: openNodeKey(this.readKeyFile(), kek),
    };
  }

  /** Writes the TLS material; the key as `keys` says (see saveKey). */
  saveTls(material: TlsMaterial, keys: readonly (Uint8Array | null)[] = [null]): void {
    this.saveKey(material.keyPem, keys);
    writeAtomically(this.path('certificates/swarm-root-ca.crt'), material.rootBundlePem);
    writeAtomically(this.path('certificates/swarm-node.crt'), material.certPem);
  }

  /**
   * Rewrites the key file alone: one copy per entry of `keks`, plain for null, else sealed
   * with that key-encryption key (two while the key changes: the old and the new).
   */
  saveKey(keyPem: string, keks: readonly (Uint8Array | null)[]): void {
    writeAtomically(this.path('certificates/swarm-node.key'), sealNodeKey(keyPem, keks), 0o600);
  }

  readKeyFile(): string {
    return readFileSync(this.path('certificates/swarm-node.key'), 'utf8');
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
