import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { postgresOptions } from '../support/postgres.ts';
import { tempDirs } from '../support/tempStore.ts';

// A damaged stored row (bad JSON, an unknown type, data that fails its schema) is damage in storage, not the
// caller's fault: every read path names it as CORRUPT_EVENT with its stream, version and position, and the
// runtime keeps serving every other aggregate.

const temp = tempDirs();
const open: Runtime[] = [];
afterEach(async () => {
  for (const runtime of open.splice(0)) await runtime.close();
  temp.cleanup();
});

const damages = [
  { name: 'JSON cut short', set: { data: '{"name": "lam' }, foldFails: true },
  { name: 'an unknown event type', set: { type: 'LampExploded' }, foldFails: true },
  { name: 'data that fails its schema', set: { data: '{"name": 42}' }, foldFails: true },
  // Replay folds data only, so the live state still loads; every read of the envelope names the damage.
  { name: 'metadata that is not JSON', set: { metadata: '{oops' }, foldFails: false },
] as const;

async function seed(runtime: Runtime): Promise<number> {
  await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'A long hall.' });
  await runtime.execute({ type: 'CreateGameObject', id: 'lamp', name: 'lamp', generic: 'light', containerId: 'hall' });
  return (await runtime.history('lamp'))[0]!.position;
}

async function expectCorruptLampOnly(fresh: Runtime, position: number, foldFails = true): Promise<void> {
  const located = { code: 'CORRUPT_EVENT', streamId: 'lamp', version: 1, position };
  await expect(fresh.history('lamp')).rejects.toMatchObject(located);
  await expect(fresh.store.readAll()).rejects.toMatchObject(located);
  if (foldFails) await expect(fresh.state('lamp')).rejects.toThrow(/corrupt event at stream lamp version 1/);
  // Everyone else is still served, and nothing was written by the failed reads.
  await expect(fresh.state('hall')).resolves.toMatchObject({ name: 'Hall' });
  const before = (await fresh.history('hall')).length;
  await fresh.execute({ type: 'UpdateRoomDescription', id: 'hall', description: 'Dust.' });
  expect((await fresh.history('hall')).map((e) => e.version)).toEqual(Array.from({ length: before + 1 }, (_, i) => i + 1));
  expect(await fresh.state('hall')).toMatchObject({ description: 'Dust.' });
}

describe('a damaged stored event on a real SQLite file', () => {
  for (const damage of damages) {
    it(`is a CorruptEventError naming stream, version and position: ${damage.name}`, async () => {
      const path = temp.file();
      const first = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger: silentLogger });
      const position = await seed(first);
      await first.close();
      const raw = new Database(path);
      const [column, value] = Object.entries(damage.set)[0]!;
      expect(raw.prepare(`UPDATE events SET ${column} = ? WHERE position = ?`).run(value, position).changes).toBe(1);
      raw.close();
      const fresh = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger: silentLogger });
      open.push(fresh);
      await expectCorruptLampOnly(fresh, position, damage.foldFails);
    });
  }
});

describe('a damaged stored event on the real PostgreSQL server', () => {
  it('is a CorruptEventError naming stream, version and position, for data cut short', async () => {
    const options = postgresOptions();
    const first = createRuntime({ store: { kind: 'postgres', ...options }, logger: silentLogger });
    const position = await seed(first);
    await first.close();
    const client = new pg.Client({ connectionString: options.connectionString });
    await client.connect();
    try {
      const updated = await client.query(`UPDATE ${options.schema}.events SET data = '{"name": "lam' WHERE position = $1`, [position]);
      expect(updated.rowCount).toBe(1);
    } finally {
      await client.end();
    }
    const fresh = createRuntime({ store: { kind: 'postgres', ...options }, logger: silentLogger });
    open.push(fresh);
    await expectCorruptLampOnly(fresh, position);
  });
});
