/** The PostgreSQL adapter's entry point (`aethyr-runtime/postgres`). */
export { PostgresEventStore, POSTGRES_DEFAULTS, validatePostgresOptions, type PostgresEventStoreOptions } from './PostgresEventStore.ts';
