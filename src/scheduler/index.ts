// The task scheduler: pure placement of pending tasks on nodes, with swarmkit's filters, messages
// and placement preferences, plus Shoal's runtime filter and placement strategies. The manager
// calls schedule() with a snapshot of the store, and parseConstraints()/parsePlacementPreference()
// to refuse bad service specs with Docker's messages.
export {
  type Constraint,
  type ConstraintOperator,
  matchesConstraint,
  matchesConstraints,
  parseConstraints,
} from './constraints.ts';
export { ConstraintError, PlacementError, PlacementPreferenceError } from './errors.ts';
export { normalizeArchitecture, noSuitableNode, platformMatches } from './filters.ts';
export { runtimesOf } from './node-info.ts';
export {
  isSupportedSpreadDescriptor,
  type PlacementPreference,
  parsePlacementPreference,
} from './preferences.ts';
export { schedule } from './scheduler.ts';
export { isPlacementStrategy, PLACEMENT_STRATEGIES } from './strategies.ts';
export type { Placement, ScheduleDecisions, ScheduleInput, Unplaced } from './types.ts';
