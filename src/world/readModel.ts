import type { Database, Statement } from 'better-sqlite3';
import type { AggregateKind } from './state.ts';
import type { JsonValue } from './schemas.ts';

export interface ObjectRow {
  readonly id: string;
  readonly kind: AggregateKind;
  readonly name: string;
  readonly generic: string;
  readonly containerId: string | null;
  readonly attributes: Record<string, JsonValue>;
  readonly deleted: boolean;
  readonly version: number;
}

interface RawObject {
  id: string;
  kind: AggregateKind;
  name: string;
  generic: string;
  container_id: string | null;
  attributes: string;
  deleted: number;
  version: number;
}

const toObject = (r: RawObject): ObjectRow => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  generic: r.generic,
  containerId: r.container_id,
  attributes: JSON.parse(r.attributes) as Record<string, JsonValue>,
  deleted: r.deleted === 1,
  version: r.version,
});

/** A mobile as the read model knows it (src/world/mobile.ts). */
export interface MobileRow {
  readonly id: string;
  readonly name: string;
  readonly roomId: string;
  readonly mode: 'idle' | 'wandering' | 'fighting' | 'dead';
  readonly hp: number;
  readonly maxHp: number;
}

/** A shop's ware: what it sells one for (`buy`), pays for one (`sell`), and how many it has. */
export interface WareRow {
  readonly item: string;
  readonly buy: number;
  readonly sell: number;
  readonly stock: number;
}

export interface ShopRow {
  readonly id: string;
  readonly name: string;
  readonly roomId: string;
  readonly currency: string;
  readonly till: number;
}

/** The queries a game needs, each served by an index of the read model. */
export class ReadModel {
  readonly #s: Record<string, Statement>;

  constructor(db: Database) {
    const cols = 'id, kind, name, generic, container_id, attributes, deleted, version';
    this.#s = {
      object: db.prepare(`SELECT ${cols} FROM game_objects WHERE id = ?`),
      contents: db.prepare(`SELECT ${cols} FROM game_objects WHERE container_id = ? AND deleted = 0 ORDER BY name, id`),
      byName: db.prepare(`SELECT ${cols} FROM game_objects WHERE kind = ? AND name = ? COLLATE NOCASE AND deleted = 0`),
      ofKind: db.prepare(`SELECT ${cols} FROM game_objects WHERE kind = ? AND deleted = 0 ORDER BY name`),
      holders: db.prepare('SELECT holder_id AS id FROM inventory WHERE item_id = ? ORDER BY holder_id'),
      inventory: db.prepare('SELECT item_id AS id FROM inventory WHERE holder_id = ? ORDER BY slot_index'),
      equipment: db.prepare('SELECT slot, item_id FROM equipment WHERE holder_id = ? ORDER BY slot'),
      wornBy: db.prepare('SELECT holder_id, slot FROM equipment WHERE item_id = ?'),
      exits: db.prepare('SELECT direction, target_room_id FROM room_exits WHERE room_id = ? ORDER BY direction'),
      room: db.prepare('SELECT description FROM rooms WHERE id = ?'),
      mobilesIn: db.prepare(`SELECT id, name, room_id AS roomId, mode, hp, max_hp AS maxHp FROM mobiles WHERE room_id = ? ORDER BY name, id`),
      mobile: db.prepare(`SELECT id, name, room_id AS roomId, mode, hp, max_hp AS maxHp FROM mobiles WHERE id = ?`),
      shopsIn: db.prepare('SELECT id, name, room_id AS roomId, currency, till FROM shops WHERE room_id = ? ORDER BY name, id'),
      wares: db.prepare('SELECT item, buy_price AS buy, sell_price AS sell, stock FROM shop_stock WHERE shop_id = ? ORDER BY item'),
      admins: db.prepare(
        `SELECT ${cols.split(', ').map((c) => `o.${c}`).join(', ')} FROM players p JOIN game_objects o ON o.id = p.id
         WHERE p.admin = 1 AND o.deleted = 0 ORDER BY o.name`,
      ),
    };
  }

  object(id: string): ObjectRow | undefined {
    const row = this.#s['object']!.get(id) as RawObject | undefined;
    return row && toObject(row);
  }

  /** What is in a room or container: objects whose container is `containerId`. */
  contentsOf(containerId: string): ObjectRow[] {
    return (this.#s['contents']!.all(containerId) as RawObject[]).map(toObject);
  }

  /** Live objects of a kind with this name (case-insensitive): logins, "who", "give x to bob". */
  findByName(kind: AggregateKind, name: string): ObjectRow[] {
    return (this.#s['byName']!.all(kind, name) as RawObject[]).map(toObject);
  }

  allOfKind(kind: AggregateKind): ObjectRow[] {
    return (this.#s['ofKind']!.all(kind) as RawObject[]).map(toObject);
  }

  /** Who holds an item in their inventory. */
  holdersOf(itemId: string): string[] {
    return (this.#s['holders']!.all(itemId) as { id: string }[]).map((r) => r.id);
  }

  inventoryOf(holderId: string): string[] {
    return (this.#s['inventory']!.all(holderId) as { id: string }[]).map((r) => r.id);
  }

  /** What a player (or any holder) wears: slot → item id. */
  equipmentOf(holderId: string): Record<string, string> {
    return Object.fromEntries((this.#s['equipment']!.all(holderId) as { slot: string; item_id: string }[]).map((r) => [r.slot, r.item_id]));
  }

  /** Exits of a room: direction → target room id. */
  exitsOf(roomId: string): Record<string, string> {
    return Object.fromEntries(
      (this.#s['exits']!.all(roomId) as { direction: string; target_room_id: string }[]).map((r) => [r.direction, r.target_room_id]),
    );
  }

  roomDescription(roomId: string): string | undefined {
    return (this.#s['room']!.get(roomId) as { description: string } | undefined)?.description;
  }

  /** Mobiles in a room (the dead too: a corpse is still there), by name. */
  mobilesIn(roomId: string): MobileRow[] {
    return this.#s['mobilesIn']!.all(roomId) as MobileRow[];
  }

  mobile(id: string): MobileRow | undefined {
    return this.#s['mobile']!.get(id) as MobileRow | undefined;
  }

  shopsIn(roomId: string): ShopRow[] {
    return this.#s['shopsIn']!.all(roomId) as ShopRow[];
  }

  /** What a shop deals in, by item type. */
  waresOf(shopId: string): WareRow[] {
    return this.#s['wares']!.all(shopId) as WareRow[];
  }

  admins(): ObjectRow[] {
    return (this.#s['admins']!.all() as RawObject[]).map(toObject);
  }
}
