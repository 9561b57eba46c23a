// The routing mesh's table on the leader: rebuilt from the store when services or tasks change
// (debounced), and handed to the dispatcher to push on every session when it differs from the
// last one. Node addresses (their cluster ports) come from the sessions: a node's tasks enter
// the table once its agent told where it listens.
import { buildMeshTable } from '../../mesh/index.ts';
import type { Watcher } from '../../store/index.ts';
import type { ClusterState } from '../cluster-state.ts';

const REBUILD_MS = 20;

export interface MeshFlowOptions {
  state: ClusterState;
  /** Called with the new table's JSON whenever it changed. */
  onChanged: (json: string) => void;
}

export class MeshFlow {
  private watchers: Watcher[] = [];
  private readonly addrs = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private json = '{"services":[]}';

  constructor(private readonly options: MeshFlowOptions) {}

  /** The current table, as JSON. */
  current(): string {
    return this.json;
  }

  lead(): void {
    if (this.watchers.length > 0) return;
    for (const table of ['services', 'tasks', 'networks'] as const) {
      this.watchers.push(
        this.options.state.store.watch({
          table,
          onEvent: () => this.schedule(),
          onClose: (error) => {
            if (error) {
              this.stepDown();
              this.lead();
            }
          },
        }),
      );
    }
    this.rebuild();
  }

  stepDown(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A node's session told where its cluster port is. */
  setAddress(nodeId: string, addr: string): void {
    if (this.addrs.get(nodeId) === addr) return;
    this.addrs.set(nodeId, addr);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.watchers.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.rebuild();
    }, REBUILD_MS);
  }

  private rebuild(): void {
    const store = this.options.state.store;
    const table = buildMeshTable(
      store.list('services'),
      store.list('tasks'),
      (node) => this.addrs.get(node),
      store.list('networks'),
    );
    const json = JSON.stringify(table);
    if (json === this.json) return;
    this.json = json;
    this.options.onChanged(json);
  }
}
