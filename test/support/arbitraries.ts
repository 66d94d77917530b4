import fc from 'fast-check';
import type { Command } from '../../src/domain/commands.ts';

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

/** Random valid commands (valid in shape; the world may still refuse them). */
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('CreateGameObject' as const), id, name, generic: fc.constantFrom('item', 'weapon', 'chest') }),
  fc.record({ type: fc.constant('UpdateGameObjectAttribute' as const), id, key: fc.constantFrom('hp', 'weight'), value }),
  fc.record({ type: fc.constant('UpdateGameObjectAttributes' as const), id, attributes: fc.dictionary(fc.constantFrom('hp', 'weight', 'color'), value, { maxKeys: 2 }) }),
  fc.record({ type: fc.constant('UpdateGameObjectContainer' as const), id, containerId: fc.option(id, { nil: null }) }),
  fc.record({ type: fc.constant('DeleteGameObject' as const), id }),
  fc.record({ type: fc.constant('CreatePlayer' as const), id, name, passwordHash: fc.constantFrom(...HASHES) }),
  fc.record({ type: fc.constant('UpdatePlayerPassword' as const), id, passwordHash: fc.constantFrom(...HASHES) }),
  fc.record({ type: fc.constant('UpdatePlayerAdminStatus' as const), id, admin: fc.boolean() }),
  fc.record({ type: fc.constant('CreateRoom' as const), id, name, description: name }),
  fc.record({ type: fc.constant('UpdateRoomDescription' as const), id, description: name }),
  fc.record({ type: fc.constant('AddRoomExit' as const), id, direction, targetRoomId: id }),
  fc.record({ type: fc.constant('RemoveRoomExit' as const), id, direction }),
  fc.record({ type: fc.constant('AddItemToInventory' as const), id, itemId: item }),
  fc.record({ type: fc.constant('AddItemToInventory' as const), id, itemId: item, position: fc.nat(3) }),
  fc.record({ type: fc.constant('RemoveItemFromInventory' as const), id, itemId: item }),
  fc.record({ type: fc.constant('EquipItem' as const), id, itemId: item, slot }),
  fc.record({ type: fc.constant('UnequipItem' as const), id, itemId: item, slot }),
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
