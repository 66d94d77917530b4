import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { worldAggregates } from '../world/kinds.ts';
import { projectionsOf, type ProjectionDefinition } from './define.ts';
import { migrateProjection, prepareProjectionDb } from './schema.ts';

/**
 * Opens (creating and migrating) a projection database for the given projections: its own SQLite
 * file, WAL mode so readers on other connections never wait for a projector. Synchronous NORMAL: a
 * crash loses at most the last commits, never consistency, and every row is rebuildable from the
 * event store anyway. Without `projections`, those the built-in world's kinds bring.
 */
export function openProjectionDb(path: string, projections: readonly ProjectionDefinition[] = projectionsOf(worldAggregates)): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    prepareProjectionDb(db);
    for (const projection of projections) migrateProjection(db, projection);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function readCheckpoint(db: Database.Database, name: string): number {
  return (db.prepare('SELECT position FROM checkpoints WHERE name = ?').get(name) as { position: number } | undefined)?.position ?? 0;
}

export function writeCheckpoint(db: Database.Database, name: string, position: number): void {
  db.prepare(
    `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
  ).run(name, position, new Date().toISOString());
}
