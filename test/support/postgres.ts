import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { PostgresEventStore, type PostgresEventStoreOptions } from '../../src/eventStore/postgres/PostgresEventStore.ts';

/** Options for the run's PostgreSQL server, with a fresh schema of its own. */
export function postgresOptions(overrides: Partial<PostgresEventStoreOptions> = {}): PostgresEventStoreOptions {
  return { connectionString: inject('postgresUrl'), schema: `t${randomBytes(6).toString('hex')}`, poolSize: 4, ...overrides };
}

export const openPostgresStore = (overrides: Partial<PostgresEventStoreOptions> = {}) => PostgresEventStore.open(postgresOptions(overrides));
