import type pg from 'pg';
import type { Snapshot } from '../types.ts';
import { ident } from './schema.ts';

interface SnapshotRow {
  stream_id: string;
  version: string;
  kind: Snapshot['kind'];
  machine_version: string;
  state: string;
  created_at: string;
}

const toSnapshot = (row: SnapshotRow): Snapshot => ({
  streamId: row.stream_id,
  version: Number(row.version),
  kind: row.kind,
  machineVersion: Number(row.machine_version),
  state: JSON.parse(row.state) as unknown,
  createdAt: row.created_at,
});

/** Saves snapshots in one statement, each unless a newer one is already stored. */
export async function saveSnapshots(db: pg.Pool, schema: string, snapshots: readonly Snapshot[]): Promise<void> {
  if (snapshots.length === 0) return;
  // One row per stream: the newest of this call wins, as if saved in order.
  const newest = new Map<string, Snapshot>();
  for (const s of snapshots) if ((newest.get(s.streamId)?.version ?? -1) <= s.version) newest.set(s.streamId, s);
  const list = [...newest.values()];
  await db.query(
    `INSERT INTO ${ident(schema)}.snapshots AS old (stream_id, version, kind, machine_version, state, created_at)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[])
     ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, kind = excluded.kind,
       machine_version = excluded.machine_version, state = excluded.state, created_at = excluded.created_at
     WHERE excluded.version >= old.version`,
    [list.map((s) => s.streamId), list.map((s) => s.version), list.map((s) => s.kind), list.map((s) => s.machineVersion), list.map((s) => JSON.stringify(s.state)), list.map((s) => s.createdAt)],
  );
}

export async function loadSnapshot(db: pg.Pool, schema: string, streamId: string): Promise<Snapshot | undefined> {
  const result = await db.query<SnapshotRow>(`SELECT * FROM ${ident(schema)}.snapshots WHERE stream_id = $1`, [streamId]);
  const row = result.rows[0];
  return row && toSnapshot(row);
}

export async function readSnapshots(db: pg.Pool, schema: string): Promise<Snapshot[]> {
  const result = await db.query<SnapshotRow>(`SELECT * FROM ${ident(schema)}.snapshots ORDER BY stream_id COLLATE "C"`);
  return result.rows.map(toSnapshot);
}
