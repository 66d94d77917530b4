/** The ImmuDB adapter's entry point (`aethyr-runtime/immudb`): the only import that loads its gRPC client. */
export { recordCheckpoint, verifyCheckpoints, type CheckpointReport, type ServerCheckpoint } from './checkpoints.ts';
export { ImmudbClient, type ImmudbConnectionOptions } from './ImmudbClient.ts';
export { ImmudbEventStore, MAX_EVENTS_PER_TRANSACTION, type ImmudbEventStoreOptions } from './ImmudbEventStore.ts';
export { type RetryOptions } from './retry.ts';
