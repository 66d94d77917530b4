export { assertExpectedVersion } from './expectedVersion.ts';
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
  Snapshot,
  StoredEvent,
  StoreStats,
} from './types.ts';
export { defaultUpcasters, UpcasterRegistry, type Upcaster } from './upcasters.ts';
