// The member list of a raft-kv cluster, written as `1=127.0.0.1:7001/127.0.0.1:8001,2=...`
// (id = peer address / client address), in the spirit of etcd's --initial-cluster.
import type { MemberAddress } from './node.ts';

export function parseMembers(text: string): Map<number, MemberAddress> {
  const members = new Map<number, MemberAddress>();
  for (const part of text.split(',').filter(Boolean)) {
    const match = /^(\d+)=([^/\s]+:\d+)\/([^/\s]+:\d+)$/.exec(part.trim());
    if (!match) {
      throw new Error(
        `bad member "${part}": expected ID=PEER_HOST:PORT/CLIENT_HOST:PORT, e.g. 1=127.0.0.1:7001/127.0.0.1:8001`,
      );
    }
    const id = Number(match[1]);
    if (id <= 0 || members.has(id)) throw new Error(`member id ${id} is zero or repeated`);
    members.set(id, { peer: match[2]!, client: match[3]! });
  }
  if (members.size === 0) throw new Error('the member list is empty');
  return members;
}

export function formatMembers(members: Map<number, MemberAddress>): string {
  return [...members].map(([id, a]) => `${id}=${a.peer}/${a.client}`).join(',');
}
