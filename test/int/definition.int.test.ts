import Database from 'better-sqlite3';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, loadConfig, openRuntime, silentLogger, world, type Runtime } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';
import { WorkerPool } from '../../src/pool/WorkerPool.ts';
import { aggregates, counter } from '../support/testKinds.ts';
import { unsealSnapshot } from '../../src/eventStore/integrity.ts';

const temp = tempDirs();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  temp.cleanup();
});
function track<R extends { close(): Promise<void> }>(runtime: R): R {
  open.push(runtime);
  return runtime;
}
const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

describe('a runtime hosting a kind defined with defineAggregate', () => {
  it('runs its commands next to the world, routes by kind, and reads state back after a restart', async () => {
    const path = temp.file();
    const runtime = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, aggregates: [counter, ...world.worldAggregates] }));
    await runtime.execute({ type: 'CreateCounter', id: 'c' });
    for (let i = 0; i < 4; i++) await runtime.execute({ type: 'Add', id: 'c', by: 1 });
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    // The guarded machine: two adds fill it, the third moves it to b (whose entry counts), the fourth to b.high.
    expect(await runtime.state('c')).toEqual({ id: 'c', n: 3, entered: 2 });

    await expect(runtime.execute({ type: 'Add', id: 'hall', by: 1 })).rejects.toMatchObject({ code: 'REJECTED', reason: 'WRONG_KIND' });
    await expect(runtime.execute({ type: 'UpdateRoomDescription', id: 'c', description: 'x' })).rejects.toMatchObject({ code: 'REJECTED', reason: 'WRONG_KIND' });
    await expect(runtime.execute({ type: 'CreateRoom', id: 'c', name: 'C', description: '' })).rejects.toMatchObject({ code: 'REJECTED', reason: 'ALREADY_EXISTS' });
    await expect(runtime.execute({ type: 'CastSpell', id: 'c' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(runtime.execute({ type: 'Add', id: 'nobody', by: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(runtime.execute({ type: 'Add', id: 'c', by: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await runtime.history('c')).length).toBe(5);
    await runtime.close();

    const again = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, aggregates: [counter, ...world.worldAggregates] }));
    expect(await again.state('c')).toEqual({ id: 'c', n: 3, entered: 2 });
    expect(await again.stateAt('c', { version: 2 })).toEqual({ id: 'c', n: 1, entered: 1 });
  });

  it('a snapshot made by another version of a machine is ignored, and the aggregate rebuilt with the new one', async () => {
    const path = temp.file();
    const tally = (step: number) =>
      defineAggregate({
        kind: 'tally',
        commands: { Open: z.object({ id: z.string() }), Count: z.object({ id: z.string() }) },
        creates: ['Open'],
        events: { Opened: { schema: z.object({}) }, Counted: { schema: z.object({}) } },
        state: z.strictObject({ id: z.string(), total: z.number() }),
        machine: setup({
          types: { context: {} as { id: string; total: number }, input: {} as { id: string } },
          // The action's source differs between the two versions; nothing else does.
          actions: { count: step === 1 ? assign({ total: ({ context }) => context.total + 1 }) : assign({ total: ({ context }) => context.total + 10 }) },
        }).createMachine({
          id: 'tally',
          initial: 'open',
          context: ({ input }) => ({ id: input.id, total: 0 }),
          states: { open: { on: { Opened: {}, Counted: { actions: 'count' } } } },
        }),
        decide: (_state, command) => (command.type === 'Open' ? [{ type: 'Opened', data: {} }] : [{ type: 'Counted', data: {} }]),
      });
    const first = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, snapshotThreshold: 2, aggregates: [tally(1)] }));
    await first.execute({ type: 'Open', id: 't' });
    for (let i = 0; i < 4; i++) await first.execute({ type: 'Count', id: 't' });
    expect(await first.state('t')).toEqual({ id: 't', total: 4 });
    expect(await first.store.loadSnapshot('t')).toMatchObject({ version: 4, machineVersion: first.aggregates.kind('tally').snapshotVersion });
    await first.close();

    const second = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, snapshotThreshold: 100, aggregates: [tally(2)] }));
    expect(second.aggregates.kind('tally').snapshotVersion).not.toBe(first.aggregates.kind('tally').snapshotVersion);
    // 4 × 10: every event replayed through the new action; the old snapshot (total 4 at v4) would give 4 + 0.
    expect(await second.state('t')).toEqual({ id: 't', total: 40 });
  });

  it('a forged snapshot (right fingerprint, a state that is not a player) is refused, counted, and the player replayed', async () => {
    const path = temp.file();
    const runtime: Runtime = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger }));
    await runtime.execute({ type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: HASH });
    await runtime.transaction([
      { type: 'CreateGameObject', id: 'lamp', name: 'Lamp', generic: 'light', containerId: 'ann' },
      { type: 'AddItemToInventory', id: 'ann', itemId: 'lamp' },
    ]);
    const fingerprint = runtime.aggregates.kind('player').snapshotVersion;
    await runtime.close();

    const raw = new Database(path);
    const forged = { status: 'active', value: 'active', historyValue: {}, children: {}, context: { id: 'ann', kind: 'player', admin: true, inventory: null, equipment: {}, attributes: {}, deleted: false } };
    raw.prepare("INSERT INTO snapshots VALUES ('ann', 3, 'player', ?, ?, '2026-01-01T00:00:00Z')").run(fingerprint, JSON.stringify(forged));
    raw.close();

    const again = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger }));
    const state = await again.state('ann');
    expect(state).toMatchObject({ admin: false, inventory: ['lamp'], name: 'Ann' });
    expect(await again.metrics.metrics()).toContain('aethyr_snapshots_refused_total 1');
  });

  it('openRuntime hosts the given kinds over the configured store, which reads their events back after a restart', async () => {
    const config = loadConfig('conf/server.yml', { AETHYR_SQLITE_PATH: temp.file() });
    const first = track(await openRuntime(config, { logger: silentLogger, aggregates: [counter] }));
    await first.execute({ type: 'CreateCounter', id: 'c' });
    await first.execute({ type: 'Add', id: 'c', by: 2 });
    await first.close();
    const again = track(await openRuntime(config, { logger: silentLogger, aggregates: [counter] }));
    expect(await again.state('c')).toEqual({ id: 'c', n: 2, entered: 1 });
    expect((await again.history('c')).map((e) => e.type)).toEqual(['CounterCreated', 'Added']);
    // A runtime that does not host the kind refuses its commands as unknown.
    await again.close();
    const worldOnly = track(await openRuntime(config, { logger: silentLogger }));
    await expect(worldOnly.execute({ type: 'Add', id: 'c', by: 1 } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('rebuilding a world of defined kinds in the worker pool', () => {
  it('workers import the definitions from a module and replay them like the runtime', async () => {
    const path = temp.file();
    const runtime = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, aggregates }));
    for (const id of ['c1', 'c2', 'c3']) {
      await runtime.execute({ type: 'CreateCounter', id });
      for (let i = 0; i < 3; i++) await runtime.execute({ type: 'Add', id, by: 1 });
    }
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    const pool = track(new WorkerPool({ threads: 1, aggregates: new URL('../support/testKinds.ts', import.meta.url) }));
    const report = await runtime.rebuildWorldState({ pool });
    expect(report).toMatchObject({ aggregates: 4, parallel: true, divergent: [] });
    const snapshot = await runtime.store.loadSnapshot('c2');
    // The worker's fingerprint of the machine is the runtime's: the snapshot it wrote is usable here.
    expect(snapshot).toMatchObject({ kind: 'counter', version: 4, machineVersion: runtime.aggregates.kind('counter').snapshotVersion });
    expect(runtime.aggregates.kind('counter').parseSnapshot(snapshot && unsealSnapshot(snapshot).state)).toEqual({ value: { b: 'low' }, context: { id: 'c2', n: 2, entered: 2 } });
    const again = await runtime.rebuildWorldState({ pool, useSnapshots: true });
    expect(again).toMatchObject({ aggregates: 4, divergent: [] });
  });
});

describe('issue 12: names from player text are own properties through the whole path', () => {
  it('exits and slots named after Object.prototype members survive snapshots and a restart', async () => {
    const path = temp.file();
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const runtime: Runtime = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, snapshotThreshold: 3 }));
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    await runtime.execute({ type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: HASH });
    await runtime.execute({ type: 'CreateGameObject', id: 'hat', name: 'Hat', generic: 'hat', containerId: 'ann' });
    await runtime.execute({ type: 'AddItemToInventory', id: 'ann', itemId: 'hat' });
    for (const name of names) {
      await expect(runtime.execute({ type: 'RemoveRoomExit', id: 'hall', direction: name })).rejects.toMatchObject({ reason: 'EXIT_NOT_FOUND' });
      await runtime.execute({ type: 'CreateRoom', id: `to-${name}`, name: 'Beyond', description: '' });
      await runtime.execute({ type: 'AddRoomExit', id: 'hall', direction: name, targetRoomId: `to-${name}` });
    }
    await runtime.execute({ type: 'EquipItem', id: 'ann', itemId: 'hat', slot: 'constructor' });
    await runtime.close();

    const again: Runtime = track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger }));
    const hall = await again.state('hall');
    expect(Object.keys(hall?.kind === 'room' ? hall.exits : {}).sort()).toEqual([...names].sort());
    expect(Object.getPrototypeOf(hall?.kind === 'room' ? hall.exits : null)).toBe(Object.prototype);
    expect(hall?.kind === 'room' && Object.hasOwn(hall.exits, '__proto__') && hall.exits['__proto__']).toBe('to-__proto__');
    expect((await again.state('ann'))?.equipment).toEqual({ constructor: 'hat' });
    expect((await again.store.loadSnapshot('hall'))?.version).toBeGreaterThanOrEqual(3);
    // The snapshots were read back as states, not refused as malformed.
    const metrics = await again.metrics.metrics();
    expect(metrics).toContain('aethyr_snapshots_refused_total 0');
    expect(metrics).toMatch(/aethyr_snapshots_loaded_total [1-9]/);
  });
});

describe('metrics labels come from the registry', () => {
  it('a game kind’s commands are labelled from the start; a type no kind declares is counted as unknown', async () => {
    const runtime = track(createRuntime({ store: { kind: 'sqlite', path: temp.file() }, logger: silentLogger, aggregates: [counter] }));
    const before = await runtime.metrics.metrics();
    for (const type of ['CreateCounter', 'Add', 'Explode']) expect(before).toContain(`aethyr_commands_total{type="${type}",outcome="ok"} 0`);
    expect(before).not.toContain('type="CreateRoom"'); // the world is not hosted here, so none of its commands is a label
    await runtime.execute({ type: 'CreateCounter', id: 'c' });
    await expect(runtime.execute({ type: 'CastSpell', id: 'c' } as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    const after = await runtime.metrics.metrics();
    expect(after).toContain('aethyr_commands_total{type="CreateCounter",outcome="ok"} 1');
    expect(after).toContain('aethyr_commands_total{type="unknown",outcome="validation"} 1');
    expect(after).not.toContain('CastSpell');
  });
});
