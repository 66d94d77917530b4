/** The SQLite adapter's entry point (`aethyr-runtime/sqlite`). */
export { SqliteEventStore, type Durability, type SqliteEventStoreOptions } from './SqliteEventStore.ts';
