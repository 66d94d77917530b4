import type { Database } from 'better-sqlite3';

/**
 * Numbered migrations of the event store file, applied in order at open, each in a transaction;
 * PRAGMA user_version records the last one applied. Append new steps; never edit old ones.
 */
const migrations: readonly string[] = [
  `CREATE TABLE events (
     position       INTEGER PRIMARY KEY AUTOINCREMENT,
     event_id       TEXT    NOT NULL UNIQUE,
     stream_id      TEXT    NOT NULL,
     version        INTEGER NOT NULL CHECK (version > 0),
     type           TEXT    NOT NULL,
     schema_version INTEGER NOT NULL,
     data           TEXT    NOT NULL,
     metadata       TEXT    NOT NULL,
     occurred_at    TEXT    NOT NULL,
     hash           TEXT    NOT NULL,
     chain_hash     TEXT    NOT NULL,
     UNIQUE (stream_id, version)
   );
   CREATE TABLE streams (
     stream_id TEXT PRIMARY KEY,
     version   INTEGER NOT NULL,
     hash      TEXT    NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE snapshots (
     stream_id       TEXT PRIMARY KEY,
     version         INTEGER NOT NULL,
     kind            TEXT    NOT NULL,
     machine_version INTEGER NOT NULL,
     state           TEXT    NOT NULL,
     created_at      TEXT    NOT NULL
   ) WITHOUT ROWID;`,
  // The stream's aggregate kind, kept with its head (null for streams written before kinds were stored).
  `ALTER TABLE streams ADD COLUMN kind TEXT;`,
];

export const SCHEMA_VERSION = migrations.length;

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`event store schema version ${current} is newer than this code supports (${migrations.length})`);
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if ((db.pragma('user_version', { simple: true }) as number) > version) return;
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
