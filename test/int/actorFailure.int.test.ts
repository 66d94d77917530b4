import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { createRuntime, isActorFailedError, silentLogger, type Runtime } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  temp.cleanup();
});

it('an actor whose handler throws is stopped, the caller gets ACTOR_FAILED, nothing is stored, and it respawns from the store', async () => {
  const path = temp.file();
  runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  await runtime.execute({ type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=' });
  await runtime.close();

  // A snapshot whose inventory is not a list makes the inventory handlers throw.
  const raw = new Database(path);
  const broken = { status: 'active', value: 'active', historyValue: {}, children: {}, context: { id: 'ann', kind: 'player', inventory: null, equipment: {}, attributes: {}, deleted: false } };
  raw.prepare("INSERT INTO snapshots VALUES ('ann', 2, 'player', 1, ?, '2026-01-01T00:00:00Z')").run(JSON.stringify(broken));

  runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  const error = await runtime.execute({ type: 'AddItemToInventory', id: 'ann', itemId: 'lamp' }).catch((e: unknown) => e);
  expect(isActorFailedError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'ACTOR_FAILED', aggregateId: 'ann' });
  expect((await runtime.stats()).eventCount).toBe(2);
  expect(await runtime.metrics.metrics()).toContain('aethyr_actor_failures_total 1');

  // Repair the store; the next message respawns the actor from it rather than reusing the broken one.
  raw.prepare("DELETE FROM snapshots WHERE stream_id = 'ann'").run();
  raw.close();
  const result = await runtime.execute({ type: 'AddItemToInventory', id: 'ann', itemId: 'lamp' });
  expect(result.version).toBe(3);
  expect((await runtime.state('ann'))?.inventory).toEqual(['lamp']);
});
