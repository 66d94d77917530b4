import { afterEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/world/commands.ts';
import { hashPassword } from '../../src/domain/password.ts';
import { isCommandRejectedError } from '../../src/errors.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import { createRuntime, silentLogger, type Runtime, type RuntimeOptions } from '../../src/index.ts';
import { SimulatedClock } from '../../src/testing/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const runtimes: Runtime[] = [];
function start(options: Partial<RuntimeOptions> & { path?: string } = {}): Runtime {
  const { path = temp.file(), ...rest } = options;
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, ...rest });
  runtimes.push(runtime);
  return runtime;
}
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
  temp.cleanup();
});

const room = (id: string): Command => ({ type: 'CreateRoom', id, name: id, description: `The ${id}.` });
const item = (id: string): Command => ({ type: 'CreateGameObject', id, name: id, generic: 'item' });

describe('runtime over SQLite', () => {
  it('executes a command and resolves with the stored events and new version', async () => {
    const runtime = start();
    const result = await runtime.execute(room('hall'), { correlationId: 'c-1', actorId: 'builder' });
    expect(result.aggregateId).toBe('hall');
    expect(result.version).toBe(2);
    expect(result.events.map((e) => [e.type, e.version, e.streamId])).toEqual([
      ['GameObjectCreated', 1, 'hall'],
      ['RoomCreated', 2, 'hall'],
    ]);
    expect(result.events[0]?.metadata).toEqual({ correlationId: 'c-1', causationId: null, actorId: 'builder' });
    expect(await runtime.state('hall')).toMatchObject({ kind: 'room', description: 'The hall.' });
  });

  it('sends through an actor ref, and refuses a command addressed to another id', async () => {
    const runtime = start();
    const hall = runtime.ref('hall');
    await hall.send(room('hall'));
    await hall.send({ type: 'AddRoomExit', id: 'hall', direction: 'north', targetRoomId: 'hall' });
    await expect(hall.send(room('kitchen'))).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await runtime.state('hall'))?.kind === 'room' && (await runtime.state('hall'))).toMatchObject({ exits: { north: 'hall' } });
    expect(await runtime.state('kitchen')).toBeUndefined();
  });

  it('names a transaction in metrics by the word the game gives it, and refuses a name that is not a bounded word (issue 11)', async () => {
    const runtime = start();
    await runtime.transaction([room('hall'), room('yard')], undefined, { name: 'dig' });
    expect(await runtime.metrics.metrics()).toMatch(/aethyr_commands_total\{type="dig",outcome="ok"\} 1/);
    for (const name of ['Dig', 'give sword', 'x'.repeat(41), '']) {
      await expect(runtime.transaction([room('cellar')], undefined, { name })).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await runtime.state('cellar')).toBeUndefined();
  });

  it('persists nothing for invalid input, unknown types, bad metadata or rejected commands', async () => {
    const runtime = start();
    await runtime.execute(room('hall'));
    const before = await runtime.stats();
    const attempts: Promise<unknown>[] = [
      runtime.execute({ type: 'Explode', id: 'hall' } as unknown as Command),
      runtime.execute({ type: 'CreateRoom', id: 'x' } as unknown as Command),
      runtime.execute(room('hall')),
      runtime.execute({ type: 'RemoveRoomExit', id: 'hall', direction: 'up' }),
      runtime.execute({ type: 'DeleteGameObject', id: 'nobody' }),
      runtime.execute(room('cellar'), { correlationId: '' }),
      runtime.execute(room('attic'), { sneaky: 1 } as never),
    ];
    const codes = (await Promise.allSettled(attempts)).map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'));
    expect(codes).toEqual(['VALIDATION', 'VALIDATION', 'REJECTED', 'REJECTED', 'NOT_FOUND', 'VALIDATION', 'VALIDATION']);
    expect(await runtime.stats()).toEqual(before);
    // and it keeps serving
    await runtime.execute(room('cellar'));
    expect((await runtime.stats()).aggregateCount).toBe(2);
  });

  it('runs many concurrent commands to one aggregate one at a time: versions 1..n, in order, no gaps', async () => {
    const runtime = start();
    await runtime.execute(item('chest'));
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'chest', key: 'n', value: i })),
    );
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: n }, (_, i) => i + 2));
    const history = await runtime.history('chest');
    expect(history.map((e) => e.version)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    expect(history.slice(1).map((e) => (e.type === 'GameObjectAttributeUpdated' ? e.data.value : null))).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    expect((await runtime.state('chest'))?.attributes).toEqual({ n: n - 1 });
  });

  it('decides commands waiting together in order, each against what the earlier ones did, in one append', async () => {
    const runtime = start();
    await runtime.execute(item('bag'));
    for (const id of ['gem', 'coin']) await runtime.execute({ type: 'CreateGameObject', id, name: id, generic: 'item', containerId: 'bag' });
    const batches = async () =>
      (await runtime.metrics.getMetricsAsJSON()).find((m) => m.name === 'aethyr_store_append_batch_size')?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
    const before = await batches();
    const outcomes = await Promise.allSettled([
      runtime.execute({ type: 'AddItemToInventory', id: 'bag', itemId: 'gem' }),
      runtime.execute({ type: 'AddItemToInventory', id: 'bag', itemId: 'gem' }),
      runtime.execute({ type: 'RemoveItemFromInventory', id: 'bag', itemId: 'gem' }),
      runtime.execute({ type: 'RemoveItemFromInventory', id: 'bag', itemId: 'gem' }),
      runtime.execute({ type: 'AddItemToInventory', id: 'bag', itemId: 'coin' }),
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.version : (o.reason as { reason: string }).reason))).toEqual([
      2,
      'ITEM_ALREADY_HELD',
      3,
      'ITEM_NOT_HELD',
      4,
    ]);
    expect(await batches()).toBe(before + 1); // one transaction, one fsync, for all of them
    expect((await runtime.state('bag'))?.inventory).toEqual(['coin']);
    expect((await runtime.history('bag')).map((e) => e.version)).toEqual([1, 2, 3, 4]);
  });

  it('two runtimes over one file: each version is won exactly once and no command is lost', async () => {
    const path = temp.file();
    const [a, b] = [start({ path, conflictRetries: 100 }), start({ path, conflictRetries: 100 })];
    await a.execute(item('chest'));
    const sends = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).execute({ type: 'UpdateGameObjectAttribute', id: 'chest', key: `k${i}`, value: i }),
    );
    const results = await Promise.all(sends);
    const versions = results.map((r) => r.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    const history = await a.history('chest');
    expect(history.map((e) => e.version)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(Object.keys((await b.state('chest'))?.attributes ?? {}).length).toBe(40);
  });

  it('snapshots every N events and spawns from snapshot plus tail', async () => {
    const path = temp.file();
    const runtime = start({ path, snapshotThreshold: 5 });
    await runtime.execute(item('gem'));
    for (let i = 0; i < 11; i++) await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'gem', key: 'shine', value: i });
    const snapshot = await runtime.store.loadSnapshot('gem');
    expect(snapshot).toMatchObject({ version: 10, kind: 'game_object', machineVersion: runtime.aggregates.kind('game_object').snapshotVersion });
    await runtime.close();
    const again = start({ path, snapshotThreshold: 5 });
    expect((await again.state('gem'))?.attributes).toEqual({ shine: 10 });
    const metrics = await again.metrics.getMetricsAsJSON();
    const loaded = metrics.find((m) => m.name === 'aethyr_snapshots_loaded_total')?.values[0]?.value;
    const events = metrics.find((m) => m.name === 'aethyr_events_loaded_total')?.values[0]?.value;
    expect(loaded).toBe(1);
    expect(events).toBe(2); // only the tail after version 10
  });

  it('ignores a snapshot made by another machine version and replays instead', async () => {
    const path = temp.file();
    const runtime = start({ path });
    await runtime.execute(item('gem'));
    await runtime.store.saveSnapshot({
      streamId: 'gem',
      version: 1,
      kind: 'game_object',
      machineVersion: 999,
      state: { status: 'active', value: 'active', context: { bogus: true } },
      createdAt: new Date().toISOString(),
    });
    await runtime.close();
    expect(await start({ path }).state('gem')).toMatchObject({ id: 'gem', name: 'gem', kind: 'game_object' });
  });

  it('passivates idle actors by timeout and respawns them on the next message', async () => {
    const clock = new SimulatedClock();
    const runtime = start({ clock, idleTimeoutMs: 1000 });
    await runtime.execute(item('a'));
    await runtime.execute(item('b'));
    expect((await runtime.stats()).liveActors).toBe(2);
    clock.advance(600);
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'b', key: 'k', value: 1 });
    clock.advance(600);
    expect(runtime.passivateIdle()).toBe(1);
    expect((await runtime.stats()).liveActors).toBe(1);
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'a', key: 'k', value: 2 });
    expect(await runtime.state('a')).toMatchObject({ attributes: { k: 2 } });
    expect((await runtime.stats()).liveActors).toBe(2);
  });

  it('caps live actors, evicting the least recently used', async () => {
    const runtime = start({ maxLiveActors: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await runtime.execute(item(id));
    expect((await runtime.stats()).liveActors).toBe(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(await runtime.state(id)).toMatchObject({ id });
    const text = await runtime.metrics.metrics();
    expect(text).toMatch(/aethyr_actor_passivations_total \d+/);
    expect(Number(/aethyr_actor_passivations_total (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(4);
  });

  it('answers history and state as it was, by version and by time', async () => {
    const clock = new SimulatedClock(Date.parse('2026-03-01T10:00:00Z'));
    const runtime = start({ clock });
    await runtime.execute(room('hall'));
    clock.advance(60_000);
    await runtime.execute({ type: 'UpdateRoomDescription', id: 'hall', description: 'Later.' });
    clock.advance(60_000);
    await runtime.execute({ type: 'DeleteGameObject', id: 'hall' });
    expect((await runtime.history('hall')).map((e) => e.type)).toEqual([
      'GameObjectCreated',
      'RoomCreated',
      'RoomDescriptionUpdated',
      'GameObjectDeleted',
    ]);
    expect(await runtime.stateAt('hall', { version: 2 })).toMatchObject({ description: 'The hall.', deleted: false });
    expect(await runtime.stateAt('hall', { time: '2026-03-01T10:01:30Z' })).toMatchObject({ description: 'Later.', deleted: false });
    expect(await runtime.stateAt('hall', { time: new Date('2026-03-01T10:05:00Z') })).toMatchObject({ deleted: true });
    expect(await runtime.stateAt('hall', { time: '2026-03-01T09:00:00Z' })).toBeUndefined();
    expect(await runtime.stateAt('hall', { version: 0 })).toBeUndefined();
    await expect(runtime.stateAt('nowhere', { version: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runtime.stateAt('hall', { time: 'not a time' })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('keeps a whole world across a restart', async () => {
    const path = temp.file();
    const runtime = start({ path });
    const hash = await hashPassword('correct horse');
    const commands: Command[] = [
      room('hall'),
      room('kitchen'),
      { type: 'AddRoomExit', id: 'hall', direction: 'north', targetRoomId: 'kitchen' },
      { type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: hash },
      { type: 'UpdatePlayerAdminStatus', id: 'ann', admin: true },
      { type: 'CreateGameObject', id: 'lamp', name: 'lamp', generic: 'item', containerId: 'ann' },
      { type: 'AddItemToInventory', id: 'ann', itemId: 'lamp' },
      { type: 'EquipItem', id: 'ann', itemId: 'lamp', slot: 'hand' },
      { type: 'UpdateGameObjectContainer', id: 'ann', containerId: 'hall' },
    ];
    for (const command of commands) await runtime.execute(command);
    const ids = ['hall', 'kitchen', 'ann', 'lamp'];
    const before = await Promise.all(ids.map((id) => runtime.state(id)));
    await runtime.close();
    const again = start({ path });
    expect(await Promise.all(ids.map((id) => again.state(id)))).toEqual(before);
    expect(await again.stats()).toMatchObject({ eventCount: 12, aggregateCount: 4 });
    // The creating appends carried each stream's kind; the store keeps it with the head (kindOfStream reads it).
    const store = new SqliteEventStore({ path });
    expect(await Promise.all(ids.map(async (id) => (await store.streamHead(id))?.kind))).toEqual(['room', 'room', 'player', 'game_object']);
    await store.close();
  });

  it('refuses commands after close, finishing those in flight first', async () => {
    const path = temp.file();
    const runtime = start({ path });
    const inFlight = Array.from({ length: 20 }, (_, i) => runtime.execute(item(`i${i}`)));
    await runtime.close();
    expect((await Promise.allSettled(inFlight)).every((r) => r.status === 'fulfilled')).toBe(true);
    await expect(runtime.execute(item('late'))).rejects.toMatchObject({ code: 'CLOSED' });
    const store = new SqliteEventStore({ path });
    expect((await store.stats()).aggregateCount).toBe(20);
    await store.close();
  });

  it('counts commands by type and outcome in Prometheus text', async () => {
    const runtime = start();
    await runtime.execute(room('hall'));
    await runtime.execute(room('hall')).catch((e: unknown) => expect(isCommandRejectedError(e)).toBe(true));
    await runtime.execute({ type: '<script>' } as never).catch(() => undefined);
    const text = await runtime.metrics.metrics();
    expect(text).toContain('aethyr_commands_total{type="CreateRoom",outcome="ok"} 1');
    expect(text).toContain('aethyr_commands_total{type="CreateRoom",outcome="rejected"} 1');
    expect(text).toContain('aethyr_commands_total{type="unknown",outcome="validation"} 1');
    expect(text).toContain('aethyr_events_stored_total 2');
    expect(text).toMatch(/aethyr_command_duration_seconds_count\{type="CreateRoom"\} 1/);
  });

  it('rejects nonsensical options with a ConfigError naming the option', () => {
    expect(() => createRuntime({ store: { kind: 'sqlite', path: ':memory:' }, snapshotThreshold: 0 })).toThrow(/snapshotThreshold must be a positive integer/);
  });
});
