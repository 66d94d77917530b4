import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/world/commands.ts';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { openProjectionDb, readCheckpoint } from '../../src/projections/projectionDb.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { createProjections } from '../../src/projections/projections.ts';
import type { Reactor } from '../../src/projections/reactor.ts';
import { migrateProjection } from '../../src/projections/schema.ts';
import { worldReadModel } from '../../src/world/projection.ts';
import { worldProjection } from '../../src/projections/worldProjection.ts';
import { buy } from '../../src/world/shop.ts';
import { actualTables } from '../support/expectedTables.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
  temp.cleanup();
});

function runtimeOn(path = temp.file()): Runtime {
  const runtime = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger: silentLogger });
  open.push(runtime);
  return runtime;
}

const world: Command[] = [
  { type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'A long hall.' },
  { type: 'CreateRoom', id: 'yard', name: 'Yard', description: 'Open sky.' },
  { type: 'AddRoomExit', id: 'hall', direction: 'out', targetRoomId: 'yard' },
  { type: 'AddRoomExit', id: 'yard', direction: 'in', targetRoomId: 'hall' },
  { type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=' },
  { type: 'UpdatePlayerAdminStatus', id: 'ann', admin: true },
  { type: 'CreatePlayer', id: 'bob', name: 'Bob', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=' },
  { type: 'UpdateGameObjectContainer', id: 'ann', containerId: 'hall' },
  { type: 'CreateGameObject', id: 'helm', name: 'helm', generic: 'armour', containerId: 'ann' },
  { type: 'CreateGameObject', id: 'lamp', name: 'lamp', generic: 'light', containerId: 'hall' },
  { type: 'AddItemToInventory', id: 'ann', itemId: 'helm' },
  { type: 'EquipItem', id: 'ann', itemId: 'helm', slot: 'head' },
  { type: 'AddItemToInventory', id: 'hall', itemId: 'lamp' },
];

describe('read model', () => {
  it('answers the queries a game needs', async () => {
    const runtime = runtimeOn();
    for (const command of world) await runtime.execute(command);
    const projections = createProjections(runtime.store, { path: temp.file('p.db') });
    open.push(projections);
    await projections.catchUp();
    const rm = projections.readModel;
    expect(rm.contentsOf('hall').map((o) => o.id)).toEqual(['ann', 'lamp']);
    expect(rm.holdersOf('helm')).toEqual(['ann']);
    expect(rm.equipmentOf('ann')).toEqual({ head: 'helm' });
    expect(rm.exitsOf('hall')).toEqual({ out: 'yard' });
    expect(rm.admins().map((a) => a.name)).toEqual(['Ann']);
    expect(rm.findByName('player', 'BOB').map((p) => p.id)).toEqual(['bob']);
    expect(rm.inventoryOf('hall')).toEqual(['lamp']);
    expect(rm.roomDescription('yard')).toBe('Open sky.');
    expect(rm.object('ann')).toMatchObject({ kind: 'player', containerId: 'hall', deleted: false });
    expect(rm.allOfKind('room').map((r) => r.id)).toEqual(['hall', 'yard']);
    // The indexes that serve them are there.
    const plans = ['SELECT * FROM game_objects WHERE container_id = ? AND deleted = 0', 'SELECT * FROM inventory WHERE item_id = ?', 'SELECT * FROM equipment WHERE holder_id = ?'];
    for (const sql of plans) {
      const plan = JSON.stringify(projections.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x'));
      expect(plan).toMatch(/USING (COVERING )?INDEX|PRIMARY KEY/);
    }
  });

  it('passes over events of kinds it does not project (mobiles, timers) and keeps projecting the world', async () => {
    const runtime = runtimeOn();
    for (const command of world) await runtime.execute(command);
    await runtime.execute({ type: 'CreateMobile', id: 'rat', name: 'a rat', roomId: 'hall', stats: { hp: 3, attack: 1 }, route: ['hall', 'yard'], wanderEveryMs: 5_000 } as unknown as Command);
    await runtime.execute({ type: 'CreateGameObject', id: 'coin', name: 'coin', generic: 'coin', containerId: 'yard' });
    const projections = createProjections(runtime.store, { path: temp.file('p.db') });
    open.push(projections);
    await projections.catchUp();
    expect(projections.health()).toMatchObject({ ok: true, failedReactors: [] });
    expect(projections.health().projector.state).not.toBe('failed');
    expect(projections.readModel.contentsOf('yard').map((o) => o.id)).toContain('coin');
    expect(readCheckpoint(projections.db, 'world')).toBe(await runtime.store.headPosition());
  });

  it('follows new commits as they happen, and reports lag and position in metrics', async () => {
    const runtime = runtimeOn();
    const metrics = createMetrics();
    const projections = createProjections(runtime.store, { path: temp.file('p.db'), metrics });
    open.push(projections);
    projections.start();
    for (const command of world) await runtime.execute(command);
    await projections.catchUp();
    expect(projections.readModel.exitsOf('yard')).toEqual({ in: 'hall' });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`aethyr_projection_position{name="world"} ${await runtime.store.headPosition()}`);
  });
});

describe('projector', () => {
  it('stops at an event it cannot apply, reports it, does not advance past it, and resumes on retry', async () => {
    const runtime = runtimeOn();
    for (const command of world) await runtime.execute(command);
    const db = openProjectionDb(temp.file('p.db'));
    const apply = worldProjection(db);
    let broken = true;
    const metrics = createMetrics();
    const projector = new Projector(runtime.store, db, (event) => {
      if (broken && event.type === 'ItemEquipped') throw new Error('disk full');
      apply(event);
    }, { name: 'world', batchSize: 5, metrics });
    projector.start();
    await projector.catchUp();
    const failedAt = (await runtime.history('ann')).find((e) => e.type === 'ItemEquipped')?.position ?? 0;
    expect(projector.status()).toMatchObject({ state: 'failed', position: failedAt - 1, failure: { position: failedAt, streamId: 'ann', type: 'ItemEquipped', error: 'disk full' } });
    expect(readCheckpoint(db, 'world')).toBe(failedAt - 1);
    expect(await metrics.registry.metrics()).toContain('aethyr_projection_failures_total{name="world"} 1');
    await runtime.execute({ type: 'UpdateRoomDescription', id: 'yard', description: 'Rain.' });
    await projector.catchUp();
    expect(readCheckpoint(db, 'world')).toBe(failedAt - 1); // it does not skip ahead
    broken = false;
    await projector.retry();
    expect(projector.status()).toMatchObject({ state: 'running', position: await runtime.store.headPosition() });
    expect(db.prepare("SELECT description FROM rooms WHERE id = 'yard'").get()).toEqual({ description: 'Rain.' });
    await projector.stop();
    db.close();
  });

  it('killed mid-batch, resumes with no duplicates or gaps', async () => {
    const storePath = temp.file();
    const runtime = runtimeOn(storePath);
    for (let i = 0; i < 300; i++) await runtime.execute({ type: 'CreateGameObject', id: `coin${i}`, name: `coin ${i}`, generic: 'coin', containerId: 'vault' });
    for (let i = 0; i < 300; i++) await runtime.execute({ type: 'UpdateGameObjectAttribute', id: `coin${i}`, key: 'shine', value: i });
    const projectionPath = temp.file('p.db');
    openProjectionDb(projectionPath).close();

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/projectorChild.ts', storePath, projectionPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const positions = chunk.toString().split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
        seen = Math.max(seen, ...positions);
        if (seen >= 120) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve(undefined) : child.on('exit', resolve)));
    expect(child.signalCode).toBe('SIGKILL');

    const db = openProjectionDb(projectionPath);
    const checkpoint = readCheckpoint(db, 'world');
    // Killed while applying event `seen` (uncommitted): the checkpoint is the last whole batch before it.
    expect(checkpoint % 50).toBe(0);
    expect(checkpoint).toBeGreaterThanOrEqual(100);
    expect(checkpoint).toBeLessThan(seen);
    // What was committed is exactly the events up to the checkpoint: no half batch.
    const projected = (db.prepare('SELECT count(*) AS n FROM game_objects').get() as { n: number }).n;
    expect(projected).toBe(Math.min(checkpoint, 300));
    const projector = new Projector(runtime.store, db, worldProjection(db), { name: 'world', batchSize: 50 });
    await projector.catchUp();
    const rows = db.prepare('SELECT id, attributes, version FROM game_objects ORDER BY id').all() as { id: string; attributes: string; version: number }[];
    expect(rows).toHaveLength(300);
    for (const row of rows) {
      const i = Number(row.id.slice(4));
      expect(row.version).toBe(2);
      expect(JSON.parse(row.attributes)).toEqual({ shine: i });
    }
    expect(readCheckpoint(db, 'world')).toBe(600);
    db.close();
  }, 60_000);
});

describe('schema migrations', () => {
  it('apply in order on a file left at an old schema version, keeping its rows and checkpoint', async () => {
    const runtime = runtimeOn();
    for (const command of world) await runtime.execute(command);
    const path = temp.file('old.db');
    const old = new Database(path);
    expect(migrateProjection(old, worldReadModel, 1)).toBe(1); // a file from before migration 2
    old.prepare("INSERT INTO game_objects (id, kind, name, generic, container_id, attributes, deleted, version) VALUES ('hall', 'room', 'Hall', 'room', NULL, '{}', 0, 2)").run();
    old.prepare("INSERT INTO checkpoints (name, position, updated_at) VALUES ('other', 7, 'x')").run();
    old.close();

    const db = openProjectionDb(path);
    const applied = db.prepare("SELECT version FROM projection_migrations WHERE projection = 'world' ORDER BY version").all();
    expect(applied).toEqual(worldReadModel.migrations.map((_, i) => ({ version: i + 1 })));
    expect(db.prepare("SELECT id, updated_at FROM game_objects WHERE id = 'hall'").get()).toEqual({ id: 'hall', updated_at: null });
    expect(readCheckpoint(db, 'other')).toBe(7);
    expect(JSON.stringify(db.prepare("EXPLAIN QUERY PLAN SELECT * FROM game_objects WHERE kind = 'player' AND name = 'x' AND deleted = 0").all())).toContain('game_objects_kind_name');
    db.close();
    expect(() => {
      const newer = new Database(path);
      newer.prepare("INSERT INTO projection_migrations VALUES ('world', 99, ?)").run('x');
      newer.close();
      openProjectionDb(path);
    }).toThrow(/newer than this code supports/);
  });
});

describe('rebuild', () => {
  it('keeps serving reads from the current tables while it runs, then swaps atomically', async () => {
    const runtime = runtimeOn();
    for (const command of world) await runtime.execute(command);
    for (let i = 0; i < 200; i++) await runtime.execute({ type: 'CreateGameObject', id: `gem${i}`, name: 'gem', generic: 'gem', containerId: 'yard' });
    const projections = createProjections(runtime.store, { path: temp.file('p.db') });
    open.push(projections);
    projections.start();
    await projections.catchUp();
    const before = actualTables(projections.db);
    // Corrupt the live tables: the rebuild must not read them, only replace them.
    projections.db.prepare("UPDATE rooms SET description = 'wrong' WHERE id = 'hall'").run();
    const readsDuring: number[] = [];
    const rebuilt = projections.rebuild(() => readsDuring.push(projections.readModel.contentsOf('yard').length));
    await runtime.execute({ type: 'CreateGameObject', id: 'late', name: 'late', generic: 'gem', containerId: 'yard' });
    const report = await rebuilt;
    await projections.catchUp();
    expect(report.events).toBeGreaterThanOrEqual(before.game_objects.length);
    expect(readsDuring.length).toBeGreaterThan(0);
    expect(readsDuring.every((n) => n >= 200)).toBe(true); // the old tables answered meanwhile
    expect(projections.readModel.roomDescription('hall')).toBe('A long hall.');
    expect(projections.readModel.contentsOf('yard')).toHaveLength(201);
    expect(projections.status().position).toBe(await runtime.store.headPosition());
    const leftovers = projections.db.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%__next%'").all();
    expect(leftovers).toEqual([]);
  });
});

describe('reactors', () => {
  it('react at least once from their own checkpoint, and a failing one is retried without stopping others', async () => {
    const runtime = runtimeOn();
    const seen: string[] = [];
    let failures = 0;
    const greeter: Reactor = {
      name: 'greeter',
      eventTypes: ['PlayerCreated'],
      handle: (event) => {
        seen.push(event.streamId);
      },
    };
    const flaky: Reactor = {
      name: 'flaky',
      eventTypes: ['RoomCreated'],
      handle: () => {
        if (failures++ < 2) throw new Error('mail server down');
      },
    };
    const path = temp.file('p.db');
    const metrics = createMetrics();
    const projections = createProjections(runtime.store, { path, reactors: [greeter, flaky], retryDelayMs: 10, metrics });
    projections.start();
    for (const command of world) await runtime.execute(command);
    await projections.catchUp();
    expect(seen).toEqual(['ann', 'bob']);
    expect(projections.readModel.exitsOf('hall')).toEqual({ out: 'yard' }); // projections unaffected
    await expect.poll(() => failures, { timeout: 5000 }).toBeGreaterThanOrEqual(4); // 2 failures, then both rooms
    expect(await metrics.registry.metrics()).toContain('aethyr_reactor_failures_total{name="flaky"} 2');
    await projections.close();

    // A restart resumes from the checkpoint: nothing is delivered twice, new events are.
    await runtime.execute({ type: 'CreatePlayer', id: 'cy', name: 'Cy', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=' });
    const again = createProjections(runtime.store, { path, reactors: [greeter] });
    open.push(again);
    await again.catchUp();
    expect(seen).toEqual(['ann', 'bob', 'cy']);
  });
});

describe('mobiles and shops in the read model', () => {
  it('follow their events live, and a rebuild produces the same rows', async () => {
    const runtime = runtimeOn();
    for (const command of world) await runtime.execute(command);
    await runtime.execute({ type: 'CreateMobile', id: 'rat', name: 'a rat', roomId: 'hall', stats: { hp: 5, attack: 1 }, route: ['hall', 'yard'], wanderEveryMs: 60_000 } as never);
    await runtime.execute({ type: 'OpenShop', id: 'stall', name: 'the stall', roomId: 'yard', currency: 'gold', prices: { lamp: { buy: 3, sell: 1 } }, stock: { lamp: 2 }, till: 5 } as never);
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'bob', key: 'gold', value: 10 });
    await buy(runtime, { shopId: 'stall', buyerId: 'bob', item: 'lamp', itemId: 'lamp-1' });
    await runtime.execute({ type: 'Attack', id: 'rat', attackerId: 'bob', damage: 2 } as never);
    const projections = createProjections(runtime.store, { path: temp.file('p.db') });
    open.push(projections);
    projections.start();
    await projections.catchUp();
    const read = projections.readModel;
    expect(read.mobilesIn('hall')).toEqual([{ id: 'rat', name: 'a rat', roomId: 'hall', mode: 'fighting', hp: 3, maxHp: 5 }]);
    expect(read.shopsIn('yard')).toEqual([{ id: 'stall', name: 'the stall', roomId: 'yard', currency: 'gold', till: 8 }]);
    expect(read.waresOf('stall')).toEqual([{ item: 'lamp', buy: 3, sell: 1, stock: 1 }]);
    const dump = () => ['mobiles', 'shops', 'shop_stock'].map((t) => projections.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
    const live = dump();
    projections.db.prepare('DELETE FROM shop_stock').run(); // the rebuild must not read the live tables
    await projections.rebuild();
    expect(dump()).toEqual(live);
  });
});
