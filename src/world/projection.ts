import type { Database, Statement } from 'better-sqlite3';
import { isDomainEventType } from './events.ts';
import { kindOfGeneric } from './state.ts';
import type { StoredEvent } from '../eventStore/types.ts';
import { defineProjection } from '../projections/define.ts';

/**
 * The built-in world's read model, a projection its kinds bring (see kinds.ts): objects, players,
 * rooms and their exits, inventories and equipment, mobiles and shops. Migrations were recorded in
 * `schema_migrations` before each projection kept its own history; that record is adopted once.
 */
const migrations: readonly string[] = [
  // 1: the world read model (the projectors' checkpoints table, created here once, now belongs to the database).
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
   CREATE INDEX equipment_item ON equipment (item_id);`,
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

/**
 * The world projection: how each event changes the read-model tables. Deterministic (it reads only
 * the event and the tables) and written against a table-name suffix, so a rebuild can fill fresh
 * tables with exactly the same code while the live ones keep serving reads.
 */
export function worldProjection(db: Database, suffix = '') {
  const t = Object.fromEntries(WORLD_TABLES.map((name) => [name, `${name}${suffix}`])) as Record<WorldTable, string>;
  const prepare = (sql: string): Statement => db.prepare(sql);
  const s = {
    insertObject: prepare(
      `INSERT INTO ${t.game_objects} (id, kind, name, generic, container_id, attributes, deleted, version, updated_at)
       VALUES (@id, @kind, @name, @generic, @container_id, @attributes, 0, @version, @at)`,
    ),
    attributes: prepare(`SELECT attributes FROM ${t.game_objects} WHERE id = ?`),
    setAttributes: prepare(`UPDATE ${t.game_objects} SET attributes = ?, version = ?, updated_at = ? WHERE id = ?`),
    setContainer: prepare(`UPDATE ${t.game_objects} SET container_id = ?, version = ?, updated_at = ? WHERE id = ?`),
    setDeleted: prepare(`UPDATE ${t.game_objects} SET deleted = 1, version = ?, updated_at = ? WHERE id = ?`),
    touch: prepare(`UPDATE ${t.game_objects} SET version = ?, updated_at = ? WHERE id = ?`),
    insertPlayer: prepare(`INSERT INTO ${t.players} (id, admin) VALUES (?, ?)`),
    setAdmin: prepare(`UPDATE ${t.players} SET admin = ? WHERE id = ?`),
    insertRoom: prepare(`INSERT INTO ${t.rooms} (id, description) VALUES (?, ?)`),
    setDescription: prepare(`UPDATE ${t.rooms} SET description = ? WHERE id = ?`),
    insertExit: prepare(`INSERT INTO ${t.room_exits} (room_id, direction, target_room_id) VALUES (?, ?, ?)`),
    deleteExit: prepare(`DELETE FROM ${t.room_exits} WHERE room_id = ? AND direction = ?`),
    inventoryCount: prepare(`SELECT count(*) AS n FROM ${t.inventory} WHERE holder_id = ?`),
    inventoryIndex: prepare(`SELECT slot_index AS i FROM ${t.inventory} WHERE holder_id = ? AND item_id = ?`),
    shiftUp: prepare(`UPDATE ${t.inventory} SET slot_index = slot_index + 1 WHERE holder_id = ? AND slot_index >= ?`),
    shiftDown: prepare(`UPDATE ${t.inventory} SET slot_index = slot_index - 1 WHERE holder_id = ? AND slot_index > ?`),
    insertItem: prepare(`INSERT INTO ${t.inventory} (holder_id, item_id, slot_index) VALUES (?, ?, ?)`),
    deleteItem: prepare(`DELETE FROM ${t.inventory} WHERE holder_id = ? AND item_id = ?`),
    equip: prepare(`INSERT INTO ${t.equipment} (holder_id, slot, item_id) VALUES (?, ?, ?)`),
    unequip: prepare(`DELETE FROM ${t.equipment} WHERE holder_id = ? AND slot = ?`),
    insertMobile: prepare(`INSERT INTO ${t.mobiles} (id, name, room_id, mode, hp, max_hp, version) VALUES (?, ?, ?, 'idle', ?, ?, ?)`),
    mobileMode: prepare(`UPDATE ${t.mobiles} SET mode = ?, version = ? WHERE id = ?`),
    mobileRoom: prepare(`UPDATE ${t.mobiles} SET room_id = ?, version = ? WHERE id = ?`),
    mobileHit: prepare(`UPDATE ${t.mobiles} SET hp = max(hp - ?, 0), mode = 'fighting', version = ? WHERE id = ?`),
    insertShop: prepare(`INSERT INTO ${t.shops} (id, name, room_id, currency, till, version) VALUES (?, ?, ?, ?, ?, ?)`),
    shopTill: prepare(`UPDATE ${t.shops} SET till = till + ?, version = ? WHERE id = ?`),
    insertStock: prepare(`INSERT INTO ${t.shop_stock} (shop_id, item, buy_price, sell_price, stock) VALUES (?, ?, ?, ?, ?)`),
    addStock: prepare(`UPDATE ${t.shop_stock} SET stock = stock + ? WHERE shop_id = ? AND item = ?`),
  };

  /** Mobiles' and shops' events (their kinds are defined in src/world/mobile.ts and shop.ts). */
  const applyOtherKinds = (event: { readonly type: string; readonly streamId: string; readonly version: number; readonly data: unknown }): void => {
    const id = event.streamId;
    const v = event.version;
    const d = event.data as Record<string, never>;
    const type: string = event.type;
    switch (type) {
      case 'MobileCreated': {
        const { name, roomId, stats } = d as unknown as { name: string; roomId: string; stats: { hp: number } };
        s.insertMobile.run(id, name, roomId, stats.hp, stats.hp, v);
        return;
      }
      case 'MobileStartedWandering':
        s.mobileMode.run('wandering', v, id);
        return;
      case 'MobileStoppedWandering':
      case 'MobileCalmed':
        s.mobileMode.run(type === 'MobileCalmed' ? 'wandering' : 'idle', v, id);
        return;
      case 'MobileWandered':
        s.mobileRoom.run((d as unknown as { to: string }).to, v, id);
        return;
      case 'MobileAttacked':
        s.mobileHit.run((d as unknown as { damage: number }).damage, v, id);
        return;
      case 'MobileDied':
        s.mobileMode.run('dead', v, id);
        return;
      case 'ShopOpened': {
        const o = d as unknown as { name: string; roomId: string; currency: string; till: number; prices: Record<string, { buy: number; sell: number }>; stock: Record<string, number> };
        s.insertShop.run(id, o.name, o.roomId, o.currency, o.till, v);
        const items = new Set([...Object.keys(o.prices), ...Object.keys(o.stock)]);
        for (const item of items) s.insertStock.run(id, item, o.prices[item]?.buy ?? 0, o.prices[item]?.sell ?? 0, o.stock[item] ?? 0);
        return;
      }
      case 'ShopSold':
      case 'ShopBought': {
        const { item, price } = d as unknown as { item: string; price: number };
        const sold = type === 'ShopSold';
        s.shopTill.run(sold ? price : -price, v, id);
        s.addStock.run(sold ? -1 : 1, id, item);
        return;
      }
      case 'ShopRestocked': {
        const { item, count } = d as unknown as { item: string; count: number };
        s.addStock.run(count, id, item);
        s.shopTill.run(0, v, id);
        return;
      }
      default:
        return; // timers and a game's own kinds bring their own read models
    }
  };

  /** Applies one event. Must run inside the caller's transaction (with the checkpoint update). */
  return function apply(event: StoredEvent): void {
    if (!isDomainEventType(event.type)) return applyOtherKinds(event);
    const id = event.streamId;
    const at = event.occurredAt;
    const touch = (): void => {
      s.touch.run(event.version, at, id);
    };
    switch (event.type) {
      case 'GameObjectCreated':
        s.insertObject.run({
          id,
          kind: kindOfGeneric(event.data.generic),
          name: event.data.name,
          generic: event.data.generic,
          container_id: event.data.containerId,
          attributes: JSON.stringify(event.data.attributes),
          version: event.version,
          at,
        });
        return;
      case 'GameObjectAttributeUpdated':
      case 'GameObjectAttributesUpdated': {
        const row = s.attributes.get(id) as { attributes: string } | undefined;
        const current = JSON.parse(row?.attributes ?? '{}') as Record<string, unknown>;
        const changes = event.type === 'GameObjectAttributeUpdated' ? { [event.data.key]: event.data.value } : event.data.attributes;
        s.setAttributes.run(JSON.stringify({ ...current, ...changes }), event.version, at, id);
        return;
      }
      case 'GameObjectContainerUpdated':
        s.setContainer.run(event.data.containerId, event.version, at, id);
        return;
      case 'GameObjectDeleted':
        s.setDeleted.run(event.version, at, id);
        return;
      case 'PlayerCreated':
        s.insertPlayer.run(id, event.data.admin ? 1 : 0);
        return touch();
      case 'PlayerPasswordUpdated':
        return touch(); // credentials stay in the event store; the read model never holds them
      case 'PlayerAdminStatusUpdated':
        s.setAdmin.run(event.data.admin ? 1 : 0, id);
        return touch();
      case 'RoomCreated':
        s.insertRoom.run(id, event.data.description);
        for (const [direction, target] of Object.entries(event.data.exits)) s.insertExit.run(id, direction, target);
        return touch();
      case 'RoomDescriptionUpdated':
        s.setDescription.run(event.data.description, id);
        return touch();
      case 'RoomExitAdded':
        s.insertExit.run(id, event.data.direction, event.data.targetRoomId);
        return touch();
      case 'RoomExitRemoved':
        s.deleteExit.run(id, event.data.direction);
        return touch();
      case 'ItemAddedToInventory': {
        const count = (s.inventoryCount.get(id) as { n: number }).n;
        const index = Math.min(event.data.position ?? count, count);
        s.shiftUp.run(id, index);
        s.insertItem.run(id, event.data.itemId, index);
        return touch();
      }
      case 'ItemRemovedFromInventory': {
        const row = s.inventoryIndex.get(id, event.data.itemId) as { i: number } | undefined;
        s.deleteItem.run(id, event.data.itemId);
        if (row) s.shiftDown.run(id, row.i);
        return touch();
      }
      case 'ItemEquipped':
        s.equip.run(id, event.data.slot, event.data.itemId);
        return touch();
      case 'ItemUnequipped':
        s.unequip.run(id, event.data.slot);
        return touch();
      default: {
        const _exhaustive: never = event;
        throw new Error(`no projection for ${(_exhaustive as { type: string }).type}`);
      }
    }
  };
}

export type ApplyEvent = ReturnType<typeof worldProjection>;

/** The world's read model as a projection its kinds bring. */
export const worldReadModel = defineProjection({
  name: 'world',
  tables: WORLD_TABLES,
  migrations,
  legacyMigrations: 'schema_migrations',
  handler: worldProjection,
});
