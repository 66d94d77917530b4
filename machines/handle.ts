import { assign } from 'xstate';
import type { DomainEvent, DomainEventOf, DomainEventType } from '../src/world/events.ts';
import type { AggregateState } from '../src/world/state.ts';
import * as reduce from './reducers.ts';

/** Wraps a pure reducer as an XState assign action for one event type. */
export const handle = <S extends AggregateState, K extends DomainEventType>(
  type: K,
  reducer: (state: S, event: DomainEventOf<K>) => S,
) =>
  Object.assign(
    assign<S, DomainEvent, undefined, DomainEvent, never>(({ context, event }) => {
      // The machine routes by type, so a mismatch is a wiring bug: fail loudly, never guess.
      if (event.type !== type) throw new Error(`handler for ${type} received ${event.type}`);
      return reducer(context, event as DomainEventOf<K>);
    }),
    // What the machine fingerprint hashes: a change to the reducer invalidates old snapshots.
    { fingerprintSource: String(reducer) },
  );

/** The handlers every kind shares: creation, attributes, container, inventory, equipment, deletion. */
export const sharedActions = <S extends AggregateState>() => ({
  created: handle<S, 'GameObjectCreated'>('GameObjectCreated', reduce.created),
  attributeUpdated: handle<S, 'GameObjectAttributeUpdated'>('GameObjectAttributeUpdated', reduce.attributeUpdated),
  attributesUpdated: handle<S, 'GameObjectAttributesUpdated'>('GameObjectAttributesUpdated', reduce.attributesUpdated),
  containerUpdated: handle<S, 'GameObjectContainerUpdated'>('GameObjectContainerUpdated', reduce.containerUpdated),
  deleted: handle<S, 'GameObjectDeleted'>('GameObjectDeleted', reduce.deleted),
  itemAdded: handle<S, 'ItemAddedToInventory'>('ItemAddedToInventory', reduce.itemAdded),
  itemRemoved: handle<S, 'ItemRemovedFromInventory'>('ItemRemovedFromInventory', reduce.itemRemoved),
  itemEquipped: handle<S, 'ItemEquipped'>('ItemEquipped', reduce.itemEquipped),
  itemUnequipped: handle<S, 'ItemUnequipped'>('ItemUnequipped', reduce.itemUnequipped),
});

/** Lifecycle: an aggregate is absent until created, active until deleted; a deleted one ignores events. */
export const absentState = { on: { GameObjectCreated: { target: 'active', actions: 'created' } } } as const;

/** Transitions of the active state that every kind shares. */
export const sharedActiveTransitions = {
  GameObjectAttributeUpdated: { actions: 'attributeUpdated' },
  GameObjectAttributesUpdated: { actions: 'attributesUpdated' },
  GameObjectContainerUpdated: { actions: 'containerUpdated' },
  GameObjectDeleted: { target: 'deleted', actions: 'deleted' },
  ItemAddedToInventory: { actions: 'itemAdded' },
  ItemRemovedFromInventory: { actions: 'itemRemoved' },
  ItemEquipped: { actions: 'itemEquipped' },
  ItemUnequipped: { actions: 'itemUnequipped' },
} as const;

/** The fields every kind starts with before its create event. */
export const emptyBase = (id: string) => ({
  id,
  name: '',
  generic: '',
  containerId: null,
  attributes: {},
  deleted: false,
  inventory: [],
  equipment: {},
});
