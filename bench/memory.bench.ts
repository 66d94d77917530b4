import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor } from 'xstate';
import { gameObjectMachine } from '../machines/index.ts';
import { SqliteEventStore } from '../src/eventStore/sqlite/SqliteEventStore.ts';
import { currentSchemaVersions } from '../src/world/events.ts';
import { silentLogger } from '../src/runtime/logger.ts';
import { createRuntime } from '../src/createRuntime.ts';
import { round, type Benchmark } from './lib/harness.ts';

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc (npm run bench does)');
  collect();
  collect();
};
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * Heap bytes per live idle actor with many actors spawned through the runtime (store, supervisor,
 * mailbox and all), against a bare XState actor of the same machine in the same state.
 */
export const memory: Benchmark = async ({ quick, log }) => {
  const count = quick ? 10_000 : 100_000;
  const created = {
    type: 'GameObjectCreated' as const,
    data: { name: 'a thing', generic: 'item', containerId: 'room-0', attributes: { weight: 3 } },
  };

  // Baseline: bare actors, started and given the same creation event.
  const before = heap();
  const bare = Array.from({ length: count }, (_, i) => {
    const actor = createActor(gameObjectMachine, { input: { id: `obj-${i}` } }).start();
    actor.send(created);
    return actor;
  });
  const bareBytes = (heap() - before) / count;
  for (const actor of bare) actor.stop();
  bare.length = 0;
  log(`bare XState actor: ${Math.round(bareBytes)} bytes`);

  const dir = mkdtempSync(join(tmpdir(), 'aethyr-bench-memory-'));
  const path = join(dir, 'memory.db');
  const store = new SqliteEventStore({ path, durability: 'off' });
  for (let i = 0; i < count; i += 5000) {
    await Promise.all(
      Array.from({ length: Math.min(5000, count - i) }, (_, k) =>
        store.appendToStream(`obj-${i + k}`, [{ ...created, eventId: `e-${i + k}`, schemaVersion: currentSchemaVersions.GameObjectCreated, occurredAt: '2026-01-01T00:00:00.000Z', metadata: { correlationId: 'c', causationId: null, actorId: null } }]),
      ),
    );
  }
  await store.close();
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, maxLiveActors: count + 1 });
  await runtime.state('obj-0'); // the runtime's own fixed costs are not per actor
  const start = heap();
  for (let i = 1; i < count; i++) await runtime.state(`obj-${i}`);
  const ours = (heap() - start) / (count - 1);
  const live = (await runtime.stats()).liveActors;
  const rss = process.memoryUsage().rss;
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
  log(`runtime actor: ${Math.round(ours)} bytes, ${live} live`);
  return {
    name: 'memory',
    params: { actors: count },
    figures: { 'heap bytes per live idle actor': Math.round(ours), 'peak RSS MB': Math.round(rss / 2 ** 20) },
    baseline: { 'heap bytes per bare XState actor': Math.round(bareBytes) },
    ratios: { 'ours / bare': round(ours / bareBytes) },
    goals: { 'ours / bare': '≤ 1.2' },
    notes: ['ratio here is a cost: lower is better'],
  };
};
