import type pg from 'pg';

/** A quoted SQL identifier for the store's schema (validated by the options: letters, digits, _). */
export const ident = (name: string): string => `"${name}"`;

/**
 * Numbered migrations of the store's schema, applied in order on first use, each in a transaction
 * under an advisory lock so two processes starting together migrate once. Append steps; never edit.
 * `$S` stands for the quoted schema name.
 */
const migrations: readonly string[] = [
  `CREATE TABLE $S.events (
     position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     transaction_id xid8   NOT NULL DEFAULT pg_current_xact_id(),
     event_id       text   NOT NULL,
     stream_id      text   NOT NULL,
     version        bigint NOT NULL CHECK (version > 0),
     type           text   NOT NULL,
     schema_version integer NOT NULL,
     data           text   NOT NULL,
     metadata       text   NOT NULL,
     occurred_at    text   NOT NULL,
     hash           text   NOT NULL,
     chain_hash     text   NOT NULL,
     CONSTRAINT events_event_id_key UNIQUE (event_id),
     CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
   );
   CREATE TABLE $S.streams (
     stream_id text PRIMARY KEY,
     version   bigint NOT NULL,
     hash      text   NOT NULL,
     kind      text
   );
   CREATE TABLE $S.snapshots (
     stream_id       text PRIMARY KEY,
     version         bigint  NOT NULL,
     kind            text    NOT NULL,
     machine_version bigint  NOT NULL,
     state           text    NOT NULL,
     created_at      text    NOT NULL
   );`,
  // Cluster fencing (issue 13): the epoch of each stream's last write and the highest epoch per shard.
  `ALTER TABLE $S.streams ADD COLUMN last_epoch bigint;
   CREATE TABLE $S.shard_fence (
     fence_key text PRIMARY KEY,
     epoch     bigint NOT NULL
   );`,
];

/** The advisory lock key of a schema: taken by migrations and by every write transaction. */
export const LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext($1))`;

export async function migrate(client: pg.PoolClient, schema: string): Promise<void> {
  const s = ident(schema);
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL, [`aethyr:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL)`);
    const found = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_version`);
    const current = found.rows[0]?.version ?? 0;
    if (current > migrations.length) throw new Error(`event store schema ${schema} is at version ${current}, newer than this code supports (${migrations.length})`);
    for (let version = current; version < migrations.length; version++) {
      await client.query((migrations[version] as string).replaceAll('$S', s));
    }
    if (found.rows.length === 0) await client.query(`INSERT INTO ${s}.schema_version VALUES ($1)`, [migrations.length]);
    else await client.query(`UPDATE ${s}.schema_version SET version = $1`, [migrations.length]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
