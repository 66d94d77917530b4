import { copyFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, silentLogger, world } from '../../src/index.ts';
import { defineProjection, projectionsOf } from '../../src/projections/define.ts';
import { isReadModelMismatchError } from '../../src/projections/identity.ts';
import { createProjections, type Projections } from '../../src/projections/projections.ts';
import { readCheckpoint } from '../../src/projections/projectionDb.ts';
import { counter } from '../support/testKinds.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
  temp.cleanup();
});
const track = <T extends { close(): Promise<void> }>(thing: T): T => {
  open.push(thing);
  return thing;
};

/** A game's own read model, brought by its counter kind: one row per counter with its running total. */
const counterTotals = defineProjection({
  name: 'counter_totals',
  tables: ['counter_totals'],
  migrations: [
    'CREATE TABLE counter_totals (id TEXT PRIMARY KEY, total INTEGER NOT NULL) WITHOUT ROWID',
    'ALTER TABLE counter_totals ADD COLUMN adds INTEGER NOT NULL DEFAULT 0',
  ],
  handler(db, suffix) {
    const create = db.prepare(`INSERT INTO counter_totals${suffix} (id, total) VALUES (?, 0)`);
    const add = db.prepare(`UPDATE counter_totals${suffix} SET total = total + ?, adds = adds + 1 WHERE id = ?`);
    return (event) => {
      const type: string = event.type;
      if (type === 'CounterCreated') create.run(event.streamId);
      if (type === 'Added') add.run((event.data as unknown as { by: number }).by, event.streamId);
    };
  },
});
const countingKind = defineAggregate({ ...counter, projection: counterTotals });
const kinds = [countingKind, ...world.worldAggregates];

function runtimeOn(path: string) {
  return track(createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, shadowReplay: false, aggregates: kinds }));
}
const projectionsOn = (runtime: ReturnType<typeof runtimeOn>, path: string): Projections =>
  track(createProjections(runtime.store, { path, projections: projectionsOf(kinds), pollMs: 20 }));
const rows = (db: Database.Database, sql: string) => db.prepare(sql).all();

describe('projections a definition brings', () => {
  it('a game kind’s projection runs next to the world’s: own tables, migrations and checkpoint; a rebuild by real replay gives the same rows', async () => {
    const runtime = runtimeOn(temp.file());
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'Long.' });
    for (const id of ['a', 'b']) await runtime.execute({ type: 'CreateCounter', id });
    await runtime.execute({ type: 'Add', id: 'a', by: 2 });
    await runtime.execute({ type: 'Add', id: 'b', by: 1 });
    const projections = projectionsOn(runtime, temp.file('p.db'));
    expect(projectionsOf(kinds).map((p) => p.name)).toEqual(['counter_totals', 'world']); // the world's five kinds bring one
    projections.start();
    await projections.catchUp();
    await runtime.execute({ type: 'Add', id: 'a', by: 3 });
    await projections.catchUp();

    const { db } = projections;
    const live = rows(db, 'SELECT id, total, adds FROM counter_totals ORDER BY id');
    expect(live).toEqual([
      { id: 'a', total: 5, adds: 2 },
      { id: 'b', total: 1, adds: 1 },
    ]);
    expect(projections.readModel.object('hall')).toMatchObject({ kind: 'room', name: 'Hall' });
    const head = await runtime.store.headPosition();
    expect([readCheckpoint(db, 'counter_totals'), readCheckpoint(db, 'world')]).toEqual([head, head]);
    expect(rows(db, 'SELECT projection, max(version) AS v FROM projection_migrations GROUP BY projection ORDER BY projection')).toEqual([
      { projection: 'counter_totals', v: 2 },
      { projection: 'world', v: 3 },
    ]);
    expect(projections.health()).toMatchObject({ ok: true, projectors: [{ name: 'counter_totals', state: 'running' }, { name: 'world', state: 'running' }] });

    // Damage the game's rows, then rebuild: every table comes back from a replay of the store.
    db.prepare("UPDATE counter_totals SET total = 999 WHERE id = 'a'").run();
    db.prepare("DELETE FROM game_objects WHERE id = 'hall'").run();
    const report = await projections.rebuild();
    expect(report.position).toBe(head);
    expect(rows(db, 'SELECT id, total, adds FROM counter_totals ORDER BY id')).toEqual(live);
    expect(projections.readModel.object('hall')).toMatchObject({ kind: 'room' });
    await runtime.execute({ type: 'Add', id: 'b', by: 4 });
    await projections.catchUp();
    expect(rows(db, "SELECT total FROM counter_totals WHERE id = 'b'")).toEqual([{ total: 5 }]);
  });
});

describe('a read model belongs to one store', () => {
  it('pointed at another store it refuses, typed and in health, and projects nothing; a copy of its own store is accepted', async () => {
    const firstPath = temp.file();
    const first = runtimeOn(firstPath);
    for (const id of ['a', 'b', 'c']) await first.execute({ type: 'CreateCounter', id });
    const readModelPath = temp.file('p.db');
    const own = projectionsOn(first, readModelPath);
    await own.catchUp();
    const position = readCheckpoint(own.db, 'world');
    expect(position).toBe(3);
    await own.close();
    open.splice(open.indexOf(own), 1);

    // Another world, shorter: before identities, the read model reported position 3 on a store that ends at 1.
    const other = runtimeOn(temp.file());
    await other.execute({ type: 'CreateCounter', id: 'z' });
    const wrong = projectionsOn(other, readModelPath);
    const error = await wrong.catchUp().catch((e: unknown) => e);
    expect(isReadModelMismatchError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CONFIG', reason: 'READ_MODEL_MISMATCH' });
    expect((error as Error).message).toMatch(/does not belong to this store/);
    wrong.start();
    await expect.poll(() => wrong.health().identity?.reason).toBe('READ_MODEL_MISMATCH');
    expect(wrong.health().ok).toBe(false);
    await expect(wrong.rebuild()).rejects.toMatchObject({ reason: 'READ_MODEL_MISMATCH' });
    await other.execute({ type: 'CreateCounter', id: 'y' });
    expect(readCheckpoint(wrong.db, 'world')).toBe(position); // nothing of the other store was projected
    expect(rows(wrong.db, "SELECT id FROM counter_totals WHERE id IN ('y', 'z')")).toEqual([]);
    await wrong.close();
    open.splice(open.indexOf(wrong), 1);

    // An empty store is refused too.
    const empty = runtimeOn(temp.file());
    const none = projectionsOn(empty, readModelPath);
    await expect(none.catchUp()).rejects.toMatchObject({ reason: 'READ_MODEL_MISMATCH' });
    await none.close();
    open.splice(open.indexOf(none), 1);

    // The same history copied elsewhere (a backup restored) is the same store.
    await first.close();
    open.splice(open.indexOf(first), 1);
    const copyPath = temp.file();
    copyFileSync(firstPath, copyPath);
    const restored = runtimeOn(copyPath);
    await restored.execute({ type: 'Add', id: 'a', by: 1 });
    const again = projectionsOn(restored, readModelPath);
    await again.catchUp();
    expect(again.health()).toMatchObject({ ok: true });
    expect(rows(again.db, "SELECT total FROM counter_totals WHERE id = 'a'")).toEqual([{ total: 1 }]);
  });

  it('started on an empty store, it binds to it at the first commit', async () => {
    const runtime = runtimeOn(temp.file());
    const projections = projectionsOn(runtime, temp.file('p.db'));
    projections.start();
    await expect.poll(() => projections.health().projector.state).toBe('running');
    expect(rows(projections.db, 'SELECT * FROM read_model_identity')).toEqual([]);
    const created = await runtime.execute({ type: 'CreateCounter', id: 'a' });
    await expect.poll(() => rows(projections.db, 'SELECT store_first_event FROM read_model_identity')).toEqual([{ store_first_event: created.events[0]?.eventId }]);
  });

  it('a read model made before identities were recorded is bound to its store, or refused when it is ahead of it', async () => {
    const runtime = runtimeOn(temp.file());
    for (const id of ['a', 'b']) await runtime.execute({ type: 'CreateCounter', id });
    const path = temp.file('p.db');
    const legacy = projectionsOn(runtime, path);
    await legacy.catchUp();
    legacy.db.prepare('DELETE FROM read_model_identity').run(); // as an older release left it
    legacy.db.prepare("UPDATE checkpoints SET position = 50 WHERE name = 'world'").run();
    await expect(legacy.catchUp()).rejects.toThrow(/projected up to position 50, and this store ends at 2/);
    legacy.db.prepare("UPDATE checkpoints SET position = 2 WHERE name = 'world'").run();
    await legacy.catchUp();
    expect(rows(legacy.db, 'SELECT projections FROM read_model_identity')).toEqual([{ projections: 'counter_totals,world' }]);
  });
});
