import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isConfigError, isStoreUnavailableError, isValidationError } from '../../src/errors.ts';
import { copyStore } from '../../src/eventStore/copyStore.ts';
import { recordCheckpoint, verifyCheckpoints } from '../../src/eventStore/immudb/checkpoints.ts';
import { ImmudbEventStore } from '../../src/eventStore/immudb/ImmudbEventStore.ts';
import { verifyStore } from '../../src/eventStore/integrity.ts';
import { exportStore, importStore, verifyExportFile } from '../../src/eventStore/jsonl.ts';
import { SqliteEventStore } from '../../src/eventStore/sqlite/SqliteEventStore.ts';
import type { EventStore } from '../../src/eventStore/types.ts';
import { createRuntime, silentLogger, type Command } from '../../src/index.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { openRuntime } from '../../src/openRuntime.ts';
import { parseConfig } from '../../src/config/config.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import type { PostgresStoreOptions } from '../../src/config/stores.ts';
import pg from 'pg';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { immudbOptions } from '../support/immudb.ts';
import { postgresOptions } from '../support/postgres.ts';
import { tempDirs } from '../support/tempStore.ts';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import { storeCodecsOf } from '../../src/definition/upcasters.ts';
import { worldAggregates } from '../../src/world/kinds.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

/** A small world with snapshots, built through the runtime on a SQLite file. */
async function sqliteWorld(): Promise<string> {
  const path = temp.file();
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, snapshotThreshold: 3, logger: silentLogger });
  const commands: Command[] = [
    { type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'Long.' },
    { type: 'CreateRoom', id: 'yard', name: 'Yard', description: 'Open.' },
    { type: 'AddRoomExit', id: 'hall', direction: 'out', targetRoomId: 'yard' },
    { type: 'CreateGameObject', id: 'lamp', name: 'Lamp', generic: 'light', containerId: 'hall' },
    { type: 'AddItemToInventory', id: 'hall', itemId: 'lamp' },
    { type: 'UpdateGameObjectAttribute', id: 'lamp', key: 'lit', value: true },
    { type: 'UpdateGameObjectAttribute', id: 'lamp', key: 'oil', value: 3 },
  ];
  for (const command of commands) await runtime.execute(command, { actorId: 'builder' });
  await runtime.close();
  return path;
}

const dump = async (store: EventStore) => ({
  rows: (await store.readAllRows({ limit: 10_000 })).map(({ position: _p, ...row }) => row),
  snapshots: await store.readSnapshots(),
  stats: await store.stats(),
});

describe('migration between stores', () => {
  it('sqlite → immudb → sqlite gives an identical store, and is resumable', async () => {
    const source = new SqliteEventStore({ path: await sqliteWorld() });
    const immudb = await ImmudbEventStore.open(immudbOptions());
    const back = new SqliteEventStore({ path: temp.file() });

    // An interrupted first run (only part of the events), then the full run finishes the job.
    await immudb.importRows((await source.readAllRows()).slice(0, 4));
    const there = await copyStore(source, immudb, { pageSize: 3 });
    expect(there).toMatchObject({ eventsRead: 9, eventsWritten: 5, identical: true });
    expect(there.snapshotsCopied).toBeGreaterThan(0);
    expect(await copyStore(source, immudb)).toMatchObject({ eventsWritten: 0, identical: true }); // idempotent

    const home = await copyStore(immudb, back);
    expect(home.identical).toBe(true);
    expect(await dump(back)).toEqual(await dump(source));

    // The copy is a working world: a runtime over it sees the same state.
    const runtime = createRuntime({ store: back, logger: silentLogger });
    expect(await runtime.state('lamp')).toMatchObject({ containerId: 'hall', attributes: { lit: true, oil: 3 } });
    await runtime.close();
    for (const store of [source, immudb, back]) await store.close();
  });
});

describe('migration and JSONL between all three stores', () => {
  it('sqlite → postgres → immudb → JSONL → postgres → sqlite keeps every row and hash (snapshots up to JSONL, which does not import them)', async () => {
    const source = new SqliteEventStore({ path: await sqliteWorld() });
    const postgres = await PostgresEventStore.open(postgresOptions());
    const immudb = await ImmudbEventStore.open(immudbOptions());
    const postgresAgain = await PostgresEventStore.open(postgresOptions());
    const back = new SqliteEventStore({ path: temp.file() });
    expect(await copyStore(source, postgres, { pageSize: 4 })).toMatchObject({ eventsRead: 9, eventsWritten: 9, identical: true });
    expect(await copyStore(source, postgres)).toMatchObject({ eventsWritten: 0, identical: true }); // idempotent
    expect(await copyStore(postgres, immudb)).toMatchObject({ eventsWritten: 9, identical: true });
    const file = temp.file('from-immudb.jsonl');
    expect((await exportStore(immudb, file)).events).toBe(9);
    expect(await importStore(postgresAgain, file)).toMatchObject({ written: 9 });
    expect(await copyStore(postgresAgain, back)).toMatchObject({ eventsWritten: 9, identical: true });
    const expected = await dump(source);
    for (const store of [postgres, immudb]) expect(await dump(store)).toEqual(expected);
    for (const store of [postgresAgain, back]) {
      expect((await dump(store)).rows).toEqual(expected.rows);
      expect(await store.readSnapshots()).toEqual([]);
    }
    // Each copy is a working world that goes on appending on both chains.
    const runtime = createRuntime({ store: postgresAgain, logger: silentLogger });
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'lamp', key: 'oil', value: 2 });
    expect(await runtime.state('lamp')).toMatchObject({ containerId: 'hall', attributes: { lit: true, oil: 2 } });
    await runtime.close();
    expect(await verifyStore(postgresAgain)).toMatchObject({ ok: true, eventsChecked: 10 });
    for (const store of [source, postgres, immudb, postgresAgain, back]) await store.close();
  });

  it('verify finds a row rewritten on the PostgreSQL server', async () => {
    const options = postgresOptions();
    const store = await PostgresEventStore.open(options);
    await copyStore(new SqliteEventStore({ path: await sqliteWorld() }), store);
    const raw = new pg.Client({ connectionString: options.connectionString });
    await raw.connect();
    await raw.query(`UPDATE "${options.schema}".events SET data = '{"key":"lit","value":false}' WHERE stream_id = 'lamp' AND version = 2`);
    await raw.end();
    expect((await verifyStore(store)).firstProblem).toMatchObject({ problem: 'modified', streamId: 'lamp', version: 2 });
    await store.close();
  });
});

describe('JSONL export and import', () => {
  it('round-trips a store and refuses a tampered file without writing anything', async () => {
    const source = new SqliteEventStore({ path: await sqliteWorld() });
    const file = temp.file('backup.jsonl');
    const exported = await exportStore(source, file);
    expect(exported.events).toBe(9);
    expect(await verifyExportFile(file)).toMatchObject({ ok: true, eventsChecked: 9 });

    const target = new SqliteEventStore({ path: temp.file() });
    expect(await importStore(target, file)).toMatchObject({ written: 9, snapshotsSkipped: exported.snapshots });
    expect(await importStore(target, file)).toMatchObject({ written: 0 });
    expect((await dump(target)).rows).toEqual((await dump(source)).rows);
    expect(exported.snapshots).toBeGreaterThan(0);
    expect(await target.readSnapshots()).toEqual([]); // unprovable caches: rebuilt from the events, never imported

    const lines = readFileSync(file, 'utf8').split('\n');
    const tampered = temp.file('tampered.jsonl');
    writeFileSync(tampered, lines.map((l) => l.replace('\\"oil\\",\\"value\\":3', '\\"oil\\",\\"value\\":300')).join('\n'));
    expect(readFileSync(tampered, 'utf8')).not.toEqual(readFileSync(file, 'utf8'));
    expect((await verifyExportFile(tampered)).firstProblem).toMatchObject({ problem: 'modified', streamId: 'lamp', version: 3 });
    const truncated = temp.file('truncated.jsonl');
    writeFileSync(truncated, lines.slice(0, 6).join('\n'));
    expect((await verifyExportFile(truncated)).fileProblem).toMatch(/truncated/);

    const empty = new SqliteEventStore({ path: temp.file() });
    const error = await importStore(empty, tampered).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/modified event at position \d+ \(lamp v3\)/);
    expect((await empty.stats()).eventCount).toBe(0);
    for (const store of [source, target, empty]) await store.close();
  });
});

/** Overwrites columns of one stored row on the server, as someone with write access could. */
async function rewriteRow(store: ImmudbEventStore, position: number, changes: Record<string, string>): Promise<void> {
  const columns = ['position', 'event_id', 'stream_id', 'version', 'type', 'schema_version', 'data', 'metadata', 'occurred_at', 'hash', 'chain_hash'];
  const [values] = await store.client.query(`SELECT ${columns.join(', ')} FROM events WHERE position = @p`, { p: position });
  const params = Object.fromEntries(columns.map((c, i) => [c, changes[c] ?? (values?.[i] as string | number)]));
  await store.client.exec(`UPSERT INTO events (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`, params);
}

describe('ImmuDB tamper evidence and checkpoints', () => {
  it('verify finds a row rewritten on the server, and the checkpoint finds a re-hashed history', async () => {
    const options = immudbOptions();
    const store = await ImmudbEventStore.open(options);
    await copyStore(new SqliteEventStore({ path: await sqliteWorld() }), store);
    const file = temp.file('checkpoints.jsonl');
    const checkpoint = await recordCheckpoint(store, file);
    expect(checkpoint).toMatchObject({ database: options.database, position: 9 });
    expect(await verifyCheckpoints(store, file)).toEqual({ checked: 1, problems: [] });

    const [row] = await store.client.query("SELECT position FROM events WHERE stream_id = 'lamp' AND version = 2");
    await rewriteRow(store, row?.[0] as number, { data: '{"key":"lit","value":false}' });
    expect((await verifyStore(store)).firstProblem).toMatchObject({ problem: 'modified', streamId: 'lamp', version: 2 });

    // Re-hash the head the way a forger would: the checkpoint kept outside the server catches it.
    await rewriteRow(store, 9, { chain_hash: 'f'.repeat(64) });
    const report = await verifyCheckpoints(store, file);
    expect(report.problems).toEqual([expect.stringMatching(/chain hash at position 9 differs from the checkpoint/)]);
    await store.close();
  });
});

describe('store selection and fallback', () => {
  const immudbConfig = (env: Record<string, string>) =>
    loadConfig('conf/server.yml', { AETHYR_STORE: 'immudb', AETHYR_SQLITE_PATH: temp.file(), ...env });

  it('runs on ImmuDB when configured through the environment', async () => {
    const o = immudbOptions();
    const runtime = await openRuntime(immudbConfig({ IMMUDB_PORT: String(o.port), IMMUDB_DATABASE: o.database }), { logger: silentLogger });
    expect(runtime.storeKind).toBe('immudb');
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    expect((await runtime.stats()).eventCount).toBe(2);
    await runtime.close();
  });

  it('fails fast with a clear message when ImmuDB is unreachable, by default', async () => {
    const config = immudbConfig({ IMMUDB_PORT: '1' });
    const fast = { ...config, immudb: { ...config.immudb, retry: { attempts: 1 } }, store: { ...config.immudb, retry: { attempts: 1 } } };
    const error = await openRuntime(fast, { logger: silentLogger }).catch((e: unknown) => e);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect((error as Error).message).toMatch(/connect to ImmuDB at 127\.0\.0\.1:1 \(database aethyr\): unavailable after 1 attempts/);
  });

  it('refuses the removed SQLite fallback with a clear ConfigError instead of serving an empty world', () => {
    expect(() => immudbConfig({})).not.toThrow();
    const error = (() => {
      try {
        return parseConfig({ store: { kind: 'immudb', immudb: { on_unavailable: 'fallback' } } });
      } catch (e) {
        return e;
      }
    })();
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(/store\.immudb\.on_unavailable .*fallback was removed/);
  });

  it('runs on PostgreSQL when configured through the environment, and refuses postgres without an address', async () => {
    const url = inject('postgresUrl');
    const schema = `t${Date.now().toString(36)}`;
    const config = loadConfig('conf/server.yml', { AETHYR_STORE: 'postgres', AETHYR_POSTGRES_URL: url });
    const runtime = await openRuntime({ ...config, store: { ...(config.store as PostgresStoreOptions), schema } }, { logger: silentLogger });
    expect(runtime.storeKind).toBe('postgres');
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    expect((await runtime.stats()).eventCount).toBe(2);
    await runtime.close();
    // createRuntime takes the same settings directly, synchronously.
    const direct = createRuntime({ store: { kind: 'postgres', connectionString: url, schema }, logger: silentLogger });
    expect((await direct.state('hall'))?.kind).toBe('room');
    await direct.close();
    expect(() => loadConfig('conf/server.yml', { AETHYR_STORE: 'postgres' })).toThrow(/store\.postgres\.connection_string .*required when store\.kind is postgres/);
  });
});

describe('import takes only what this world can load', () => {
  it('refuses a correctly chained event of a type no kind declares, or with data that fails its schema, and writes nothing', async () => {
    const codec = storeCodecsOf(new AggregateRegistry(worldAggregates)).codec;
    const crafted = new SqliteEventStore({ path: temp.file() }); // a bare store accepts any JSON: the attacker's tool
    const envelope = { schemaVersion: 1, occurredAt: new Date().toISOString(), metadata: { correlationId: 'c', causationId: null, actorId: null } };
    await crafted.appendToStream('ann', [{ ...envelope, eventId: 'e1', type: 'AdminGranted', data: { admin: true } } as never]);
    const unknownType = temp.file('unknown.jsonl');
    await exportStore(crafted, unknownType);
    expect(await verifyExportFile(unknownType)).toMatchObject({ ok: true }); // the chain alone cannot tell
    await crafted.appendToStream('lamp', [{ ...envelope, eventId: 'e2', type: 'GameObjectCreated', data: { name: 42 } } as never]);
    const badData = temp.file('bad-data.jsonl');
    await exportStore(crafted, badData);
    await crafted.close();

    const target = new SqliteEventStore({ path: temp.file() });
    await expect(importStore(target, unknownType, undefined, codec)).rejects.toThrow(/event at position 1 \(ann v1\) cannot be loaded by this world: event type AdminGranted is declared by no aggregate kind/);
    await expect(importStore(target, badData, undefined, codec)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await target.stats()).eventCount).toBe(0);
    await target.close();
  });

  it('reads back a file whose snapshots are of a game kind of its own (the format names no kinds)', async () => {
    const source = new SqliteEventStore({ path: temp.file() });
    const envelope = { schemaVersion: 1, occurredAt: new Date().toISOString(), metadata: { correlationId: 'c', causationId: null, actorId: null } };
    await source.appendToStream('t1', [{ ...envelope, eventId: 'k1', type: 'Counted', data: { n: 1 } } as never]);
    await source.saveSnapshot({ streamId: 't1', version: 1, kind: 'tally_counter' as never, machineVersion: 1, state: { n: 1 }, createdAt: 'now' });
    const file = temp.file('custom.jsonl');
    expect(await exportStore(source, file)).toMatchObject({ events: 1, snapshots: 1 });
    await source.close();
    expect(await verifyExportFile(file)).toMatchObject({ ok: true, eventsChecked: 1 });
    const target = new SqliteEventStore({ path: temp.file() });
    expect(await importStore(target, file)).toMatchObject({ written: 1, snapshotsSkipped: 1 });
    await target.close();
  });
});
