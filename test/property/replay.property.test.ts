import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEvents, restoreSnapshot } from '../../machines/index.ts';
import { unsealSnapshot } from '../../src/eventStore/integrity.ts';
import type { Command } from '../../src/world/commands.ts';
import { isRuntimeError } from '../../src/errors.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import type { StoredEvent } from '../../src/eventStore/types.ts';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { allIds, sequenceArb } from '../support/arbitraries.ts';
import { fold } from '../support/decider.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

const open = (path: string, snapshotThreshold = 3): Runtime =>
  createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, snapshotThreshold, logger: silentLogger });

/** Checks (a) fresh replay, (b) snapshot plus tail and (c) a new runtime all equal the live state. */
async function assertReplayEqualsLive(runtime: Runtime, path: string, acknowledged: StoredEvent[]): Promise<void> {
  const live = new Map(await Promise.all(allIds.map(async (id) => [id, await runtime.state(id)] as const)));
  // Every acknowledged event round-trips through serialization and storage unchanged, in order.
  const all = await runtime.store.readAll({ limit: 1_000_000 });
  expect(all).toEqual([...acknowledged].sort((a, b) => a.position - b.position));
  for (const id of allIds) {
    const history = await runtime.history(id);
    expect(fold(id, history)).toEqual(live.get(id)); // (a)
    const snapshot = await runtime.store.loadSnapshot(id);
    if (snapshot) {
      const tail = history.filter((e) => e.version > snapshot.version);
      const opened = unsealSnapshot(snapshot);
      expect(opened.ok).toBe(true); // every snapshot the runtime writes is sealed
      const restored = applyEvents(snapshot.kind, restoreSnapshot(snapshot.kind, opened.state), tail);
      expect(restored.context).toEqual(live.get(id)); // (b)
    }
  }
  await runtime.close();
  const fresh = open(path);
  for (const id of allIds) expect(await fresh.state(id)).toEqual(live.get(id)); // (c)
  await fresh.close();
}

describe('replay equals live state (property)', () => {
  it('holds for random sequences of valid and invalid commands, and rejections change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArb(60), async (inputs) => {
        const path = temp.file();
        const runtime = open(path);
        const acknowledged: StoredEvent[] = [];
        for (const input of inputs) {
          const before = await runtime.store.stats();
          try {
            const result = await runtime.execute(input as Command);
            acknowledged.push(...result.events);
            expect((await runtime.store.stats()).eventCount).toBe(before.eventCount + result.events.length);
          } catch (error) {
            expect(isRuntimeError(error)).toBe(true);
            expect(['VALIDATION', 'REJECTED', 'NOT_FOUND']).toContain((error as { code: string }).code);
            expect(await runtime.store.stats()).toEqual(before);
          }
        }
        await assertReplayEqualsLive(runtime, path, acknowledged);
      }),
      { numRuns: 40 },
    );
  });

  it('holds when the whole sequence is sent at once: per-aggregate order is arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArb(80), async (inputs) => {
        const path = temp.file();
        const runtime = open(path);
        const settled = await Promise.allSettled(inputs.map((input) => runtime.execute(input as Command)));
        const acknowledged = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value.events : []));
        // Results for one aggregate come back with increasing versions in the order the commands were sent.
        const byId = new Map<string, number[]>();
        for (const r of settled) if (r.status === 'fulfilled') byId.set(r.value.aggregateId, [...(byId.get(r.value.aggregateId) ?? []), r.value.version]);
        for (const versions of byId.values()) expect(versions).toEqual([...versions].sort((a, b) => a - b));
        await assertReplayEqualsLive(runtime, path, acknowledged);
      }),
      { numRuns: 30 },
    );
  });

  it('a reopened store file holds exactly the acknowledged events', async () => {
    const path = temp.file();
    const runtime = open(path);
    const result = await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    await runtime.close();
    const store = new SqliteEventStore({ path });
    expect(await store.readAll()).toEqual(result.events);
    await store.close();
  });
});
