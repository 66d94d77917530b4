import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/world/commands.ts';
import type { DomainEvent } from '../../src/world/events.ts';
import { given } from '../support/decider.ts';

const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
const HASH2 = 'scrypt$16384$8$1$c2FsdDJzYWx0MnNhbHQycw==$aGFzaDJoYXNoMmhhc2gyaGFzaDJoYXNoMmhhc2gyaGE=';

const objectCreated = (name = 'Sword', generic = 'weapon', containerId: string | null = null): DomainEvent => ({
  type: 'GameObjectCreated',
  data: { name, generic, containerId, attributes: {} },
});
const playerCreated: DomainEvent[] = [
  { type: 'GameObjectCreated', data: { name: 'Bob', generic: 'player', containerId: null, attributes: {} } },
  { type: 'PlayerCreated', data: { passwordHash: HASH, admin: false } },
];
const roomCreated: DomainEvent[] = [
  { type: 'GameObjectCreated', data: { name: 'Hall', generic: 'room', containerId: null, attributes: {} } },
  { type: 'RoomCreated', data: { description: 'A hall.', exits: {} } },
];
const deleted: DomainEvent = { type: 'GameObjectDeleted', data: {} };
const kitchen: DomainEvent[] = [
  { type: 'GameObjectCreated', data: { name: 'Kitchen', generic: 'room', containerId: null, attributes: {} } },
  { type: 'RoomCreated', data: { description: 'Pots.', exits: {} } },
];
/** An item that says it is in `containerId`. */
const placed = (containerId: string | null): DomainEvent => objectCreated('Gem', 'gem', containerId);
const holding = (itemId: string): DomainEvent => ({ type: 'ItemAddedToInventory', data: { itemId } });
const wearing = (itemId: string, slot: string): DomainEvent => ({ type: 'ItemEquipped', data: { itemId, slot } });

describe('GameObject commands', () => {
  it('CreateGameObject → GameObjectCreated with empty attributes', () => {
    const { state } = given()
      .when({ type: 'CreateGameObject', id: 'sword', name: 'Sword', generic: 'weapon', containerId: 'hall' })
      .then(objectCreated('Sword', 'weapon', 'hall'));
    expect(state).toMatchObject({ id: 'sword', kind: 'game_object', name: 'Sword', containerId: 'hall', deleted: false });
  });
  it('CreateGameObject without a container puts it nowhere', () => {
    given().when({ type: 'CreateGameObject', id: 'sword', name: 'Sword', generic: 'weapon' }).then(objectCreated());
  });
  it('rejects creating an id that exists, even a deleted one', () => {
    given(objectCreated()).when({ type: 'CreateGameObject', id: 'sword', name: 'X', generic: 'y' }).thenRejects('ALREADY_EXISTS');
    given(objectCreated(), deleted).when({ type: 'CreateRoom', id: 'sword', name: 'X', description: '' }).thenRejects('ALREADY_EXISTS');
    given(...roomCreated).when({ type: 'CreatePlayer', id: 'sword', name: 'X', passwordHash: HASH }).thenRejects('ALREADY_EXISTS');
  });
  it('rejects the reserved generics player and room', () => {
    given().when({ type: 'CreateGameObject', id: 'x', name: 'X', generic: 'player' }).thenRejects('RESERVED_GENERIC');
    given().when({ type: 'CreateGameObject', id: 'x', name: 'X', generic: 'room' }).thenRejects('RESERVED_GENERIC');
  });
  it('rejects an object that contains itself', () => {
    given().when({ type: 'CreateGameObject', id: 'x', name: 'X', generic: 'box', containerId: 'x' }).thenRejects('SELF_CONTAINMENT');
    given(objectCreated()).when({ type: 'UpdateGameObjectContainer', id: 'sword', containerId: 'sword' }).thenRejects('SELF_CONTAINMENT');
  });
  it('UpdateGameObjectAttribute → GameObjectAttributeUpdated, merged into attributes', () => {
    const { state } = given(objectCreated(), { type: 'GameObjectAttributeUpdated', data: { key: 'weight', value: 3 } })
      .when({ type: 'UpdateGameObjectAttribute', id: 'sword', key: 'damage', value: { dice: '2d6' } })
      .then({ type: 'GameObjectAttributeUpdated', data: { key: 'damage', value: { dice: '2d6' } } });
    expect(state?.attributes).toEqual({ weight: 3, damage: { dice: '2d6' } });
  });
  it('UpdateGameObjectAttributes → GameObjectAttributesUpdated, merged over existing keys', () => {
    const { state } = given(objectCreated(), { type: 'GameObjectAttributeUpdated', data: { key: 'weight', value: 3 } })
      .when({ type: 'UpdateGameObjectAttributes', id: 'sword', attributes: { weight: 4, sharp: true } })
      .then({ type: 'GameObjectAttributesUpdated', data: { attributes: { weight: 4, sharp: true } } });
    expect(state?.attributes).toEqual({ weight: 4, sharp: true });
  });
  it('UpdateGameObjectContainer → GameObjectContainerUpdated (null takes it out)', () => {
    const { state } = given(objectCreated())
      .when({ type: 'UpdateGameObjectContainer', id: 'sword', containerId: 'hall' })
      .then({ type: 'GameObjectContainerUpdated', data: { containerId: 'hall' } });
    expect(state?.containerId).toBe('hall');
    given(objectCreated('S', 'w', 'hall'))
      .when({ type: 'UpdateGameObjectContainer', id: 'sword', containerId: null })
      .then({ type: 'GameObjectContainerUpdated', data: { containerId: null } });
  });
  it('DeleteGameObject → GameObjectDeleted; the object is then deleted', () => {
    const { state } = given(objectCreated()).when({ type: 'DeleteGameObject', id: 'sword' }).then(deleted);
    expect(state?.deleted).toBe(true);
  });
  it('rejects every command to a deleted aggregate', () => {
    const commands: Command[] = [
      { type: 'UpdateGameObjectAttribute', id: 'sword', key: 'k', value: 1 },
      { type: 'UpdateGameObjectAttributes', id: 'sword', attributes: {} },
      { type: 'UpdateGameObjectContainer', id: 'sword', containerId: null },
      { type: 'DeleteGameObject', id: 'sword' },
      { type: 'AddItemToInventory', id: 'sword', itemId: 'gem' },
      { type: 'EquipItem', id: 'sword', itemId: 'gem', slot: 'x' },
    ];
    for (const command of commands) given(objectCreated(), deleted).when(command).thenRejects('DELETED');
    given(...playerCreated, deleted).when({ type: 'UpdatePlayerAdminStatus', id: 'bob', admin: true }).thenRejects('DELETED');
    given(...roomCreated, deleted).when({ type: 'UpdateRoomDescription', id: 'hall', description: 'x' }).thenRejects('DELETED');
  });
  it('reports NOT_FOUND for any non-create command to a never-created aggregate', () => {
    const commands: Command[] = [
      { type: 'UpdateGameObjectAttribute', id: 'ghost', key: 'k', value: 1 },
      { type: 'DeleteGameObject', id: 'ghost' },
      { type: 'UpdatePlayerPassword', id: 'ghost', passwordHash: HASH },
      { type: 'AddRoomExit', id: 'ghost', direction: 'n', targetRoomId: 'x' },
      { type: 'UnequipItem', id: 'ghost', itemId: 'i', slot: 's' },
    ];
    for (const command of commands) given().when(command).thenNotFound();
  });
});

describe('Player commands', () => {
  it('CreatePlayer → GameObjectCreated (generic player) then PlayerCreated, not admin', () => {
    const { state } = given().when({ type: 'CreatePlayer', id: 'bob', name: 'Bob', passwordHash: HASH }).then(...playerCreated);
    expect(state).toMatchObject({ kind: 'player', name: 'Bob', generic: 'player', passwordHash: HASH, admin: false });
  });
  it('UpdatePlayerPassword → PlayerPasswordUpdated', () => {
    const { state } = given(...playerCreated)
      .when({ type: 'UpdatePlayerPassword', id: 'bob', passwordHash: HASH2 })
      .then({ type: 'PlayerPasswordUpdated', data: { passwordHash: HASH2 } });
    expect(state).toMatchObject({ passwordHash: HASH2 });
  });
  it('UpdatePlayerAdminStatus → PlayerAdminStatusUpdated', () => {
    const { state } = given(...playerCreated)
      .when({ type: 'UpdatePlayerAdminStatus', id: 'bob', admin: true })
      .then({ type: 'PlayerAdminStatusUpdated', data: { admin: true } });
    expect(state).toMatchObject({ admin: true });
  });
  it('rejects player commands to other kinds', () => {
    given(objectCreated()).when({ type: 'UpdatePlayerPassword', id: 'sword', passwordHash: HASH }).thenRejects('WRONG_KIND');
    given(...roomCreated).when({ type: 'UpdatePlayerAdminStatus', id: 'hall', admin: true }).thenRejects('WRONG_KIND');
  });
});

describe('Room commands', () => {
  it('CreateRoom → GameObjectCreated (generic room) then RoomCreated with no exits', () => {
    const { state } = given().when({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'A hall.' }).then(...roomCreated);
    expect(state).toMatchObject({ kind: 'room', description: 'A hall.', exits: {} });
  });
  it('UpdateRoomDescription → RoomDescriptionUpdated', () => {
    const { state } = given(...roomCreated)
      .when({ type: 'UpdateRoomDescription', id: 'hall', description: 'Dusty.' })
      .then({ type: 'RoomDescriptionUpdated', data: { description: 'Dusty.' } });
    expect(state).toMatchObject({ description: 'Dusty.' });
  });
  it('AddRoomExit → RoomExitAdded; a second exit the same way is rejected', () => {
    const exit: DomainEvent = { type: 'RoomExitAdded', data: { direction: 'north', targetRoomId: 'kitchen' } };
    const { state } = given(...roomCreated).with('kitchen', ...kitchen).when({ type: 'AddRoomExit', id: 'hall', direction: 'north', targetRoomId: 'kitchen' }).then(exit);
    expect(state).toMatchObject({ exits: { north: 'kitchen' } });
    given(...roomCreated, exit).with('cellar', ...kitchen).when({ type: 'AddRoomExit', id: 'hall', direction: 'north', targetRoomId: 'cellar' }).thenRejects('EXIT_EXISTS');
  });
  it('AddRoomExit reads its target: a room that does not exist, is deleted or is not a room is refused', () => {
    const add = { type: 'AddRoomExit', id: 'hall', direction: 'north', targetRoomId: 'kitchen' } as const;
    given(...roomCreated).when(add).thenRejects('NO_SUCH_ROOM');
    given(...roomCreated).with('kitchen', ...kitchen, deleted).when(add).thenRejects('NO_SUCH_ROOM');
    given(...roomCreated).with('kitchen', objectCreated('Kitchen', 'sign')).when(add).thenRejects('NO_SUCH_ROOM');
    // An exit back into the same room needs no other room.
    given(...roomCreated).when({ ...add, targetRoomId: 'hall' }).then({ type: 'RoomExitAdded', data: { direction: 'north', targetRoomId: 'hall' } });
  });
  it('RemoveRoomExit → RoomExitRemoved; removing a missing exit is rejected', () => {
    const exit: DomainEvent = { type: 'RoomExitAdded', data: { direction: 'north', targetRoomId: 'kitchen' } };
    const { state } = given(...roomCreated, exit)
      .when({ type: 'RemoveRoomExit', id: 'hall', direction: 'north' })
      .then({ type: 'RoomExitRemoved', data: { direction: 'north' } });
    expect(state).toMatchObject({ exits: {} });
    given(...roomCreated).when({ type: 'RemoveRoomExit', id: 'hall', direction: 'south' }).thenRejects('EXIT_NOT_FOUND');
  });
  it('rejects room commands to other kinds', () => {
    given(...playerCreated).when({ type: 'UpdateRoomDescription', id: 'bob', description: 'x' }).thenRejects('WRONG_KIND');
    given(objectCreated()).when({ type: 'AddRoomExit', id: 'sword', direction: 'n', targetRoomId: 'x' }).thenRejects('WRONG_KIND');
    given(objectCreated()).when({ type: 'RemoveRoomExit', id: 'sword', direction: 'n' }).thenRejects('WRONG_KIND');
  });
});

describe('Inventory and equipment', () => {
  it('AddItemToInventory → ItemAddedToInventory, appended in order', () => {
    const { state } = given(...playerCreated, holding('a'))
      .with('b', placed('bob'))
      .when({ type: 'AddItemToInventory', id: 'bob', itemId: 'b' })
      .then({ type: 'ItemAddedToInventory', data: { itemId: 'b' } });
    expect(state?.inventory).toEqual(['a', 'b']);
  });
  it('AddItemToInventory at a position inserts there, clamped to the end', () => {
    const { state } = given(...playerCreated, holding('a'), holding('b'))
      .with('c', placed('bob'))
      .when({ type: 'AddItemToInventory', id: 'bob', itemId: 'c', position: 1 })
      .then({ type: 'ItemAddedToInventory', data: { itemId: 'c', position: 1 } });
    expect(state?.inventory).toEqual(['a', 'c', 'b']);
    given(...playerCreated, holding('a'))
      .with('c', placed('bob'))
      .when({ type: 'AddItemToInventory', id: 'bob', itemId: 'c', position: 99 })
      .then({ type: 'ItemAddedToInventory', data: { itemId: 'c', position: 1 } });
  });
  it('any holder has an inventory: rooms and chests too', () => {
    given(...roomCreated).with('gem', placed('hall')).when({ type: 'AddItemToInventory', id: 'hall', itemId: 'gem' }).then({ type: 'ItemAddedToInventory', data: { itemId: 'gem' } });
    given(objectCreated('Chest', 'chest')).with('gem', placed('sword')).when({ type: 'AddItemToInventory', id: 'sword', itemId: 'gem' }).then({ type: 'ItemAddedToInventory', data: { itemId: 'gem' } });
  });
  it('AddItemToInventory reads the item: it must exist and say it is here, so no item is listed by two holders', () => {
    const add = { type: 'AddItemToInventory', id: 'bob', itemId: 'gem' } as const;
    given(...playerCreated).when(add).thenRejects('NO_SUCH_ITEM');
    given(...playerCreated).with('gem', placed('bob'), deleted).when(add).thenRejects('NO_SUCH_ITEM');
    given(...playerCreated).with('gem', placed(null)).when(add).thenRejects('ITEM_ELSEWHERE');
    given(...playerCreated).with('gem', placed('ann')).when(add).thenRejects('ITEM_ELSEWHERE');
    // A mobile has no container: it is not an item anyone can hold.
    given(...playerCreated).with('gem', { type: 'MobileCreated', data: { name: 'rat', roomId: 'hall', stats: { hp: 1, attack: 0 }, route: ['hall'], wanderEveryMs: 1000 } }).when(add).thenRejects('NO_SUCH_ITEM');
  });
  it('UpdateGameObjectContainer reads the current holder: an item still in its inventory cannot move away', () => {
    const move = { type: 'UpdateGameObjectContainer', id: 'sword', containerId: 'bob' } as const;
    given(objectCreated('Sword', 'weapon', 'ann')).with('ann', ...playerCreated, holding('sword')).when(move).thenRejects('ITEM_HELD');
    given(objectCreated('Sword', 'weapon', 'ann')).with('ann', ...playerCreated).when(move).then({ type: 'GameObjectContainerUpdated', data: { containerId: 'bob' } });
    // Staying put, or a holder that no longer exists, reads nothing in the way.
    given(objectCreated('Sword', 'weapon', 'ann')).when(move).then({ type: 'GameObjectContainerUpdated', data: { containerId: 'bob' } });
  });
  it('rejects adding an item already held, or the holder itself', () => {
    given(...playerCreated, holding('a')).when({ type: 'AddItemToInventory', id: 'bob', itemId: 'a' }).thenRejects('ITEM_ALREADY_HELD');
    given(...playerCreated).when({ type: 'AddItemToInventory', id: 'bob', itemId: 'bob' }).thenRejects('SELF_REFERENCE');
  });
  it('RemoveItemFromInventory → ItemRemovedFromInventory', () => {
    const { state } = given(...playerCreated, holding('a'), holding('b'))
      .when({ type: 'RemoveItemFromInventory', id: 'bob', itemId: 'a' })
      .then({ type: 'ItemRemovedFromInventory', data: { itemId: 'a' } });
    expect(state?.inventory).toEqual(['b']);
  });
  it('rejects removing an item not held, or one equipped', () => {
    given(...playerCreated).when({ type: 'RemoveItemFromInventory', id: 'bob', itemId: 'a' }).thenRejects('ITEM_NOT_HELD');
    given(...playerCreated, holding('a'), wearing('a', 'head')).when({ type: 'RemoveItemFromInventory', id: 'bob', itemId: 'a' }).thenRejects('ITEM_EQUIPPED');
  });
  it('EquipItem → ItemEquipped; the item stays in the inventory', () => {
    const { state } = given(...playerCreated, holding('helm'))
      .when({ type: 'EquipItem', id: 'bob', itemId: 'helm', slot: 'head' })
      .then(wearing('helm', 'head'));
    expect(state).toMatchObject({ inventory: ['helm'], equipment: { head: 'helm' } });
  });
  it('rejects equipping an item not held, into an occupied slot, or twice', () => {
    given(...playerCreated).when({ type: 'EquipItem', id: 'bob', itemId: 'helm', slot: 'head' }).thenRejects('ITEM_NOT_HELD');
    given(...playerCreated, holding('helm'), holding('cap'), wearing('helm', 'head'))
      .when({ type: 'EquipItem', id: 'bob', itemId: 'cap', slot: 'head' })
      .thenRejects('SLOT_OCCUPIED');
    given(...playerCreated, holding('ring'), wearing('ring', 'left'))
      .when({ type: 'EquipItem', id: 'bob', itemId: 'ring', slot: 'right' })
      .thenRejects('ITEM_ALREADY_EQUIPPED');
  });
  it('UnequipItem → ItemUnequipped; unequipping what is not equipped there is rejected', () => {
    const { state } = given(...playerCreated, holding('helm'), wearing('helm', 'head'))
      .when({ type: 'UnequipItem', id: 'bob', itemId: 'helm', slot: 'head' })
      .then({ type: 'ItemUnequipped', data: { itemId: 'helm', slot: 'head' } });
    expect(state).toMatchObject({ inventory: ['helm'], equipment: {} });
    given(...playerCreated, holding('helm')).when({ type: 'UnequipItem', id: 'bob', itemId: 'helm', slot: 'head' }).thenRejects('NOT_EQUIPPED');
    given(...playerCreated, holding('helm'), holding('cap'), wearing('helm', 'head'))
      .when({ type: 'UnequipItem', id: 'bob', itemId: 'cap', slot: 'head' })
      .thenRejects('NOT_EQUIPPED');
  });
});
