import type { Database } from 'better-sqlite3';
import type { EventStore } from '../eventStore/types.ts';
import type { ProjectionDefinition } from './define.ts';
import { writeCheckpoint } from './projectionDb.ts';

export interface RebuildReport {
  readonly events: number;
  readonly position: number;
  readonly durationMs: number;
}

const NEXT = '__next';

/**
 * Replays the whole store into fresh copies of a projection's tables while the current ones keep serving reads (the work runs
 * in batches and yields between them), then swaps them in atomically: one transaction drops the old
 * tables, renames the new ones, recreates the indexes and sets the checkpoint. Events appended during
 * the rebuild are applied by the live projector after the swap, from that checkpoint.
 */
export async function rebuildProjection(
  store: EventStore,
  db: Database,
  projection: ProjectionDefinition,
  options: { batchSize?: number; onProgress?: (events: number) => void } = {},
): Promise<RebuildReport> {
  const started = Date.now();
  const name = projection.name;
  const tables = projection.tables;
  const batchSize = options.batchSize ?? 2000;
  const ddl = (type: 'table' | 'index') =>
    db
      .prepare(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(', ')})`)
      .all(type, ...tables) as { name: string; tbl_name: string; sql: string }[];

  db.transaction(() => {
    for (const table of ddl('table')) {
      db.exec(`DROP TABLE IF EXISTS ${table.name}${NEXT}`);
      db.exec(table.sql.replace(/^CREATE TABLE "?(\w+)"?/, `CREATE TABLE $1${NEXT}`));
    }
  })();

  const apply = projection.handler(db, NEXT);
  const applyBatch = db.transaction((events: Awaited<ReturnType<EventStore['readAll']>>) => {
    for (const event of events) apply(event);
  });
  let position = 0;
  let count = 0;
  for (;;) {
    const events = await store.readAll({ after: position, limit: batchSize });
    if (events.length === 0) break;
    applyBatch(events);
    position = (events.at(-1) as { position: number }).position;
    count += events.length;
    options.onProgress?.(count);
    await new Promise((resolve) => setImmediate(resolve)); // let reads and the live projector run
  }

  const indexes = ddl('index');
  db.transaction(() => {
    for (const table of tables) db.exec(`DROP TABLE ${table}`);
    for (const table of tables) db.exec(`ALTER TABLE ${table}${NEXT} RENAME TO ${table}`);
    for (const index of indexes) db.exec(index.sql);
    writeCheckpoint(db, name, position);
  }).immediate();
  return { events: count, position, durationMs: Date.now() - started };
}
