import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  applyEvents,
  gameObjectMachine,
  initialSnapshot,
  initialState,
  toPersisted,
  replay,
  kindOfFirstEvent,
  playerMachine,
  restoreSnapshot,
  roomMachine,
} from '../../machines/index.ts';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import type { DomainEvent } from '../../src/world/events.ts';
import { worldAggregates } from '../../src/world/kinds.ts';

const world = new AggregateRegistry(worldAggregates);

const created = (generic: string): DomainEvent => ({ type: 'GameObjectCreated', data: { name: 'N', generic, containerId: null, attributes: {} } });

describe('machines', () => {
  it('start absent, become active on creation, and deleted on deletion', () => {
    const actor = createActor(gameObjectMachine, { input: { id: 'x' } }).start();
    expect(actor.getSnapshot().value).toBe('absent');
    actor.send(created('item'));
    expect(actor.getSnapshot().value).toBe('active');
    actor.send({ type: 'GameObjectDeleted', data: {} });
    expect(actor.getSnapshot().value).toBe('deleted');
    expect(actor.getSnapshot().context.deleted).toBe(true);
    actor.send({ type: 'GameObjectAttributeUpdated', data: { key: 'k', value: 1 } });
    expect(actor.getSnapshot().context.attributes).toEqual({});
    actor.stop();
  });
  it('ignore events before creation and events of other kinds', () => {
    const room = createActor(roomMachine, { input: { id: 'r' } }).start();
    room.send({ type: 'RoomExitAdded', data: { direction: 'n', targetRoomId: 'x' } });
    expect(room.getSnapshot().value).toBe('absent');
    room.send(created('room'));
    room.send({ type: 'PlayerAdminStatusUpdated', data: { admin: true } });
    expect(room.getSnapshot().context).not.toHaveProperty('admin');
    const player = createActor(playerMachine, { input: { id: 'p' } }).start();
    player.send(created('player'));
    player.send({ type: 'RoomDescriptionUpdated', data: { description: 'x' } });
    expect(player.getSnapshot().context).not.toHaveProperty('description');
  });
  it('tell the kind from the first event', () => {
    expect(kindOfFirstEvent(created('player'))).toBe('player');
    expect(kindOfFirstEvent(created('room'))).toBe('room');
    expect(kindOfFirstEvent(created('lamp'))).toBe('game_object');
    expect(() => kindOfFirstEvent({ type: 'GameObjectDeleted', data: {} })).toThrow(/must start with GameObjectCreated/);
  });
  it('pure replay and a live actor agree, and a persisted snapshot restores to the same state', () => {
    const events: DomainEvent[] = [
      created('room'),
      { type: 'RoomCreated', data: { description: 'd', exits: {} } },
      { type: 'RoomExitAdded', data: { direction: 'n', targetRoomId: 'k' } },
      { type: 'ItemAddedToInventory', data: { itemId: 'gem' } },
    ];
    const replayed = applyEvents('room', initialSnapshot('room', 'r'), events);
    const actor = createActor(roomMachine, { input: { id: 'r' } }).start();
    for (const event of events) actor.send(event);
    expect(actor.getSnapshot().context).toEqual(replayed.context);
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as unknown;
    const restored = restoreSnapshot('room', persisted);
    expect(restored.value).toBe('active');
    expect(restored.context).toEqual(replayed.context);
    // Our persisted form is exactly XState's, and reads back to the same state.
    const folded = replay('room', initialState('room', 'r'), events);
    expect(toPersisted(folded)).toEqual(persisted);
    expect(world.kind('room').parseSnapshot(persisted)).toEqual(folded);
    expect(() => world.kind('room').parseSnapshot({ value: 'flying', context: {} })).toThrow(/not a persisted room snapshot/);
    // A context that is not a room's state (inventory not a list) is refused too.
    expect(() => world.kind('room').parseSnapshot({ value: 'active', context: { ...folded.context as object, inventory: null } })).toThrow(/not a persisted room snapshot: inventory/);
    expect(initialState('player', 'p')).toEqual({ value: 'absent', context: initialSnapshot('player', 'p').context });
  });
  it('a throwing handler surfaces as an error from the pure fold', () => {
    const broken = { ...initialSnapshot('player', 'p'), value: 'active', context: { ...initialSnapshot('player', 'p').context, inventory: null } };
    expect(() => applyEvents('player', restoreSnapshot('player', broken), [{ type: 'ItemAddedToInventory', data: { itemId: 'x' } }])).toThrow();
  });
});
