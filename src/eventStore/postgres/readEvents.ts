import type pg from 'pg';
import type { EventRow } from '../serialization.ts';
import { ident } from './schema.ts';

const COLUMNS = 'position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash';

type RawRow = Omit<EventRow, 'position' | 'version'> & { position: string; version: string };

/** bigint columns arrive as text from `pg`; positions and versions stay far below 2^53. */
const toRow = (r: RawRow): EventRow => ({ ...r, position: Number(r.position), version: Number(r.version) });

/** A stream's raw rows between two versions (inclusive), in version order. */
export async function readStreamRows(db: pg.Pool | pg.PoolClient, schema: string, streamId: string, fromVersion: number, toVersion: number): Promise<EventRow[]> {
  const result = await db.query<RawRow>(
    `SELECT ${COLUMNS} FROM ${ident(schema)}.events WHERE stream_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version`,
    [streamId, fromVersion, toVersion],
  );
  return result.rows.map(toRow);
}

/** Raw rows in global order after a position, at most `limit`. */
export async function readAllRows(db: pg.Pool, schema: string, after: number, limit: number): Promise<EventRow[]> {
  const result = await db.query<RawRow>(`SELECT ${COLUMNS} FROM ${ident(schema)}.events WHERE position > $1 ORDER BY position LIMIT $2`, [after, limit]);
  return result.rows.map(toRow);
}

/** Only what a fold needs, as arrays: hydration reads this on every cold spawn. */
export async function readReplayRows(db: pg.Pool, schema: string, streamId: string, fromVersion: number): Promise<[string, string, number, string][]> {
  const result = await db.query<[string, string, number, string]>({
    text: `SELECT version, type, schema_version, data FROM ${ident(schema)}.events WHERE stream_id = $1 AND version >= $2 ORDER BY version`,
    values: [streamId, fromVersion],
    rowMode: 'array',
  });
  return result.rows;
}

export async function headPosition(db: pg.Pool, schema: string): Promise<number> {
  const result = await db.query<{ position: string }>(`SELECT position FROM ${ident(schema)}.events ORDER BY position DESC LIMIT 1`);
  return Number(result.rows[0]?.position ?? 0);
}
