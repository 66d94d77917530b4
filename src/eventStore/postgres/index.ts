export { PostgresEventStore, POSTGRES_DEFAULTS, validatePostgresOptions, type PostgresEventStoreOptions } from './PostgresEventStore.ts';
