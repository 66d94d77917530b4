import type { Database } from 'better-sqlite3';
import type { ProjectionDefinition } from './define.ts';

/**
 * The projection database's own tables, whatever projections it holds: every projector's and
 * reactor's checkpoint, each projection's migration history, and which store the read model belongs to.
 */
const BASE = `
  CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS projection_migrations (
    projection TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (projection, version)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS read_model_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    store_first_event TEXT NOT NULL,
    store_first_hash TEXT NOT NULL,
    projections TEXT NOT NULL,
    bound_at TEXT NOT NULL
  );`;

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Creates the database's own tables (idempotent). */
export function prepareProjectionDb(db: Database): void {
  db.exec(BASE);
}

/**
 * Applies a projection's pending migrations (all, or up to `upTo`), each in its own transaction and
 * recorded under its name; returns the version now in force. Refuses a database migrated by newer code.
 */
export function migrateProjection(db: Database, projection: ProjectionDefinition, upTo = projection.migrations.length): number {
  if (!NAME.test(projection.name)) throw new Error(`projection name must be lower_snake_case, got ${JSON.stringify(projection.name)}`);
  prepareProjectionDb(db);
  const applied = () => (db.prepare('SELECT max(version) AS v FROM projection_migrations WHERE projection = ?').get(projection.name) as { v: number | null }).v ?? 0;
  const legacy = projection.legacyMigrations;
  if (legacy && applied() === 0 && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(legacy)) {
    db.prepare(`INSERT OR IGNORE INTO projection_migrations (projection, version, applied_at) SELECT ?, version, applied_at FROM "${legacy.replace(/"/g, '')}"`).run(projection.name);
  }
  if (applied() > projection.migrations.length) {
    throw new Error(`projection ${projection.name}: schema version ${applied()} is newer than this code supports (${projection.migrations.length})`);
  }
  for (let version = applied() + 1; version <= upTo; version++) {
    db.transaction(() => {
      if (applied() >= version) return; // another process got there first
      db.exec(projection.migrations[version - 1] as string);
      db.prepare('INSERT INTO projection_migrations (projection, version, applied_at) VALUES (?, ?, ?)').run(projection.name, version, new Date().toISOString());
    }).immediate();
  }
  return applied();
}
