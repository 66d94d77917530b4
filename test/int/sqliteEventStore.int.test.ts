import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isConcurrencyError } from '../../src/errors.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { eventStoreContract } from '../contracts/eventStore.contract.ts';
import { attribute, created, newEvents } from '../support/events.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aethyr-store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'events.db');
}

eventStoreContract('SQLite', async (options) => {
  const path = tempFile();
  return {
    store: new SqliteEventStore({ path, ...options }),
    reopen: async () => new SqliteEventStore({ path }),
  };
}, { durable: true, replayReader: true });

describe('SqliteEventStore', () => {
  const open: SqliteEventStore[] = [];
  const openStore = (path: string, options: Partial<ConstructorParameters<typeof SqliteEventStore>[0]> = {}) => {
    const store = new SqliteEventStore({ path, ...options });
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('two stores over one file: exactly one wins each version', async () => {
    const path = tempFile();
    const [one, two] = [openStore(path), openStore(path)];
    await one.appendToStream('hall', newEvents(created('Hall')));
    for (let version = 1; version <= 20; version++) {
      const results = await Promise.allSettled([
        one.appendToStream('hall', newEvents(attribute('from', 'one')), { expectedVersion: version }),
        two.appendToStream('hall', newEvents(attribute('from', 'two')), { expectedVersion: version }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(isConcurrencyError(loser?.reason)).toBe(true);
    }
    const versions = (await two.readStream('hall')).map((e) => e.version);
    expect(versions).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('group-commits appends that arrive together into one transaction, each with its own check', async () => {
    const metrics = createMetrics();
    const store = openStore(tempFile(), { metrics });
    await store.appendToStream('x', newEvents(created('X')));
    const results = await Promise.allSettled([
      ...Array.from({ length: 50 }, (_, i) => store.appendToStream(`s${i}`, newEvents(created(`S${i}`)))),
      store.appendToStream('x', newEvents(attribute('k', 1)), { expectedVersion: 7 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    const batches = (await metrics.registry.getSingleMetric('aethyr_store_append_batch_size')?.get())?.values ?? [];
    expect(batches.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value).toBe(2);
    expect(batches.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value).toBe(52);
    expect((await store.stats()).eventCount).toBe(51);
  });

  it('an append failing inside a group commit (a duplicate event id) fails alone; the others are stored', async () => {
    const store = openStore(tempFile());
    const [first] = newEvents(created('A'));
    await store.appendToStream('a', [first!]);
    const results = await Promise.allSettled([
      store.appendToStream('b', newEvents(created('B'))),
      store.appendToStream('c', [first!]), // same event id as a's
      store.appendToStream('d', newEvents(created('D'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'DUPLICATE_EVENT', existingStreamId: 'a' });
    expect(await store.streamVersion('c')).toBe(0);
    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['a', 'b', 'd']);
    const { verifyStore } = await import('../../src/eventStore/integrity.ts');
    expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 3 });
  });

  it('upcasts an event stored at an old schema version when read', async () => {
    const path = tempFile();
    openStore(path);
    const raw = new Database(path);
    raw.prepare(
      `INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash)
       VALUES ('old-1', 'chest', 1, 'GameObjectCreated', 1, ?, ?, '2020-01-01T00:00:00.000Z', 'h', 'c')`,
    ).run(JSON.stringify({ name: 'Old chest', generic: 'chest', container: 'cellar' }), JSON.stringify({ correlationId: 'c', causationId: null, actorId: null }));
    raw.prepare("INSERT INTO streams (stream_id, version, hash) VALUES ('chest', 1, 'h')").run();
    raw.close();
    const store = openStore(path);
    const [event] = await store.readStream('chest');
    expect(event).toMatchObject({
      type: 'GameObjectCreated',
      schemaVersion: 2,
      data: { name: 'Old chest', generic: 'chest', containerId: 'cellar', attributes: {} },
    });
    // Hydration's lean read goes through the same upcast and validation.
    expect(await store.readStreamForReplay('chest', 1)).toEqual([{ type: 'GameObjectCreated', data: event?.data, version: 1 }]);
  });

  it('fails loudly on a stored row that does not validate (CORRUPT_EVENT naming where it is), and counts the failure', async () => {
    const path = tempFile();
    const metrics = createMetrics();
    const store = openStore(path, { metrics });
    const raw = new Database(path);
    raw.prepare(
      `INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash)
       VALUES ('bad', 'x', 1, 'NoSuchEvent', 1, '{}', '{}', 'now', 'h', 'c')`,
    ).run();
    raw.close();
    await expect(store.readAll()).rejects.toMatchObject({ code: 'CORRUPT_EVENT', streamId: 'x', version: 1, position: 1 });
    expect((await metrics.loadFailures.get()).values[0]?.value).toBe(1);
  });

  it('reports a locked file as StoreUnavailable and writes nothing', async () => {
    const path = tempFile();
    const store = openStore(path, { busyTimeoutMs: 50 });
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    await expect(store.appendToStream('a', newEvents(created('A')))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    blocker.exec('ROLLBACK');
    blocker.close();
    expect((await store.stats()).eventCount).toBe(0);
    await store.appendToStream('a', newEvents(created('A')));
    expect((await store.stats()).eventCount).toBe(1);
  });

  it('refuses a file written by a newer schema', async () => {
    const path = tempFile();
    openStore(path);
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteEventStore({ path })).toThrow(/newer than this code supports/);
  });
});
