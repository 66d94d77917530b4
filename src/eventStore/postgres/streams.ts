import type pg from 'pg';
import type { StoreStats } from '../types.ts';
import { ident } from './schema.ts';

export async function streamHead(db: pg.Pool, schema: string, streamId: string): Promise<{ version: number; kind: string | null } | undefined> {
  const result = await db.query<{ version: string; kind: string | null }>(`SELECT version, kind FROM ${ident(schema)}.streams WHERE stream_id = $1`, [streamId]);
  const row = result.rows[0];
  return row && { version: Number(row.version), kind: row.kind };
}

export async function listStreams(db: pg.Pool, schema: string, after: string, limit: number): Promise<{ streamId: string; version: number }[]> {
  const result = await db.query<{ stream_id: string; version: string }>(
    `SELECT stream_id, version FROM ${ident(schema)}.streams WHERE stream_id > $1 ORDER BY stream_id COLLATE "C" LIMIT $2`,
    [after, limit],
  );
  return result.rows.map((r) => ({ streamId: r.stream_id, version: Number(r.version) }));
}

export async function stats(db: pg.Pool, schema: string): Promise<StoreStats> {
  const s = ident(schema);
  const result = await db.query<{ e: string; a: string; n: string }>(
    `SELECT (SELECT count(*) FROM ${s}.events) AS e, (SELECT count(*) FROM ${s}.streams) AS a, (SELECT count(*) FROM ${s}.snapshots) AS n`,
  );
  const row = result.rows[0] as { e: string; a: string; n: string };
  return { eventCount: Number(row.e), aggregateCount: Number(row.a), snapshotCount: Number(row.n) };
}
