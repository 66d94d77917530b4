import fc from 'fast-check';
import type { z } from 'zod';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import { commandSchemas, type Command, type CommandType } from '../../src/world/commands.ts';
import { worldAggregates } from '../../src/world/kinds.ts';
import { arbitraryFor } from './schemaArbitrary.ts';

export const HASHES = ['scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', 'scrypt$16384$8$1$c2FsdDJzYWx0MnNhbHQycw==$aGFzaDJoYXNoMmhhc2gyaGFzaDJoYXNoMmhhc2gyaGE='];

/** Small pools, so random sequences hit both the happy paths and every rejection. */
const ids = ['hall', 'cellar', 'ann', 'bob', 'sword', 'helm', 'chest'];
const items = ['sword', 'helm', 'chest', 'gem'];
const slots = ['head', 'hand'];
const directions = ['north', 'south', 'up'];

const id = fc.constantFrom(...ids);
const item = fc.constantFrom(...items);
const slot = fc.constantFrom(...slots);
const direction = fc.constantFrom(...directions);
const name = fc.constantFrom('A', 'B', 'Dusty room');
const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('x', 'y'), fc.boolean(), fc.constant(null));

/** Field pools by name, so random commands keep meeting the same aggregates, items, slots and exits. */
const fields = {
  id,
  itemId: item,
  slot,
  direction,
  targetRoomId: id,
  containerId: fc.option(id, { nil: null }),
  name,
  description: name,
  generic: fc.constantFrom('item', 'weapon', 'chest'),
  key: fc.constantFrom('hp', 'weight', 'color'),
  value,
  attributes: fc.dictionary(fc.constantFrom('hp', 'weight', 'color'), value, { maxKeys: 2 }),
  passwordHash: fc.constantFrom(...HASHES),
  position: fc.option(fc.nat(3), { nil: undefined }),
};

/**
 * Random valid commands (valid in shape; the world may still refuse them), one arbitrary per command
 * type the world's registry declares, derived from its schema: a new command cannot be left out.
 */
const world = new AggregateRegistry(worldAggregates);
// The objects, players and rooms the world read model projects. Mobiles, shops and timers have no read
// model tables yet: their replay is covered by the fold = XState property test for every kind
// (definition.property.test.ts) and their own integration tests.
const projected = world.commandTypes.filter((type) => Object.hasOwn(commandSchemas, type));
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  ...projected.map((type) => arbitraryFor(commandSchemas[type as CommandType] as unknown as z.ZodType<Command>, fields)),
);

/** Creates for most of the pool, in random order, so later commands usually find their target. */
const seedArb: fc.Arbitrary<Command[]> = fc.shuffledSubarray(
  [
    { type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'A hall.' },
    { type: 'CreateRoom', id: 'cellar', name: 'Cellar', description: 'Damp.' },
    { type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: HASHES[0] as string },
    { type: 'CreatePlayer', id: 'bob', name: 'Bob', passwordHash: HASHES[1] as string },
    { type: 'CreateGameObject', id: 'sword', name: 'Sword', generic: 'weapon' },
    { type: 'CreateGameObject', id: 'helm', name: 'Helm', generic: 'armour' },
    { type: 'CreateGameObject', id: 'chest', name: 'Chest', generic: 'chest' },
  ] satisfies Command[],
  { minLength: 3 },
);

/** Pick up an item and wield it: the pair that reaches equipment states often enough to matter. */
const wieldArb: fc.Arbitrary<Command[]> = fc.tuple(fc.constantFrom('ann', 'bob', 'chest'), item, slot).map(([holder, itemId, s]) => [
  // The item says where it goes first: an inventory lists only items placed in its holder (a read-set rule).
  { type: 'UpdateGameObjectContainer', id: itemId, containerId: holder },
  { type: 'AddItemToInventory', id: holder, itemId },
  { type: 'EquipItem', id: holder, itemId, slot: s },
]);

/** Mostly valid commands with some garbage mixed in. */
export const inputArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: commandArb },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('Explode', 'CreateRoom', 'EquipItem'), id: fc.oneof(id, fc.constant('')) }) },
  { weight: 1, arbitrary: fc.anything() },
);

/** A world seed followed by random input. */
export const sequenceArb = (maxLength: number): fc.Arbitrary<unknown[]> =>
  fc
    .tuple(seedArb, fc.array(fc.oneof({ weight: 4, arbitrary: inputArb.map((c) => [c]) }, { weight: 1, arbitrary: wieldArb }), { minLength: 1, maxLength, size: 'max' }))
    .map(([seed, rest]) => [...seed, ...rest.flat()]);

export const allIds = [...new Set([...ids, ...items])];
