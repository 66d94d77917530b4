import type pg from 'pg';
import type { EventRow } from '../serialization.ts';
import { insertEvents } from './insertEvents.ts';
import { ident, LOCK_SQL } from './schema.ts';

/**
 * Writes rows copied from another store with their ids, versions and hashes intact, in order, under
 * the write lock. Rows whose event id is already stored are skipped (a resumed copy). Returns how many
 * were written.
 */
export async function importRows(client: pg.PoolClient, schema: string, rows: readonly EventRow[], notify: { channel: string; payload: string }): Promise<number> {
  const s = ident(schema);
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL, [`aethyr:${schema}`]);
    const present = await client.query<{ event_id: string }>(`SELECT event_id FROM ${s}.events WHERE event_id = ANY($1)`, [rows.map((r) => r.event_id)]);
    const skip = new Set(present.rows.map((r) => r.event_id));
    const fresh = rows.filter((r) => !skip.has(r.event_id));
    if (fresh.length > 0) {
      await insertEvents(client, schema, fresh.map(({ position: _sourcePosition, ...row }) => row));
      // Each stream's head: its highest imported version and that event's hash, if ahead of what is stored.
      const heads = new Map<string, EventRow>();
      for (const row of fresh) if ((heads.get(row.stream_id)?.version ?? 0) < row.version) heads.set(row.stream_id, row);
      const list = [...heads.values()];
      await client.query(
        `INSERT INTO ${s}.streams AS old (stream_id, version, hash)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash WHERE excluded.version > old.version`,
        [list.map((r) => r.stream_id), list.map((r) => r.version), list.map((r) => r.hash)],
      );
      await client.query('SELECT pg_notify($1, $2)', [notify.channel, notify.payload]);
    }
    await client.query('COMMIT');
    return fresh.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
