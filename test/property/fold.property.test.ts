import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvents, initialSnapshot, replayEvents } from '../../machines/index.ts';
import type { DomainEvent } from '../../src/domain/events.ts';
import type { AggregateKind } from '../../src/domain/state.ts';

const id = fc.constantFrom('a', 'b', 'c');
const key = fc.constantFrom('hp', 'north', 'head');
const eventArb: fc.Arbitrary<DomainEvent> = fc.oneof(
  fc.record({ type: fc.constant('GameObjectCreated' as const), data: fc.record({ name: fc.constantFrom('X', 'Y'), generic: fc.constantFrom('item', 'room', 'player'), containerId: fc.option(id, { nil: null }), attributes: fc.constant({}) }) }),
  fc.record({ type: fc.constant('GameObjectAttributeUpdated' as const), data: fc.record({ key, value: fc.integer() }) }),
  fc.record({ type: fc.constant('GameObjectAttributesUpdated' as const), data: fc.record({ attributes: fc.dictionary(key, fc.integer(), { maxKeys: 2 }) }) }),
  fc.record({ type: fc.constant('GameObjectContainerUpdated' as const), data: fc.record({ containerId: fc.option(id, { nil: null }) }) }),
  fc.constant<DomainEvent>({ type: 'GameObjectDeleted', data: {} }),
  fc.record({ type: fc.constant('PlayerCreated' as const), data: fc.record({ passwordHash: fc.constant('scrypt$1$1$1$a$b'), admin: fc.boolean() }) }),
  fc.record({ type: fc.constant('PlayerPasswordUpdated' as const), data: fc.record({ passwordHash: fc.constant('scrypt$1$1$1$c$d') }) }),
  fc.record({ type: fc.constant('PlayerAdminStatusUpdated' as const), data: fc.record({ admin: fc.boolean() }) }),
  fc.record({ type: fc.constant('RoomCreated' as const), data: fc.record({ description: fc.constantFrom('d', 'e'), exits: fc.constant({}) }) }),
  fc.record({ type: fc.constant('RoomDescriptionUpdated' as const), data: fc.record({ description: fc.constantFrom('d', 'e') }) }),
  fc.record({ type: fc.constant('RoomExitAdded' as const), data: fc.record({ direction: key, targetRoomId: id }) }),
  fc.record({ type: fc.constant('RoomExitRemoved' as const), data: fc.record({ direction: key }) }),
  fc.record({ type: fc.constant('ItemAddedToInventory' as const), data: fc.record({ itemId: id }) }),
  fc.record({ type: fc.constant('ItemRemovedFromInventory' as const), data: fc.record({ itemId: id }) }),
  fc.record({ type: fc.constant('ItemEquipped' as const), data: fc.record({ itemId: id, slot: key }) }),
  fc.record({ type: fc.constant('ItemUnequipped' as const), data: fc.record({ itemId: id, slot: key }) }),
);

describe('compiled fold (property)', () => {
  it.each<AggregateKind>(['game_object', 'player', 'room'])('equals XState transition for any event history of a %s, valid or not', (kind) => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        const reference = applyEvents(kind, initialSnapshot(kind, 'x'), events);
        const fast = replayEvents(kind, initialSnapshot(kind, 'x'), events);
        expect(fast.value).toEqual(reference.value);
        expect(fast.context).toEqual(reference.context);
      }),
      { numRuns: 300 },
    );
  });
});
