export { copyStore, type CopyProgress, type CopyReport } from './copyStore.ts';
export { assertExpectedVersion } from './expectedVersion.ts';
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
// The adapters are entry points of their own (aethyr-runtime/sqlite, /immudb, /postgres); SQLite, the
// default, is also here. ImmuDB is not: importing this module must not load its gRPC client.
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
