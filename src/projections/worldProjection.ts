import type { Database, Statement } from 'better-sqlite3';
import { isDomainEventType } from '../world/events.ts';
import { kindOfGeneric } from '../world/state.ts';
import type { StoredEvent } from '../eventStore/types.ts';
import { WORLD_TABLES, type WorldTable } from './schema.ts';

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
  };

  /** Applies one event. Must run inside the caller's transaction (with the checkpoint update). */
  return function apply(event: StoredEvent): void {
    // Other kinds (mobiles, shops, timers, a game's own) bring their own read models: not ours to project.
    if (!isDomainEventType(event.type)) return;
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
