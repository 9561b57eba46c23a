// `node inspect --pretty`, laid out as docker prints it.
import type { Node } from '../../store/index.ts';
import { bytesSize } from './service/flag-values.ts';

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function prettyNode(node: Node): string {
  const lines = [
    `ID:\t\t\t${node.ID}`,
    ...(node.Spec.Name ? [`Name:\t\t\t${node.Spec.Name}`] : []),
    ...(Object.keys(node.Spec.Labels).length > 0
      ? ['Labels:', ...Object.entries(node.Spec.Labels).map(([k, v]) => ` - ${k}=${v}`)]
      : []),
    `Hostname:\t\t${node.Description.Hostname}`,
    `Joined at:\t\t${node.CreatedAt}`,
    'Status:',
    ` State:\t\t\t${capitalize(node.Status.State)}`,
    ...(node.Status.Message ? [` Message:\t\t${node.Status.Message}`] : []),
    ` Availability:\t\t${capitalize(node.Spec.Availability)}`,
    ` Address:\t\t${node.Status.Addr}`,
  ];
  if (node.ManagerStatus) {
    lines.push(
      'Manager Status:',
      ` Address:\t\t${node.ManagerStatus.Addr}`,
      ` Raft Status:\t\t${capitalize(node.ManagerStatus.Reachability)}`,
      ` Leader:\t\t${node.ManagerStatus.Leader ? 'Yes' : 'No'}`,
    );
  }
  lines.push(
    'Platform:',
    ` Operating System:\t${node.Description.Platform.OS}`,
    ` Architecture:\t\t${node.Description.Platform.Architecture}`,
    'Resources:',
    ` CPUs:\t\t\t${node.Description.Resources.NanoCPUs / 1e9}`,
    ` Memory:\t\t${bytesSize(node.Description.Resources.MemoryBytes)}`,
    `Engine Version:\t\t${node.Description.Engine.EngineVersion}`,
  );
  return lines.join('\n');
}
