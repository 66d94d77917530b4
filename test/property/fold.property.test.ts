import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateMachines, applyEvents, initialSnapshot, replayEvents } from '../../machines/index.ts';
import type { DomainEvent } from '../../src/world/events.ts';
import { worldEvents } from '../../src/world/traits.ts';
import { eventArbitrary } from '../support/schemaArbitrary.ts';
import type { AggregateKind } from '../../src/world/state.ts';

const id = fc.constantFrom('a', 'b', 'c');
const key = fc.constantFrom('hp', 'north', 'head');
// Every world event type, derived from its schema (a new one cannot be left out), with small pools.
const eventArb = eventArbitrary(worldEvents, {
  itemId: id,
  targetRoomId: id,
  containerId: fc.option(id, { nil: null }),
  key,
  direction: key,
  slot: key,
  generic: fc.constantFrom('item', 'room', 'player'),
  attributes: fc.dictionary(key, fc.integer(), { maxKeys: 2 }),
  exits: fc.constant({}),
  position: fc.option(fc.nat(3), { nil: undefined }),
}) as fc.Arbitrary<DomainEvent>;

describe('compiled fold (property)', () => {
  // The kinds the world's machines cover, from their table (not a list kept here).
  it.each(Object.keys(aggregateMachines) as AggregateKind[])('equals XState transition for any event history of a %s, valid or not', (kind) => {
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
