import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../src/runtime/logger.ts';
import { createRuntime } from '../src/createRuntime.ts';
import { percentile, round, timed, type Benchmark } from './lib/harness.ts';

/**
 * End-to-end durable command throughput (validate, decide, append with durability full, apply to the
 * actor, resolve) with 1, 100 and 10,000 aggregates receiving commands concurrently, and latency.
 * Baseline: raw better-sqlite3 inserts of equivalent pre-serialized rows into one append-only table
 * with a (stream, version) unique index, 1,000 per transaction, same durability.
 */
export const commands: Benchmark = async ({ quick, log }) => {
  const total = quick ? 5_000 : 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'aethyr-bench-commands-'));
  const figures: Record<string, number> = {};
  const ratios: Record<string, number> = {};

  // Baseline, in the same run and on the same disk.
  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, version))');
  const insert = db.prepare('INSERT INTO events (stream_id, version, type, data, metadata) VALUES (?, ?, ?, ?, ?)');
  const rows = Array.from({ length: total }, (_, i) => [`obj-${i % 10_000}`, Math.floor(i / 10_000) + 2, 'GameObjectAttributeUpdated', JSON.stringify({ key: 'hp', value: i }), JSON.stringify({ correlationId: `c${i}`, causationId: null, actorId: null })] as const);
  const insertMany = db.transaction((chunk: typeof rows) => {
    for (const r of chunk) insert.run(...r);
  });
  const base = await timed(() => {
    for (let i = 0; i < rows.length; i += 1000) insertMany(rows.slice(i, i + 1000));
  });
  db.close();
  const baselineRate = Math.round(total / base.seconds);
  log(`baseline: ${baselineRate} rows/s`);

  for (const aggregates of [1, 100, 10_000]) {
    const path = join(dir, `world-${aggregates}.db`);
    const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
    await Promise.all(Array.from({ length: aggregates }, (_, i) => runtime.execute({ type: 'CreateGameObject', id: `obj-${i}`, name: 'thing', generic: 'item' })));
    const n = aggregates === 1 ? Math.min(total, quick ? 1000 : 3000) : total;
    const latencies: number[] = new Array(n);
    const { seconds } = await timed(() =>
      Promise.all(
        Array.from({ length: n }, (_, i) => {
          const start = process.hrtime.bigint();
          return runtime.execute({ type: 'UpdateGameObjectAttribute', id: `obj-${i % aggregates}`, key: 'hp', value: i }).then(() => {
            latencies[i] = Number(process.hrtime.bigint() - start) / 1e6;
          });
        }),
      ),
    );
    await runtime.close();
    const rate = Math.round(n / seconds);
    log(`${aggregates} aggregates: ${n} commands in ${seconds.toFixed(2)} s`);
    figures[`${aggregates} aggregates commands/s`] = rate;
    figures[`${aggregates} aggregates p50 ms`] = round(percentile(latencies, 50));
    figures[`${aggregates} aggregates p99 ms`] = round(percentile(latencies, 99));
    ratios[`${aggregates} aggregates`] = round(rate / baselineRate);
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    name: 'commands',
    params: { commands: total, durability: 'full', note: 'one aggregate: fewer commands, they run one at a time' },
    figures,
    baseline: { 'raw inserts rows/s (1000/tx)': baselineRate },
    ratios,
    goals: { '10000 aggregates': '≥ 0.8' },
    notes: ['all commands of a run are sent at once; latency includes waiting in the mailbox'],
  };
};
