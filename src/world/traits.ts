import { z } from 'zod';
import { defineTrait, reject, type EventSpec } from '../definition/define.ts';
import type { ReadSet } from '../definition/reads.ts';
import { commandSchemas } from './commands.ts';
import { currentSchemaVersions, eventSchemas, type DomainEventType } from './events.ts';

/** An event of the world as a definition declares it: the data schema and the version the code writes. */
function spec<K extends DomainEventType>(type: K, upcasters?: EventSpec['upcasters']): EventSpec<z.infer<(typeof eventSchemas)[K]>['data']> {
  return { schema: eventSchemas[type].shape.data as never, version: currentSchemaVersions[type], ...(upcasters && { upcasters }) };
}

/** The events and lifecycle commands every world object has: creation, attributes, container, deletion. */
export const worldEvents = {
  GameObjectCreated: spec('GameObjectCreated', {
    // v1: { name, generic, container } with no attributes.
    1: (data) => {
      const { container, ...rest } = data as { name: string; generic: string; container?: string | null };
      return { ...rest, containerId: container ?? null, attributes: {} };
    },
  }),
  GameObjectAttributeUpdated: spec('GameObjectAttributeUpdated'),
  GameObjectAttributesUpdated: spec('GameObjectAttributesUpdated'),
  GameObjectContainerUpdated: spec('GameObjectContainerUpdated'),
  GameObjectDeleted: spec('GameObjectDeleted'),
  PlayerCreated: spec('PlayerCreated'),
  PlayerPasswordUpdated: spec('PlayerPasswordUpdated'),
  PlayerAdminStatusUpdated: spec('PlayerAdminStatusUpdated'),
  RoomCreated: spec('RoomCreated'),
  RoomDescriptionUpdated: spec('RoomDescriptionUpdated'),
  RoomExitAdded: spec('RoomExitAdded'),
  RoomExitRemoved: spec('RoomExitRemoved'),
  ItemAddedToInventory: spec('ItemAddedToInventory'),
  ItemRemovedFromInventory: spec('ItemRemovedFromInventory'),
  ItemEquipped: spec('ItemEquipped'),
  ItemUnequipped: spec('ItemUnequipped'),
} as const;

export interface ObjectState {
  readonly containerId: string | null;
}
/** Attributes, container and deletion: what any world object can be told. */
export const objectTrait = defineTrait({
  name: 'object',
  commands: {
    UpdateGameObjectAttribute: commandSchemas.UpdateGameObjectAttribute,
    UpdateGameObjectAttributes: commandSchemas.UpdateGameObjectAttributes,
    UpdateGameObjectContainer: commandSchemas.UpdateGameObjectContainer,
    DeleteGameObject: commandSchemas.DeleteGameObject,
  },
  events: {
    GameObjectCreated: worldEvents.GameObjectCreated,
    GameObjectAttributeUpdated: worldEvents.GameObjectAttributeUpdated,
    GameObjectAttributesUpdated: worldEvents.GameObjectAttributesUpdated,
    GameObjectContainerUpdated: worldEvents.GameObjectContainerUpdated,
    GameObjectDeleted: worldEvents.GameObjectDeleted,
  },
  decide(state: ObjectState, command, reads) {
    switch (command.type) {
      case 'UpdateGameObjectAttribute':
        return [{ type: 'GameObjectAttributeUpdated', data: { key: command.key, value: command.value } }];
      case 'UpdateGameObjectAttributes':
        return [{ type: 'GameObjectAttributesUpdated', data: { attributes: command.attributes } }];
      case 'UpdateGameObjectContainer':
        if (command.containerId === command.id) return reject('SELF_CONTAINMENT', 'an object cannot contain itself');
        // An item leaves a holder's inventory before it moves elsewhere: it is never listed by two holders.
        if (state.containerId !== null && state.containerId !== command.containerId && heldBy(reads, state.containerId, command.id)) {
          return reject('ITEM_HELD', `${command.id} is in the inventory of ${state.containerId}; remove it from there first`);
        }
        return [{ type: 'GameObjectContainerUpdated', data: { containerId: command.containerId } }];
      case 'DeleteGameObject':
        return [{ type: 'GameObjectDeleted', data: {} }];
    }
  },
});

export interface HolderState {
  readonly inventory: readonly string[];
  readonly equipment?: Readonly<Record<string, string>>;
}

/** The slot an item is equipped on, if any (own slots only: a slot named `constructor` is just a name). */
export function slotOf(state: HolderState, itemId: string): string | undefined {
  for (const [slot, held] of Object.entries(state.equipment ?? {})) if (held === itemId) return slot;
  return undefined;
}

/** Whether `holderId` lists `itemId` in its inventory (a read: a condition of the append). */
function heldBy(reads: ReadSet, holderId: string, itemId: string): boolean {
  const holder = reads.get<Partial<HolderState>>(holderId)?.state;
  return Array.isArray(holder?.inventory) && holder.inventory.includes(itemId);
}

/** An ordered inventory of item ids: any kind that holds things includes it. */
export const inventoryTrait = defineTrait({
  name: 'inventory',
  commands: {
    AddItemToInventory: commandSchemas.AddItemToInventory,
    RemoveItemFromInventory: commandSchemas.RemoveItemFromInventory,
  },
  events: {
    ItemAddedToInventory: worldEvents.ItemAddedToInventory,
    ItemRemovedFromInventory: worldEvents.ItemRemovedFromInventory,
  },
  decide(state: HolderState, command, reads) {
    switch (command.type) {
      case 'AddItemToInventory': {
        if (command.itemId === command.id) return reject('SELF_REFERENCE', 'an object cannot hold itself');
        if (state.inventory.includes(command.itemId)) return reject('ITEM_ALREADY_HELD', `${command.itemId} is already held`);
        // The item must exist and say it is here (its containerId, set first in the same transaction by a
        // move or its creation): a holder lists only items placed in it, so no item is listed twice.
        const item = reads.get<Partial<ObjectState> & { readonly deleted?: boolean }>(command.itemId)?.state;
        if (!item || item.deleted === true || item.containerId === undefined) return reject('NO_SUCH_ITEM', `${command.itemId} does not exist`);
        if (item.containerId !== command.id) {
          return reject('ITEM_ELSEWHERE', `${command.itemId} is in ${item.containerId ?? 'no container'}; move it here first (UpdateGameObjectContainer)`);
        }
        const data =
          command.position === undefined
            ? { itemId: command.itemId }
            : { itemId: command.itemId, position: Math.min(command.position, state.inventory.length) };
        return [{ type: 'ItemAddedToInventory', data }];
      }
      case 'RemoveItemFromInventory':
        if (!state.inventory.includes(command.itemId)) return reject('ITEM_NOT_HELD', `${command.itemId} is not held`);
        if (slotOf(state, command.itemId) !== undefined) return reject('ITEM_EQUIPPED', `${command.itemId} is equipped; unequip it first`);
        return [{ type: 'ItemRemovedFromInventory', data: { itemId: command.itemId } }];
    }
  },
});

/** Equipment slots holding items from the inventory (include it with inventoryTrait). */
export const equipmentTrait = defineTrait({
  name: 'equipment',
  commands: {
    EquipItem: commandSchemas.EquipItem,
    UnequipItem: commandSchemas.UnequipItem,
  },
  events: {
    ItemEquipped: worldEvents.ItemEquipped,
    ItemUnequipped: worldEvents.ItemUnequipped,
  },
  decide(state: Required<HolderState>, command) {
    switch (command.type) {
      case 'EquipItem': {
        if (!state.inventory.includes(command.itemId)) return reject('ITEM_NOT_HELD', `${command.itemId} is not held`);
        if (Object.hasOwn(state.equipment, command.slot)) return reject('SLOT_OCCUPIED', `slot ${command.slot} holds ${state.equipment[command.slot]}`);
        const current = slotOf(state, command.itemId);
        if (current !== undefined) return reject('ITEM_ALREADY_EQUIPPED', `${command.itemId} is equipped on ${current}`);
        return [{ type: 'ItemEquipped', data: { itemId: command.itemId, slot: command.slot } }];
      }
      case 'UnequipItem':
        if (!Object.hasOwn(state.equipment, command.slot) || state.equipment[command.slot] !== command.itemId) {
          return reject('NOT_EQUIPPED', `${command.itemId} is not equipped on ${command.slot}`);
        }
        return [{ type: 'ItemUnequipped', data: { itemId: command.itemId, slot: command.slot } }];
    }
  },
});

/** The traits every world kind includes. */
export const worldTraits = [objectTrait, inventoryTrait, equipmentTrait] as const;
