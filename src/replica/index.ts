export {
  type PersistMode,
  Replica,
  type ReplicaObserver,
  type ReplicaOptions,
  type ReplicatedStateMachine,
} from './replica.ts';
export { Waiters } from './waiters.ts';
