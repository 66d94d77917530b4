export { copyStore, type CopyProgress, type CopyReport } from './copyStore.ts';
export { assertExpectedVersion } from './expectedVersion.ts';
export { recordCheckpoint, verifyCheckpoints, type CheckpointReport, type ServerCheckpoint } from './immudb/checkpoints.ts';
export { ImmudbClient, type ImmudbConnectionOptions } from './immudb/ImmudbClient.ts';
export { ImmudbEventStore, MAX_EVENTS_PER_TRANSACTION, type ImmudbEventStoreOptions } from './immudb/ImmudbEventStore.ts';
export { type RetryOptions } from './immudb/retry.ts';
export {
  ChainVerifier,
  verifyStore,
  type IntegrityProblem,
  type VerifyFinding,
  type VerifyReport,
} from './integrity.ts';
export { exportStore, importStore, verifyExportFile, type ExportFileReport, type ExportReport } from './jsonl.ts';
export { InMemoryEventStore } from './memory/InMemoryEventStore.ts';
export { deserializeEvent, serializeEvent, type EventRow } from './serialization.ts';
export { SqliteEventStore, type Durability, type SqliteEventStoreOptions } from './sqlite/SqliteEventStore.ts';
export type {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  ReplayEvent,
  Snapshot,
  StoredEvent,
  StoreStats,
} from './types.ts';
export { defaultUpcasters, UpcasterRegistry, type Upcaster } from './upcasters.ts';
