// Logs of services and tasks from every node, brokered by the leader.
export { LogBroker, type LogBrokerOptions, LogSubscriptionStream } from './broker.ts';
export * from './protocol.ts';
export { type LogSource, remoteLogSource } from './remote.ts';
