import type { Database } from 'better-sqlite3';

/**
 * Numbered migrations of the projection database, recorded in `schema_migrations` and applied in
 * order at open, each in its own transaction. Append new steps; never edit applied ones.
 */
export const projectionMigrations: readonly string[] = [
  // 1: the world read model and the projectors' checkpoints.
  `CREATE TABLE game_objects (
     id           TEXT PRIMARY KEY,
     kind         TEXT    NOT NULL,
     name         TEXT    NOT NULL,
     generic      TEXT    NOT NULL,
     container_id TEXT,
     attributes   TEXT    NOT NULL DEFAULT '{}',
     deleted      INTEGER NOT NULL DEFAULT 0,
     version      INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX game_objects_container ON game_objects (container_id) WHERE deleted = 0;
   CREATE TABLE players (id TEXT PRIMARY KEY, admin INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
   CREATE INDEX players_admin ON players (admin) WHERE admin = 1;
   CREATE TABLE rooms (id TEXT PRIMARY KEY, description TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE room_exits (
     room_id TEXT NOT NULL, direction TEXT NOT NULL, target_room_id TEXT NOT NULL,
     PRIMARY KEY (room_id, direction)
   ) WITHOUT ROWID;
   CREATE INDEX room_exits_target ON room_exits (target_room_id);
   CREATE TABLE inventory (
     holder_id TEXT NOT NULL, item_id TEXT NOT NULL, slot_index INTEGER NOT NULL,
     PRIMARY KEY (holder_id, item_id)
   ) WITHOUT ROWID;
   CREATE INDEX inventory_item ON inventory (item_id);
   CREATE TABLE equipment (
     holder_id TEXT NOT NULL, slot TEXT NOT NULL, item_id TEXT NOT NULL,
     PRIMARY KEY (holder_id, slot)
   ) WITHOUT ROWID;
   CREATE INDEX equipment_item ON equipment (item_id);
   CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;`,
  // 2: when each object last changed, and lookups by kind and name (logins, "who").
  `ALTER TABLE game_objects ADD COLUMN updated_at TEXT;
   CREATE INDEX game_objects_kind_name ON game_objects (kind, name) WHERE deleted = 0;`,
  // 3: mobiles and shops (the built-in world's other kinds), so the game can show them without actors.
  `CREATE TABLE mobiles (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, room_id TEXT NOT NULL, mode TEXT NOT NULL,
     hp INTEGER NOT NULL, max_hp INTEGER NOT NULL, version INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX mobiles_room ON mobiles (room_id);
   CREATE TABLE shops (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, room_id TEXT NOT NULL, currency TEXT NOT NULL,
     till INTEGER NOT NULL, version INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX shops_room ON shops (room_id);
   CREATE TABLE shop_stock (
     shop_id TEXT NOT NULL, item TEXT NOT NULL, buy_price INTEGER NOT NULL, sell_price INTEGER NOT NULL,
     stock INTEGER NOT NULL, PRIMARY KEY (shop_id, item)
   ) WITHOUT ROWID;`,
];

/** The world tables a rebuild replaces, in creation order. */
export const WORLD_TABLES = ['game_objects', 'players', 'rooms', 'room_exits', 'inventory', 'equipment', 'mobiles', 'shops', 'shop_stock'] as const;
export type WorldTable = (typeof WORLD_TABLES)[number];

/** Applies pending migrations (all, or up to `upTo`); returns the schema version now in force. */
export function migrateProjections(db: Database, upTo = projectionMigrations.length): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = () => (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  if (applied() > projectionMigrations.length) {
    throw new Error(`projection schema version ${applied()} is newer than this code supports (${projectionMigrations.length})`);
  }
  for (let version = applied() + 1; version <= upTo; version++) {
    db.transaction(() => {
      if (applied() >= version) return; // another process got there first
      db.exec(projectionMigrations[version - 1] as string);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
    }).immediate();
  }
  return applied();
}
