// Test hosts with addresses of their own: one network namespace per host, each linked by a
// veth pair to a bridge in a hub namespace (so the machine's own network and firewall are
// never touched). A partition is a pair of blackhole routes; healing removes them. Needs root
// and iproute2. Everything created here is deleted by cleanup(), which tests call in t.after.
import { execFileSync } from 'node:child_process';

export interface TestHost {
  name: string;
  namespace: string;
  ip: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function namespacesAvailable(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

export class TestNetwork {
  readonly hosts: TestHost[] = [];
  private readonly hub: string;
  private readonly prefix: string;
  private readonly subnet: string;
  private readonly routes = new Set<string>();

  constructor() {
    // Short, unique names: interface names are limited to 15 characters.
    const tag = (process.pid % 100_000).toString(36);
    this.prefix = `sh${tag}`;
    this.hub = `${this.prefix}-hub`;
    this.subnet = `10.${100 + (process.pid % 100)}.${(process.pid >> 7) % 250}`;
    ip('netns', 'add', this.hub);
    ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.hub, 'link', 'set', 'br0', 'up');
  }

  addHost(index: number): TestHost {
    const namespace = `${this.prefix}-${index}`;
    const hostSide = `${this.prefix}h${index}`;
    const hubSide = `${this.prefix}b${index}`;
    const address = `${this.subnet}.${index}`;
    ip('netns', 'add', namespace);
    ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', hubSide);
    ip('link', 'set', hostSide, 'netns', namespace);
    ip('link', 'set', hubSide, 'netns', this.hub);
    ip('-n', this.hub, 'link', 'set', hubSide, 'master', 'br0');
    ip('-n', this.hub, 'link', 'set', hubSide, 'up');
    ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', hostSide);
    ip('-n', namespace, 'link', 'set', hostSide, 'up');
    ip('-n', namespace, 'link', 'set', 'lo', 'up');
    const host = { name: `node-${index}`, namespace, ip: address };
    this.hosts.push(host);
    return host;
  }

  /** The command prefix that runs a program inside the host's namespace. */
  enter(host: TestHost): string[] {
    return ['nsenter', `--net=/var/run/netns/${host.namespace}`];
  }

  /** Cuts `a` off from `b` in both directions (packets vanish, as on a broken link). */
  partition(a: TestHost, b: TestHost): void {
    this.blackhole(a, b);
    this.blackhole(b, a);
  }

  heal(): void {
    for (const route of this.routes) {
      const [namespace, address] = route.split(' ') as [string, string];
      ip('-n', namespace, 'route', 'del', 'blackhole', `${address}/32`);
    }
    this.routes.clear();
  }

  cleanup(): void {
    for (const namespace of [...this.hosts.map((h) => h.namespace), this.hub]) {
      try {
        ip('netns', 'del', namespace);
      } catch {
        // Already gone.
      }
    }
    this.hosts.length = 0;
  }

  private blackhole(from: TestHost, to: TestHost): void {
    ip('-n', from.namespace, 'route', 'add', 'blackhole', `${to.ip}/32`);
    this.routes.add(`${from.namespace} ${to.ip}`);
  }
}
