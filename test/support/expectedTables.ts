import type { Database } from 'better-sqlite3';
import type { AggregateState } from '../../src/world/state.ts';

/** The read-model tables as a straightforward fold of aggregate states says they must be. */
export function expectedTables(states: ReadonlyMap<string, { state: AggregateState; version: number }>) {
  const tables = {
    game_objects: [] as unknown[],
    players: [] as unknown[],
    rooms: [] as unknown[],
    room_exits: [] as unknown[],
    inventory: [] as unknown[],
    equipment: [] as unknown[],
  };
  for (const [id, { state, version }] of [...states].sort(([a], [b]) => (a < b ? -1 : 1))) {
    tables.game_objects.push({
      id,
      kind: state.kind,
      name: state.name,
      generic: state.generic,
      container_id: state.containerId,
      attributes: state.attributes,
      deleted: state.deleted ? 1 : 0,
      version,
    });
    if (state.kind === 'player') tables.players.push({ id, admin: state.admin ? 1 : 0 });
    if (state.kind === 'room') {
      tables.rooms.push({ id, description: state.description });
      for (const [direction, target] of Object.entries(state.exits)) tables.room_exits.push({ room_id: id, direction, target_room_id: target });
    }
    state.inventory.forEach((item, i) => tables.inventory.push({ holder_id: id, item_id: item, slot_index: i }));
    for (const [slot, item] of Object.entries(state.equipment)) tables.equipment.push({ holder_id: id, slot, item_id: item });
  }
  return normalize(tables);
}

/** The read-model tables as they are (updated_at left out: it is when, not what). */
export function actualTables(db: Database) {
  const all = (sql: string) => db.prepare(sql).all() as Record<string, unknown>[];
  return normalize({
    game_objects: all('SELECT id, kind, name, generic, container_id, attributes, deleted, version FROM game_objects').map((r) => ({
      ...r,
      attributes: JSON.parse(r['attributes'] as string) as unknown,
    })),
    players: all('SELECT * FROM players'),
    rooms: all('SELECT * FROM rooms'),
    room_exits: all('SELECT * FROM room_exits'),
    inventory: all('SELECT * FROM inventory'),
    equipment: all('SELECT * FROM equipment'),
  });
}

function normalize<T extends Record<string, unknown[]>>(tables: T): T {
  const key = (row: unknown) => JSON.stringify(row);
  return Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1))])) as T;
}
