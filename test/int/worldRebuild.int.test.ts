import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/world/commands.ts';
import { isWorkerFailedError } from '../../src/errors.ts';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import type { PoolTask } from '../../src/pool/protocol.ts';
import { WorkerPool } from '../../src/pool/WorkerPool.ts';
import { tempDirs } from '../support/tempStore.ts';
import { unsealSnapshot, verifyStore } from '../../src/eventStore/integrity.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';

const temp = tempDirs();
const runtimes: Runtime[] = [];
const pool = new WorkerPool({ threads: 2 });
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
});
afterAll(async () => {
  await pool.close();
  temp.cleanup();
});

async function world(path = temp.file()): Promise<{ runtime: Runtime; path: string }> {
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, snapshotThreshold: 3, logger: silentLogger });
  runtimes.push(runtime);
  const commands: Command[] = [
    { type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'Long.' },
    { type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=' },
    { type: 'UpdateGameObjectContainer', id: 'ann', containerId: 'hall' },
    { type: 'CreateGameObject', id: 'helm', name: 'Helm', generic: 'armour', containerId: 'ann' },
    { type: 'AddItemToInventory', id: 'ann', itemId: 'helm' },
    { type: 'EquipItem', id: 'ann', itemId: 'helm', slot: 'head' },
    { type: 'UpdateGameObjectAttribute', id: 'ann', key: 'hp', value: 10 },
  ];
  for (const command of commands) await runtime.execute(command);
  for (let i = 0; i < 30; i++) await runtime.execute({ type: 'CreateGameObject', id: `coin${i}`, name: 'coin', generic: 'coin', containerId: 'hall' });
  return { runtime, path };
}

describe.each([
  ['on this thread', undefined],
  ['in the worker pool', pool],
])('rebuildWorldState %s', (_, usePool) => {
  it('replays every aggregate, reports a corrupted snapshot as divergent, and replaces it', async () => {
    const { runtime, path } = await world();
    expect((await runtime.store.loadSnapshot('ann'))?.version).toBe(6);
    // Corrupt ann's snapshot: hp 10 becomes 9999 in the stored machine state.
    const raw = new Database(path);
    raw.prepare("UPDATE snapshots SET state = replace(state, '\"hp\":10', '\"hp\":9999') WHERE stream_id = 'ann'").run();
    raw.close();

    const report = await runtime.rebuildWorldState(usePool ? { pool: usePool } : {});
    expect(report).toMatchObject({ aggregates: 33, events: 39, snapshotsWritten: 33, parallel: usePool !== undefined });
    expect(report.divergent).toHaveLength(1);
    expect(report.divergent[0]).toMatchObject({ streamId: 'ann', kind: 'player', source: 'snapshot' });
    expect(report.divergent[0]?.found).toContain('"hp":9999');
    expect(report.divergent[0]?.replayed).toContain('"hp":10');

    const again = await runtime.rebuildWorldState(usePool ? { pool: usePool } : {});
    expect(again.divergent).toEqual([]); // the fresh snapshot replaced the corrupted one
    expect((await runtime.store.loadSnapshot('coin7'))?.version).toBe(1);
  });

  it('with snapshots, replays from version 1 any aggregate whose snapshot a machine change made unusable', async () => {
    const { runtime, path } = await world();
    const raw = new Database(path);
    raw.prepare("UPDATE snapshots SET machine_version = 999, state = '{}' WHERE stream_id = 'ann'").run();
    raw.close();
    const report = await runtime.rebuildWorldState(usePool ? { pool: usePool, useSnapshots: true } : { useSnapshots: true });
    expect(report.divergent).toEqual([]);
    const fresh = await runtime.store.loadSnapshot('ann');
    expect(fresh).toMatchObject({ version: 6, machineVersion: runtime.aggregates.kind('player').snapshotVersion });
    expect((unsealSnapshot(fresh!) as { state: { context: { attributes: unknown; equipment: unknown } } }).state.context).toMatchObject({ attributes: { hp: 10 }, equipment: { head: 'helm' } });
  });

  it('reports a live actor that no longer matches the store, and rehydrates it', async () => {
    const { runtime, path } = await world();
    expect(await runtime.state('hall')).toMatchObject({ description: 'Long.' });
    // Another process changes the hall behind this runtime's back.
    const other = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
    await other.execute({ type: 'UpdateRoomDescription', id: 'hall', description: 'Changed elsewhere.' });
    await other.close();
    const report = await runtime.rebuildWorldState(usePool ? { pool: usePool, useSnapshots: true } : { useSnapshots: true });
    expect(report.divergent.map((d) => [d.streamId, d.source])).toEqual([['hall', 'live']]);
    expect(await runtime.state('hall')).toMatchObject({ description: 'Changed elsewhere.' });
  });
});

describe('worker pool', () => {
  it('a task whose worker dies fails with WorkerFailedError, and the pool goes on serving', async () => {
    const crashing = new WorkerPool({ threads: 1, worker: new URL('../support/crashingWorker.ts', import.meta.url) });
    const error = await crashing.run({ kind: 'die' } as unknown as PoolTask).catch((e: unknown) => e);
    expect(isWorkerFailedError(error)).toBe(true);
    expect(await crashing.run({ kind: 'replay' } as PoolTask)).toMatchObject({ kind: 'replay' });
    await crashing.close();
  });

  it('a task that throws fails alone with the reason', async () => {
    const error = await pool.run({ kind: 'replay', storePath: '/nonexistent/store.db', streamIds: ['x'], useSnapshots: false }).catch((e: unknown) => e);
    expect(isWorkerFailedError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^worker task replay failed: .*(directory does not exist|unable to open)/);
  });
});

describe('a snapshot edited in place', () => {
  it('is refused on load (counted), the aggregate is replayed from its events, and verify reports it', async () => {
    const { runtime, path } = await world();
    expect((await runtime.store.loadSnapshot('ann'))?.version).toBe(6);
    await runtime.close();
    const raw = new Database(path);
    const edited = raw.prepare(`UPDATE snapshots SET state = replace(replace(state, '"hp":10', '"hp":9999'), '"admin":false', '"admin":true') WHERE stream_id = 'ann'`).run();
    expect(edited.changes).toBe(1);
    raw.close();

    const store = new SqliteEventStore({ path });
    const report = await verifyStore(store);
    await store.close();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ problem: 'snapshot_modified', streamId: 'ann', version: 6, detail: 'the snapshot does not match its seal' })]);

    const fresh = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
    runtimes.push(fresh);
    expect(await fresh.state('ann')).toMatchObject({ attributes: { hp: 10 }, admin: false, equipment: { head: 'helm' } });
    const refused = (await fresh.metrics.getSingleMetric('aethyr_snapshots_refused_total')?.get())?.values[0]?.value;
    expect(refused).toBe(1);
  });
});
