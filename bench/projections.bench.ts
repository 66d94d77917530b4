import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteEventStore } from '../src/eventStore/sqlite/SqliteEventStore.ts';
import { WorkerPool } from '../src/pool/WorkerPool.ts';
import { createProjections } from '../src/projections/projections.ts';
import { silentLogger } from '../src/runtime/logger.ts';
import { createRuntime } from '../src/createRuntime.ts';
import { idOf, worldStore } from './lib/dataset.ts';
import { percentile, readAndParseAll, round, timed, type Benchmark } from './lib/harness.ts';

/**
 * Projection rebuild events/s (baseline: reading and parsing the same rows), projection lag while the
 * commands workload runs, and main-thread event-loop utilization of a world rebuild with and without
 * the worker pool.
 */
export const projections: Benchmark = async ({ quick, log }) => {
  const events = quick ? 100_000 : 1_000_000;
  const aggregates = quick ? 1_000 : 10_000;
  const source = await worldStore({ events, aggregates }, log);
  const dir = mkdtempSync(join(tmpdir(), 'aethyr-bench-projections-'));

  await readAndParseAll(source); // warm-up: the same page cache for the baseline as for the runs after it
  const baseline = await readAndParseAll(source);

  // Would the pool pay for deserializing event batches? Its round trip must at least clone the
  // result back to this thread: compare that clone with simply deserializing here.
  const store = new SqliteEventStore({ path: source });
  const sample = await store.readAllRows({ limit: 50_000 });
  const deserialize = await timed(async () => store.readAll({ limit: 50_000 }));
  const clone = await timed(() => structuredClone(deserialize.result));
  log(`deserialize 50k rows: ${deserialize.seconds.toFixed(3)} s; structuredClone of the result: ${clone.seconds.toFixed(3)} s (${sample.length} rows)`);
  const projection = createProjections(store, { path: join(dir, 'projections.db') });
  const rebuild = await timed(() => projection.rebuild());
  await projection.close();
  log(`projection rebuild: ${rebuild.result.events} events in ${rebuild.seconds.toFixed(2)} s`);

  // Event-loop utilization of the main thread during a world rebuild, in the pool and without it.
  const runtime = createRuntime({ store, logger: silentLogger });
  const elu = async (pool: WorkerPool | undefined) => {
    const start = performance.eventLoopUtilization();
    const { seconds } = await timed(() => runtime.rebuildWorldState({ writeSnapshots: false, ...(pool && { pool }) }));
    return { utilization: performance.eventLoopUtilization(start).utilization, seconds };
  };
  const pool = new WorkerPool();
  const withPool = await elu(pool);
  const without = await elu(undefined);
  await pool.close();
  await runtime.close();

  // Lag while commands run: a live world on its own file, a projector following it.
  const livePath = join(dir, 'live.db');
  copyFileSync(source, livePath);
  const live = createRuntime({ store: { kind: 'sqlite', path: livePath }, logger: silentLogger });
  const follower = createProjections(live.store, { path: join(dir, 'live-projections.db') });
  await follower.rebuild();
  follower.start();
  const commands = quick ? 5_000 : 20_000;
  const lagEvents: number[] = [];
  const lagMs: number[] = [];
  const committedAt = new Map<number, number>();
  let sampling = true;
  const sampleLag = async () => {
    const head = await live.store.headPosition();
    const at = follower.status().position;
    lagEvents.push(head - at);
    // Commit-to-projected delay of every command whose events the projector has now applied.
    for (const [position, time] of committedAt) {
      if (position > at) continue;
      lagMs.push(performance.now() - time);
      committedAt.delete(position);
    }
  };
  const sampler = (async () => {
    while (sampling) {
      await sampleLag();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  await Promise.all(
    Array.from({ length: commands }, (_, i) =>
      live.execute({ type: 'UpdateGameObjectAttribute', id: idOf(i % aggregates), key: 'hp', value: i }).then(
        (r) => committedAt.set(r.events.at(-1)?.position ?? 0, performance.now()),
        () => undefined,
      ),
    ),
  );
  await follower.catchUp();
  sampling = false;
  await sampler;
  await sampleLag();
  await follower.close();
  await live.close();
  rmSync(dir, { recursive: true, force: true });

  return {
    name: 'projections',
    params: { events: baseline.result, aggregates, commandsDuringLag: commands },
    figures: {
      'projection rebuild events/s': Math.round(rebuild.result.events / rebuild.seconds),
      'lag p99 events': percentile(lagEvents, 99),
      'lag p99 ms': round(percentile(lagMs, 99)),
      'world rebuild main-thread ELU, pool': round(withPool.utilization),
      'world rebuild main-thread ELU, no pool': round(without.utilization),
      'world rebuild s, pool': round(withPool.seconds),
      'world rebuild s, no pool': round(without.seconds),
      'deserialize µs/event (main thread)': round((deserialize.seconds / sample.length) * 1e6),
      'structuredClone of result µs/event': round((clone.seconds / sample.length) * 1e6),
    },
    baseline: { 'read+parse events/s': Math.round(baseline.result / baseline.seconds) },
    ratios: { 'projection rebuild': round(baseline.seconds / rebuild.seconds) },
    notes: [
      'projection rebuild runs on the main thread: a pool round trip must clone its result back, which costs about what deserializing here does (figures above), and the rows must be written through one connection in one transaction with the checkpoint',
    ],
  };
};
