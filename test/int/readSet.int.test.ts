import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isCommandRejectedError, isConcurrencyError } from '../../src/errors.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import type { EventStore } from '../../src/eventStore/types.ts';
import { Manager } from '../../src/game/Manager.ts';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { attribute, created, newEvents } from '../support/events.ts';
import { openImmudbStore } from '../support/immudb.ts';
import { openPostgresStore } from '../support/postgres.ts';
import { tempDirs } from '../support/tempStore.ts';

const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
const temp = tempDirs();
const runtimes: Runtime[] = [];
const stores: EventStore[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
  for (const store of stores.splice(0)) await store.close();
});
afterAll(() => temp.cleanup());

function start(path: string, conflictRetries = 3): Runtime {
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, shadowReplay: false, conflictRetries });
  runtimes.push(runtime);
  return runtime;
}

/**
 * A condition is an AppendPart with no events and an expected version: every adapter checks it in the
 * same transaction as the rest of the append, and stores nothing for it.
 */
describe.each([
  ['SQLite', async () => new SqliteEventStore({ path: temp.file() })],
  ['ImmuDB', () => openImmudbStore()],
  ['PostgreSQL', () => openPostgresStore()],
])('a zero-event part with an expected version on %s', (_, open) => {
  async function fresh(): Promise<EventStore> {
    const store = await open();
    stores.push(store);
    await store.appendToStream('room', newEvents(created('Room')), { expectedVersion: 'no_stream' });
    return store;
  }

  it('lets the append through while the read stream is at that version, and stores nothing for it', async () => {
    const store = await fresh();
    const results = await store.appendMany([
      { streamId: 'a', events: newEvents(created('A')), options: { expectedVersion: 'no_stream' } },
      { streamId: 'room', events: [], options: { expectedVersion: 1 } },
      { streamId: 'nowhere', events: [], options: { expectedVersion: 0 } },
    ]);
    expect(results.map((r) => [r.streamId, r.nextExpectedVersion, r.events.length])).toEqual([
      ['a', 1, 1],
      ['room', 1, 0],
      ['nowhere', 0, 0],
    ]);
    expect(await store.streamVersion('room')).toBe(1);
    // A condition on a stream that does not exist does not create it.
    expect(await store.streamVersion('nowhere')).toBe(0);
    expect((await store.listStreams({ limit: 10 })).map((s) => s.streamId).sort()).toEqual(['a', 'room']);
    expect((await store.readAll({ limit: 10 })).length).toBe(2);
  });

  it('refuses the whole append (ConcurrencyError, nothing stored) once the read stream moved or came to exist', async () => {
    const store = await fresh();
    await store.appendToStream('room', newEvents(attribute('k', 1)), { expectedVersion: 1 });
    await store.appendToStream('late', newEvents(created('Late')), { expectedVersion: 'no_stream' });
    for (const condition of [
      { streamId: 'room', events: [], options: { expectedVersion: 1 } },
      { streamId: 'late', events: [], options: { expectedVersion: 0 } },
    ]) {
      const error = await store.appendMany([{ streamId: 'a', events: newEvents(created('A')), options: { expectedVersion: 'no_stream' } }, condition]).catch((e: unknown) => e);
      expect(isConcurrencyError(error)).toBe(true);
    }
    expect(await store.streamVersion('a')).toBe(0);
    expect((await store.readAll({ limit: 10 })).map((e) => e.streamId)).toEqual(['room', 'room', 'late']);
  });
});

describe('read-set conditions in the world, on a real SQLite file shared by two runtimes', () => {
  it('an exit to a room another runtime deleted meanwhile is refused: the stale read fails its condition and the command is decided again', async () => {
    const path = temp.file();
    const [a, b] = [start(path), start(path)];
    await a.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    await a.execute({ type: 'CreateRoom', id: 'cellar', name: 'Cellar', description: '' });
    // b holds the cellar live (its committed state at version 2); a then deletes it.
    expect(await b.state('cellar')).toMatchObject({ deleted: false });
    await a.execute({ type: 'DeleteGameObject', id: 'cellar' });
    await expect(b.execute({ type: 'AddRoomExit', id: 'hall', direction: 'down', targetRoomId: 'cellar' })).rejects.toMatchObject({ code: 'REJECTED', reason: 'NO_SUCH_ROOM' });
    await expect(b.execute({ type: 'AddRoomExit', id: 'hall', direction: 'down', targetRoomId: 'nowhere' })).rejects.toMatchObject({ reason: 'NO_SUCH_ROOM' });
    expect(await b.history('hall')).toHaveLength(2); // nothing stored for either
    await b.execute({ type: 'CreateRoom', id: 'attic', name: 'Attic', description: '' });
    await b.execute({ type: 'AddRoomExit', id: 'hall', direction: 'up', targetRoomId: 'attic' });
    expect(await start(path).state('hall')).toMatchObject({ exits: { up: 'attic' } });
  });

  it('adding an item that does not exist is refused with nothing stored', async () => {
    const runtime = start(temp.file());
    await runtime.execute({ type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: HASH });
    await expect(runtime.execute({ type: 'AddItemToInventory', id: 'ann', itemId: 'ghost' })).rejects.toMatchObject({ reason: 'NO_SUCH_ITEM' });
    await runtime.execute({ type: 'CreateGameObject', id: 'gone', name: 'Gone', generic: 'thing', containerId: 'ann' });
    await runtime.execute({ type: 'DeleteGameObject', id: 'gone' });
    await expect(runtime.execute({ type: 'AddItemToInventory', id: 'ann', itemId: 'gone' })).rejects.toMatchObject({ reason: 'NO_SUCH_ITEM' });
    expect(await runtime.history('ann')).toHaveLength(2); // as created: nothing added
    expect((await runtime.state('ann'))?.inventory).toEqual([]);
  });

  it('many commands waiting together read many aggregates: one append, one condition each', async () => {
    const runtime = start(temp.file());
    await runtime.execute({ type: 'CreateGameObject', id: 'sack', name: 'Sack', generic: 'sack' });
    const ids = Array.from({ length: 60 }, (_, i) => `pebble${i}`);
    for (const id of ids) await runtime.execute({ type: 'CreateGameObject', id, name: id, generic: 'pebble', containerId: 'sack' });
    const results = await Promise.all(ids.map((itemId) => runtime.execute({ type: 'AddItemToInventory', id: 'sack', itemId })));
    expect(results.map((r) => r.version)).toEqual(ids.map((_, i) => i + 2));
    expect((await runtime.state('sack'))?.inventory).toEqual(ids);
  });

  it('a move read against a stale holder fails its condition: the item is not listed by two holders', async () => {
    const path = temp.file();
    const [a, b] = [start(path), start(path)];
    await a.execute({ type: 'CreatePlayer', id: 'bob', name: 'Bob', passwordHash: HASH });
    await a.execute({ type: 'CreateGameObject', id: 'chest', name: 'Chest', generic: 'chest' });
    await a.execute({ type: 'CreateGameObject', id: 'gem', name: 'Gem', generic: 'gem', containerId: 'chest' });
    expect(await b.state('chest')).toMatchObject({ inventory: [] }); // b's live chest: before a lists the gem
    await a.execute({ type: 'AddItemToInventory', id: 'chest', itemId: 'gem' });
    // b moves the gem to Bob: its live chest says the gem is not listed; the store says the chest moved on.
    const moved = b.transaction([
      { type: 'UpdateGameObjectContainer', id: 'gem', containerId: 'bob' },
      { type: 'AddItemToInventory', id: 'bob', itemId: 'gem' },
    ]);
    await expect(moved).rejects.toMatchObject({ code: 'REJECTED', reason: 'ITEM_HELD', aggregateId: 'gem' });
    expect((await b.state('bob'))?.inventory).toEqual([]);
    expect(await a.state('gem')).toMatchObject({ containerId: 'chest' });
  });

  it('concurrent gets and gives of one item from two runtimes: exactly one wins each time, and every item is listed once, by its container', async () => {
    const path = temp.file();
    const [a, b] = [start(path, 20), start(path, 20)];
    const setup = new Manager(a);
    await setup.createRoom({ id: 'hall', name: 'Hall', description: '' });
    for (const name of ['Ann', 'Bob', 'Cat']) await a.transaction([{ type: 'CreatePlayer', id: name.toLowerCase(), name, passwordHash: HASH }, { type: 'UpdateGameObjectContainer', id: name.toLowerCase(), containerId: 'hall' }]);
    const items = Array.from({ length: 12 }, (_, i) => `gem${i}`);
    for (const id of items) await setup.createObject({ id, name: id, generic: 'gem', heldBy: 'hall' });
    const [ma, mb] = [new Manager(a), new Manager(b)];
    // Round 1: Ann (on a) and Bob (on b) both get every gem from the floor at once.
    const gets = await Promise.allSettled(items.flatMap((id) => [ma.transfer(id, 'hall', 'ann', 'get'), mb.transfer(id, 'hall', 'bob', 'get')]));
    // Round 2: whoever has each gem gives it to Cat from both runtimes at once; the other runtime's give is refused.
    const holder = async (id: string) => (await a.state(id))?.containerId as string;
    const gives = await Promise.allSettled(items.flatMap((id) => [holder(id).then((h) => ma.transfer(id, h, 'cat', 'give')), holder(id).then((h) => mb.transfer(id, h, 'cat', 'give'))]));
    for (const round of [gets, gives]) {
      for (let i = 0; i < round.length; i += 2) {
        const pair = [round[i], round[i + 1]] as PromiseSettledResult<unknown>[];
        expect(pair.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const lost = pair.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(isCommandRejectedError(lost.reason)).toBe(true);
      }
    }
    const fresh = start(path);
    const listed = new Map<string, string[]>();
    for (const id of ['hall', 'ann', 'bob', 'cat']) for (const item of (await fresh.state(id))?.inventory ?? []) listed.set(item, [...(listed.get(item) ?? []), id]);
    for (const id of items) {
      expect(listed.get(id)).toEqual(['cat']);
      expect(await fresh.state(id)).toMatchObject({ containerId: 'cat' });
    }
  });
});
