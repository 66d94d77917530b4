import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';
import { currentSchemaVersions } from '../src/world/events.ts';
import { SqliteEventStore } from '../src/eventStore/sqlite/SqliteEventStore.ts';
import type { NewEvent } from '../src/eventStore/types.ts';
import { round, timed, type Benchmark } from './lib/harness.ts';

type Updated = { type: 'GameObjectAttributeUpdated'; data: { key: string; value: number } };
const event = (n: number): Updated => ({ type: 'GameObjectAttributeUpdated', data: { key: 'n', value: n } });
const ours = (n: number): NewEvent => ({
  ...event(n),
  eventId: `e-${n}-${Math.random()}`,
  schemaVersion: currentSchemaVersions.GameObjectAttributeUpdated,
  occurredAt: '2026-01-01T00:00:00.000Z',
  metadata: { correlationId: 'c', causationId: null, actorId: null },
});
const evolve = (sum: number, e: { data: { value: number } }) => sum + e.data.value;

/**
 * The same append and load-aggregate workloads on Emmett's SQLite event store (@event-driven-io/
 * emmett-sqlite 0.38.5 over sqlite3 5.1.7, as a new user installs it) and on ours, same machine, same
 * run. Both at their default durability (sqlite3: rollback journal, synchronous FULL; ours: WAL,
 * synchronous FULL). A peer's failure is reported as such.
 */
export const peer: Benchmark = async ({ quick, log }) => {
  const sequential = quick ? 200 : 1000;
  const concurrent = 1000;
  const loadEvents = quick ? 2000 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'aethyr-bench-peer-'));
  const notes: string[] = [];
  // A failing peer can leave a rejection behind that nobody awaits; count it, do not crash the run.
  const stray: unknown[] = [];
  const onStray = (reason: unknown) => stray.push(reason);
  process.on('unhandledRejection', onStray);
  process.on('uncaughtException', onStray); // sqlite3 can throw from a callback when used concurrently

  const emmett = getSQLiteEventStore({ fileName: join(dir, 'emmett.db'), schema: { autoMigration: 'CreateOrUpdate' } });
  const store = new SqliteEventStore({ path: join(dir, 'ours.db') });

  const eSeq = await timed(async () => {
    for (let i = 0; i < sequential; i++) await emmett.appendToStream(`seq-${i % 100}`, [event(i)]);
  });
  const oSeq = await timed(async () => {
    for (let i = 0; i < sequential; i++) await store.appendToStream(`seq-${i % 100}`, [ours(i)]);
  });
  log(`sequential: emmett ${Math.round(sequential / eSeq.seconds)}/s, ours ${Math.round(sequential / oSeq.seconds)}/s`);

  const eCon = await timed(() => Promise.allSettled(Array.from({ length: concurrent }, (_, i) => emmett.appendToStream(`con-${i}`, [event(i)]))));
  const eFailed = eCon.result.filter((r) => r.status === 'rejected');
  const oCon = await timed(() => Promise.allSettled(Array.from({ length: concurrent }, (_, i) => store.appendToStream(`con-${i}`, [ours(i)]))));
  const oFailed = oCon.result.filter((r) => r.status === 'rejected');
  if (eFailed.length > 0) notes.push(`emmett: ${eFailed.length}/${concurrent} concurrent appends failed: ${String((eFailed[0] as PromiseRejectedResult).reason?.message ?? (eFailed[0] as PromiseRejectedResult).reason)}`);
  if (oFailed.length > 0) notes.push(`ours: ${oFailed.length}/${concurrent} concurrent appends failed`);
  log(`concurrent: emmett ${concurrent - eFailed.length} ok in ${eCon.seconds.toFixed(2)} s; ours ${concurrent - oFailed.length} ok in ${oCon.seconds.toFixed(2)} s`);

  // Load: one long stream, folded with the same evolve function on both sides. Emmett may be
  // unusable after the concurrent failure, so it gets a fresh store for this part.
  const emmettLoad = getSQLiteEventStore({ fileName: join(dir, 'emmett-load.db'), schema: { autoMigration: 'CreateOrUpdate' } });
  for (let i = 0; i < loadEvents; i += 500) await emmettLoad.appendToStream('long', Array.from({ length: 500 }, (_, k) => event(i + k)));
  for (let i = 0; i < loadEvents; i += 500) await store.appendToStream('long', Array.from({ length: 500 }, (_, k) => ours(i + k)));
  // One untimed pass of each first, so neither side is measured cold (JIT, page cache).
  await emmettLoad.aggregateStream<number, Updated>('long', { evolve, initialState: () => 0 });
  await store.readStreamForReplay('long', 1);
  await store.readStream('long');
  const eLoad = await timed(() => emmettLoad.aggregateStream<number, Updated>('long', { evolve, initialState: () => 0 }));
  const fold = (events: readonly { type: string; data: unknown }[]) =>
    events.reduce((sum, e) => (e.type === 'GameObjectAttributeUpdated' ? evolve(sum, e as Updated) : sum), 0);
  // Our aggregate load path (what hydration uses): events upcast and validated, without envelopes.
  const oLoad = await timed(async () => fold(await store.readStreamForReplay('long', 1)));
  // And reading full envelopes (ids, metadata, hashes), as history() does.
  const oRead = await timed(async () => fold(await store.readStream('long')));
  if (eLoad.result.state !== oLoad.result || oRead.result !== oLoad.result) notes.push(`fold results differ: emmett ${eLoad.result.state}, ours ${oLoad.result}/${oRead.result}`);
  await store.close();
  process.off('unhandledRejection', onStray);
  process.off('uncaughtException', onStray);
  if (stray.length > 0) notes.push(`emmett raised ${stray.length} error(s) nobody could catch: ${stray.map((e) => String((e as Error).message ?? e)).join('; ')}`);
  rmSync(dir, { recursive: true, force: true });

  const eConRate = eFailed.length === concurrent ? 0 : Math.round((concurrent - eFailed.length) / eCon.seconds);
  const oConRate = Math.round((concurrent - oFailed.length) / oCon.seconds);
  return {
    name: 'peer',
    params: { peer: '@event-driven-io/emmett-sqlite 0.38.5 + sqlite3 5.1.7', sequential, concurrent, loadEvents },
    figures: {
      'ours sequential appends/s': Math.round(sequential / oSeq.seconds),
      'ours concurrent appends/s': oConRate,
      'ours load events/s': Math.round(loadEvents / oLoad.seconds),
      'ours read with envelopes events/s': Math.round(loadEvents / oRead.seconds),
    },
    baseline: {
      'emmett sequential appends/s': Math.round(sequential / eSeq.seconds),
      'emmett concurrent appends/s (succeeded)': eConRate,
      'emmett load events/s': Math.round(loadEvents / eLoad.seconds),
    },
    ratios: {
      'sequential appends': round(eSeq.seconds / oSeq.seconds),
      'concurrent appends': eConRate === 0 ? Number.POSITIVE_INFINITY : round(oConRate / eConRate),
      load: round(eLoad.seconds / oLoad.seconds),
      'read with envelopes': round(eLoad.seconds / oRead.seconds),
    },
    goals: { 'sequential appends': '≥ 10', 'concurrent appends': '≥ 10', load: '≥ 5' },
    notes,
  };
};
