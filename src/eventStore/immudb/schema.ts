import type { ImmudbClient } from './ImmudbClient.ts';

/**
 * Tables in ImmuDB SQL. `position` is our own dense global order, given by the single writer of
 * each batch as last position + 1..n: a concurrent writer's batch collides on the primary key and
 * retries, so readers never see a gap that later fills. The unique (stream_id, version) index makes a
 * lost race on a stream fail atomically; the unique event_id index makes retried appends idempotent.
 */
const tables = [
  `CREATE TABLE events (
     position INTEGER, event_id VARCHAR[64], stream_id VARCHAR[128], version INTEGER, type VARCHAR[64],
     schema_version INTEGER, data VARCHAR, metadata VARCHAR, occurred_at VARCHAR[40],
     hash VARCHAR[64], chain_hash VARCHAR[64],
     PRIMARY KEY position);
   CREATE UNIQUE INDEX ON events(stream_id, version);
   CREATE UNIQUE INDEX ON events(event_id);`,
  'CREATE TABLE streams (stream_id VARCHAR[128], version INTEGER, hash VARCHAR[64], PRIMARY KEY stream_id);',
  // The stream's aggregate kind, written by the append that creates it (a table of its own: no migration of streams).
  'CREATE TABLE stream_kinds (stream_id VARCHAR[128], kind VARCHAR[64], PRIMARY KEY stream_id);',
  `CREATE TABLE snapshots (
     stream_id VARCHAR[128], version INTEGER, kind VARCHAR[16], machine_version INTEGER, state VARCHAR,
     created_at VARCHAR[40], PRIMARY KEY stream_id);`,
];

/**
 * Creates each table with its indexes in one transaction (ImmuDB builds unique indexes only on empty
 * tables, so they must come with the table); a table that already exists is left as it is.
 */
export async function createSchema(client: ImmudbClient): Promise<void> {
  for (const ddl of tables) {
    try {
      await client.exec(`BEGIN TRANSACTION; ${ddl} COMMIT;`);
    } catch (error) {
      if (!/already exists/.test((error as Error).message)) throw error;
    }
  }
}

export const EVENT_COLUMNS = [
  'position',
  'event_id',
  'stream_id',
  'version',
  'type',
  'schema_version',
  'data',
  'metadata',
  'occurred_at',
  'hash',
  'chain_hash',
] as const;
