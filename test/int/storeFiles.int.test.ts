import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { createRuntime, silentLogger } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';

// SQLite goes on writing to a database file or WAL that was deleted or replaced under the open
// connection, and everything written there is gone at the next crash. The store must notice before it
// acknowledges and stop: fail-stop, typed, counted, never silent loss.

const temp = tempDirs();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close().catch(() => undefined);
  temp.cleanup();
});

const event = (id: string) => ({
  eventId: id,
  type: 'Noted',
  schemaVersion: 1,
  occurredAt: new Date().toISOString(),
  metadata: { correlationId: id, causationId: null, actorId: null },
  data: { id },
});

async function storeWithOneEvent() {
  const path = temp.file();
  const metrics = createMetrics();
  const store = new SqliteEventStore({ path, metrics, durability: 'full' });
  open.push(store);
  await store.appendToStream('s', [event('e1') as never]);
  return { path, store, metrics };
}

describe('the database files changed under an open SQLite store', () => {
  it('the WAL deleted: the next append is refused STORE_FAILED, and so is every later one', async () => {
    const { path, store, metrics } = await storeWithOneEvent();
    rmSync(`${path}-wal`);
    await expect(store.appendToStream('s', [event('e2') as never])).rejects.toMatchObject({ code: 'STORE_FAILED', message: expect.stringMatching(/-wal \(the write-ahead log\) was removed/) });
    await expect(store.appendToStream('t', [event('e3') as never])).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(store.failure?.code).toBe('STORE_FAILED');
    expect((await metrics.storeFailures.get()).values[0]?.value).toBeGreaterThanOrEqual(1);
  });

  it('the database file replaced by a copy: refused STORE_FAILED', async () => {
    const { path, store } = await storeWithOneEvent();
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);
    await expect(store.appendToStream('s', [event('e2') as never])).rejects.toMatchObject({ code: 'STORE_FAILED', message: expect.stringMatching(/was replaced by another file/) });
  });

  it('through the runtime: a command after the WAL was deleted is not acknowledged, and the runtime keeps answering reads', async () => {
    const path = temp.file();
    const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
    open.push(runtime);
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'A hall.' });
    rmSync(`${path}-wal`);
    await expect(runtime.execute({ type: 'CreateRoom', id: 'yard', name: 'Yard', description: 'Sky.' })).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await expect(runtime.execute({ type: 'UpdateRoomDescription', id: 'hall', description: 'Dust.' })).rejects.toMatchObject({ code: 'STORE_FAILED' });
    expect(await runtime.state('hall')).toMatchObject({ description: 'A hall.' });
  });

  it('an untouched store keeps appending (the check does not misfire across reopen and checkpoints)', async () => {
    const { path, store } = await storeWithOneEvent();
    for (let i = 2; i <= 50; i++) await store.appendToStream('s', [event(`e${i}`) as never]);
    await store.close();
    const again = new SqliteEventStore({ path });
    open.push(again);
    await again.appendToStream('s', [event('e51') as never]);
    expect(await again.streamVersion('s')).toBe(51);
  });
});
