// Published ports that nodes could not open: Shoal's API adds them to a service it answers
// (PortConflicts, absent when there are none; docker's own clients ignore the field).
import type { Service } from '../../../store/index.ts';

export interface ServicePortConflict {
  NodeID: string;
  Protocol: string;
  PublishedPort: number;
  Message: string;
}

export function portConflicts(service: Service): ServicePortConflict[] {
  return (service as { PortConflicts?: ServicePortConflict[] }).PortConflicts ?? [];
}
