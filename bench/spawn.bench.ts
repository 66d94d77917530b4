import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { aggregateMachines, initialState, replay, toPersisted } from '../machines/index.ts';
import { currentSchemaVersions, type DomainEvent } from '../src/world/events.ts';
import { SqliteEventStore } from '../src/eventStore/sqlite/SqliteEventStore.ts';
import type { NewEvent } from '../src/eventStore/types.ts';
import { silentLogger } from '../src/runtime/logger.ts';
import { createRuntime } from '../src/createRuntime.ts';
import { percentile, prng, round, type Benchmark } from './lib/harness.ts';

const THRESHOLD = 100;

/**
 * Cold spawn latency: an aggregate with a snapshot and up to `snapshot_threshold` later events, and
 * one with 1,000 events and no snapshot. Baseline: reading the same rows (and snapshot) with
 * better-sqlite3 and JSON.parse-ing them, without hydrating anything.
 */
export const spawn: Benchmark = async ({ quick, log }) => {
  const count = quick ? 100 : 500;
  const dir = mkdtempSync(join(tmpdir(), 'aethyr-bench-spawn-'));
  const path = join(dir, 'spawn.db');
  const random = prng(7);
  const store = new SqliteEventStore({ path, durability: 'off' });
  const envelope = (e: DomainEvent, i: number): NewEvent => ({
    ...e,
    eventId: `${random.hex(8)}-${i}`,
    schemaVersion: currentSchemaVersions[e.type],
    occurredAt: '2026-01-01T00:00:00.000Z',
    metadata: { correlationId: random.hex(16), causationId: null, actorId: null },
  });
  const history = (n: number): DomainEvent[] => [
    { type: 'GameObjectCreated', data: { name: 'thing', generic: 'item', containerId: 'room-0', attributes: {} } },
    ...Array.from({ length: n - 1 }, (_, k): DomainEvent =>
      k % 3 === 0
        ? { type: 'GameObjectAttributesUpdated', data: { attributes: { weight: k, colour: random.hex(4) } } }
        : { type: 'GameObjectAttributeUpdated', data: { key: `k${k % 7}`, value: k } },
    ),
  ];
  log(`writing ${count} snapshotted and ${count} long aggregates`);
  for (let i = 0; i < count; i++) {
    const withSnapshot = history(THRESHOLD + 1 + random.int(THRESHOLD));
    await store.appendToStream(`snap-${i}`, withSnapshot.map(envelope));
    const at = replay('game_object', initialState('game_object', `snap-${i}`), withSnapshot.slice(0, THRESHOLD));
    await store.saveSnapshot({ streamId: `snap-${i}`, version: THRESHOLD, kind: 'game_object', machineVersion: aggregateMachines.game_object.version, state: toPersisted(at), createdAt: 'x' });
    await store.appendToStream(`long-${i}`, history(1000).map(envelope));
  }
  await store.close();

  // Cold spawns: each aggregate is asked for once on a runtime that has not seen it.
  const measure = async (prefix: string) => {
    const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, snapshotThreshold: 1_000_000 });
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      await runtime.state(`${prefix}-${i}`);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    await runtime.close();
    return samples;
  };
  await measure('snap'); // warm-up pass: JIT and page cache
  const snap = await measure('snap');
  const long = await measure('long');

  const db = new Database(path, { readonly: true });
  const snapshotRow = db.prepare('SELECT * FROM snapshots WHERE stream_id = ?');
  const tail = db.prepare('SELECT * FROM events WHERE stream_id = ? AND version > ? ORDER BY version');
  const raw = (id: string, snapshotted: boolean) => {
    const start = process.hrtime.bigint();
    let from = 0;
    if (snapshotted) {
      const s = snapshotRow.get(id) as { state: string; version: number };
      JSON.parse(s.state);
      from = s.version;
    }
    for (const row of tail.all(id, from) as { data: string; metadata: string }[]) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const rawSnap = Array.from({ length: count }, (_, i) => raw(`snap-${i}`, true));
  const rawLong = Array.from({ length: count }, (_, i) => raw(`long-${i}`, false));
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const p = (xs: number[], q: number) => round(percentile(xs, q));
  return {
    name: 'spawn',
    params: { aggregatesPerCase: count, snapshotThreshold: THRESHOLD, longStream: 1000 },
    figures: {
      'snapshot+tail p50 ms': p(snap, 50),
      'snapshot+tail p99 ms': p(snap, 99),
      '1000 events p50 ms': p(long, 50),
      '1000 events p99 ms': p(long, 99),
    },
    baseline: {
      'raw read snapshot+tail p50 ms': p(rawSnap, 50),
      'raw read snapshot+tail p99 ms': p(rawSnap, 99),
      'raw read 1000 events p50 ms': p(rawLong, 50),
      'raw read 1000 events p99 ms': p(rawLong, 99),
    },
    ratios: {
      'snapshot+tail p99 (raw/ours)': round(percentile(rawSnap, 99) / percentile(snap, 99)),
      '1000 events p99 (raw/ours)': round(percentile(rawLong, 99) / percentile(long, 99)),
    },
    goals: { 'snapshot+tail p99 ms': '≤ 0.5 ms' },
  };
};
