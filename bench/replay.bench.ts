import { SqliteEventStore } from '../src/eventStore/sqlite/SqliteEventStore.ts';
import { createRuntime } from '../src/createRuntime.ts';
import { silentLogger } from '../src/runtime/logger.ts';
import { WorkerPool } from '../src/pool/WorkerPool.ts';
import { worldStore } from './lib/dataset.ts';
import { readAndParseAll, round, timed, type Benchmark } from './lib/harness.ts';

/**
 * Rebuild the world state from a SQLite store, with and without snapshots, in the worker pool and on
 * the main thread. Baseline: one thread reading every row in global order and JSON.parse-ing it.
 */
export const replay: Benchmark = async ({ quick, log }) => {
  const events = quick ? 100_000 : 1_000_000;
  const aggregates = quick ? 1_000 : 10_000;
  const path = await worldStore({ events, aggregates }, log);

  await readAndParseAll(path); // warm-up: the same page cache for the baseline as for the runs after it
  const baseline = await readAndParseAll(path);
  log(`baseline: read and parse ${baseline.result} rows in ${baseline.seconds.toFixed(2)} s`);

  const store = new SqliteEventStore({ path });
  const runtime = createRuntime({ store, logger: silentLogger });
  const pool = new WorkerPool();
  const run = async (label: string, options: Parameters<typeof runtime.rebuildWorldState>[0]) => {
    const { result, seconds } = await timed(() => runtime.rebuildWorldState({ writeSnapshots: false, ...options }));
    log(`${label}: ${result.aggregates} aggregates in ${seconds.toFixed(2)} s, ${result.divergent.length} divergent`);
    if (result.divergent.length > 0) throw new Error(`${label}: replay diverged from snapshots`);
    return seconds;
  };
  await run('warm-up', { pool, useSnapshots: true });
  const poolFull = await run('pool, no snapshots', { pool });
  const poolSnap = await run('pool, with snapshots', { pool, useSnapshots: true });
  const mainFull = await run('main thread, no snapshots', {});
  const threads = pool.threads;
  await pool.close();
  await runtime.close();

  const stored = baseline.result; // the generator's exact count (per-aggregate sizes vary around the mean)
  const rate = (seconds: number) => Math.round(stored / seconds);
  return {
    name: 'replay',
    params: { events: stored, aggregates, threads, snapshotEvery: 100 },
    figures: {
      'pool no snapshots events/s': rate(poolFull),
      'pool with snapshots events/s': rate(poolSnap),
      'main thread no snapshots events/s': rate(mainFull),
    },
    baseline: { 'read+parse events/s': rate(baseline.seconds) },
    ratios: {
      'pool no snapshots': round(baseline.seconds / poolFull),
      'pool with snapshots': round(baseline.seconds / poolSnap),
      'main thread no snapshots': round(baseline.seconds / mainFull),
      'pool vs main thread': round(mainFull / poolFull),
    },
    goals: { 'pool no snapshots': '≥ 1.0' },
    notes: ['events/s counts every event in the store, also those a snapshot let us skip'],
  };
};
