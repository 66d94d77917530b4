import type pg from 'pg';
import type { EventRow } from '../serialization.ts';
import { ident } from './schema.ts';

/**
 * Inserts rows in one statement, in the given order (positions are handed out in that order); returns
 * their positions. The caller holds the write lock.
 */
export async function insertEvents(client: pg.PoolClient, schema: string, rows: readonly Omit<EventRow, 'position'>[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const column = <K extends keyof Omit<EventRow, 'position'>>(key: K) => rows.map((row) => row[key]);
  const result = await client.query<{ position: string }>(
    `INSERT INTO ${ident(schema)}.events (event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash)
     SELECT e, s, v, t, sv, d, m, o, h, c
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
            WITH ORDINALITY AS r(e, s, v, t, sv, d, m, o, h, c, n)
      ORDER BY n
     RETURNING position`,
    [column('event_id'), column('stream_id'), column('version'), column('type'), column('schema_version'), column('data'), column('metadata'), column('occurred_at'), column('hash'), column('chain_hash')],
  );
  // RETURNING follows insertion order for a single INSERT ... SELECT ... ORDER BY; sort to be explicit.
  return result.rows.map((r) => Number(r.position)).sort((a, b) => a - b);
}
