import type { DomainEventOf, DomainEventType } from '../src/world/events.ts';
import type { AggregateState, PlayerState, RoomState } from '../src/world/state.ts';

/**
 * The event handlers, as pure functions from (state, event) to the next state. The machines call
 * them from named assign actions; the same functions serve every kind, so a player's inventory
 * behaves exactly like a chest's.
 */
type Reducer<S, K extends DomainEventType> = (state: S, event: DomainEventOf<K>) => S;

export const created = <S extends AggregateState>(state: S, event: DomainEventOf<'GameObjectCreated'>): S => ({
  ...state,
  name: event.data.name,
  generic: event.data.generic,
  containerId: event.data.containerId,
  attributes: event.data.attributes,
});

export const attributeUpdated = <S extends AggregateState>(
  state: S,
  event: DomainEventOf<'GameObjectAttributeUpdated'>,
): S => ({ ...state, attributes: { ...state.attributes, [event.data.key]: event.data.value } });

export const attributesUpdated = <S extends AggregateState>(
  state: S,
  event: DomainEventOf<'GameObjectAttributesUpdated'>,
): S => ({ ...state, attributes: { ...state.attributes, ...event.data.attributes } });

export const containerUpdated = <S extends AggregateState>(
  state: S,
  event: DomainEventOf<'GameObjectContainerUpdated'>,
): S => ({ ...state, containerId: event.data.containerId });

export const deleted = <S extends AggregateState>(state: S): S => ({ ...state, deleted: true });

export const itemAdded = <S extends AggregateState>(state: S, event: DomainEventOf<'ItemAddedToInventory'>): S => {
  const inventory = [...state.inventory];
  inventory.splice(event.data.position ?? inventory.length, 0, event.data.itemId);
  return { ...state, inventory };
};

export const itemRemoved = <S extends AggregateState>(
  state: S,
  event: DomainEventOf<'ItemRemovedFromInventory'>,
): S => ({ ...state, inventory: state.inventory.filter((id) => id !== event.data.itemId) });

export const itemEquipped = <S extends AggregateState>(state: S, event: DomainEventOf<'ItemEquipped'>): S => ({
  ...state,
  equipment: { ...state.equipment, [event.data.slot]: event.data.itemId },
});

export const itemUnequipped = <S extends AggregateState>(state: S, event: DomainEventOf<'ItemUnequipped'>): S => {
  const { [event.data.slot]: _removed, ...equipment } = state.equipment;
  return { ...state, equipment };
};

export const playerCreated: Reducer<PlayerState, 'PlayerCreated'> = (state, event) => ({
  ...state,
  passwordHash: event.data.passwordHash,
  admin: event.data.admin,
});

export const passwordUpdated: Reducer<PlayerState, 'PlayerPasswordUpdated'> = (state, event) => ({
  ...state,
  passwordHash: event.data.passwordHash,
});

export const adminStatusUpdated: Reducer<PlayerState, 'PlayerAdminStatusUpdated'> = (state, event) => ({
  ...state,
  admin: event.data.admin,
});

export const roomCreated: Reducer<RoomState, 'RoomCreated'> = (state, event) => ({
  ...state,
  description: event.data.description,
  exits: event.data.exits,
});

export const descriptionUpdated: Reducer<RoomState, 'RoomDescriptionUpdated'> = (state, event) => ({
  ...state,
  description: event.data.description,
});

export const exitAdded: Reducer<RoomState, 'RoomExitAdded'> = (state, event) => ({
  ...state,
  exits: { ...state.exits, [event.data.direction]: event.data.targetRoomId },
});

export const exitRemoved: Reducer<RoomState, 'RoomExitRemoved'> = (state, event) => {
  const { [event.data.direction]: _removed, ...exits } = state.exits;
  return { ...state, exits };
};
