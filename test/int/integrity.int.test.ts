import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyStore } from '../../src/eventStore/integrity.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import { attribute, created, newEvents } from '../support/events.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** A store with two interleaved streams: a1 b1 a2 b2 a3 (positions 1..5). */
async function world(): Promise<string> {
  const path = temp.file();
  const store = new SqliteEventStore({ path });
  await store.appendToStream('a', newEvents(created('A')));
  await store.appendToStream('b', newEvents(created('B')));
  await store.appendToStream('a', newEvents(attribute('k', 1)));
  await store.appendToStream('b', newEvents(attribute('k', 2)));
  await store.appendToStream('a', newEvents(attribute('k', 3)));
  await store.close();
  return path;
}

async function verifyAfter(tamper: string, ...params: unknown[]) {
  const path = await world();
  const raw = new Database(path);
  if (params.length > 0) raw.prepare(tamper).run(...params);
  else raw.exec(tamper);
  raw.close();
  const store = new SqliteEventStore({ path });
  const report = await verifyStore(store, { pageSize: 2 });
  await store.close();
  return report;
}

describe('verify on SQLite', () => {
  it('passes an untouched store and reports its head', async () => {
    const store = new SqliteEventStore({ path: await world() });
    expect(await verifyStore(store, { pageSize: 2 })).toMatchObject({ ok: true, eventsChecked: 5, streamsChecked: 2, head: { position: 5 } });
    await store.close();
  });
  it('finds a modified row', async () => {
    const report = await verifyAfter(`UPDATE events SET data = '{"key":"k","value":999}' WHERE position = 3`);
    expect(report.firstProblem).toMatchObject({ problem: 'modified', position: 3, streamId: 'a', version: 2 });
    expect(report.ok).toBe(false);
  });
  it('reports every problem, not only the first: two edited rows are two findings and the rows between them pass', async () => {
    const report = await verifyAfter(`UPDATE events SET data = '{"key":"k","value":999}' WHERE position IN (3, 5)`);
    expect(report.problems.map((p) => [p.problem, p.position])).toEqual([['modified', 3], ['modified', 5]]);
    expect(report).toMatchObject({ ok: false, eventsChecked: 5, moreProblems: 0, firstProblem: { position: 3 } });
  });
  it('checks the stream heads against the events: an edited head, a head without events and events without a head', async () => {
    const report = await verifyAfter(
      "UPDATE streams SET version = 9 WHERE stream_id = 'a'; DELETE FROM streams WHERE stream_id = 'b'; INSERT INTO streams (stream_id, version, hash, kind) VALUES ('ghost', 4, 'h', NULL)",
    );
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.problem, p.streamId, p.detail])).toEqual([
      ['head_mismatch', 'a', 'the stream head says version 9, its events end at version 3'],
      ['head_mismatch', 'ghost', 'a stream head at version 4 for a stream with no events'],
      ['head_mismatch', 'b', 'the stream has events but no head'],
    ]);
  });
  it('finds a modified row even when its hash was recomputed: the store-wide chain breaks', async () => {
    const path = await world();
    const raw = new Database(path);
    const row = raw.prepare('SELECT * FROM events WHERE position = 3').get() as Record<string, unknown>;
    const { eventHash } = await import('../../src/eventStore/integrity.ts');
    const prev = (raw.prepare('SELECT hash FROM events WHERE position = 1').get() as { hash: string }).hash;
    const forged = { ...row, data: '{"key":"k","value":999}' } as never;
    raw.prepare('UPDATE events SET data = ?, hash = ? WHERE position = 3').run('{"key":"k","value":999}', eventHash(prev, forged));
    raw.close();
    const store = new SqliteEventStore({ path });
    expect((await verifyStore(store)).firstProblem).toMatchObject({ problem: 'chain_broken', position: 3 });
    await store.close();
  });
  it('finds a removed event: the store-wide chain breaks right after it', async () => {
    expect((await verifyAfter('DELETE FROM events WHERE position = 3')).firstProblem).toMatchObject({ problem: 'chain_broken', position: 4, streamId: 'b' });
  });
  it('finds a stream version gap as missing', async () => {
    const report = await verifyAfter("UPDATE events SET version = 7 WHERE position = 5");
    expect(report.firstProblem).toMatchObject({ problem: 'missing', position: 5, streamId: 'a', version: 7 });
  });
  it('finds reordered versions', async () => {
    const path = await world();
    const raw = new Database(path);
    raw.exec("UPDATE events SET version = 100 WHERE position = 3; UPDATE events SET version = 2 WHERE position = 5; UPDATE events SET version = 3 WHERE position = 3;");
    raw.close();
    const store = new SqliteEventStore({ path });
    expect((await verifyStore(store, { pageSize: 2 })).firstProblem).toMatchObject({ problem: 'reordered', position: 3, streamId: 'a' });
    await store.close();
  });
  it('finds an inserted event', async () => {
    const report = await verifyAfter(
      `INSERT INTO events (position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash)
       SELECT 2, 'forged', 'c', 1, type, schema_version, data, metadata, occurred_at, hash, chain_hash FROM events WHERE position = 1`.replace('SELECT 2', 'SELECT 10'),
    );
    expect(report.firstProblem).toMatchObject({ problem: 'inserted', position: 10, streamId: 'c' });
  });
});
