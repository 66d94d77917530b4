import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { isConcurrencyError, isConfigError, isDuplicateEventError } from '../../src/errors.ts';
import { classifyPgError } from '../../src/eventStore/postgres/sqlErrors.ts';
import { verifyStore } from '../../src/eventStore/integrity.ts';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { postgresOptions } from '../support/postgres.ts';
import { attribute, created, newEvents } from '../support/events.ts';

describe('PostgresEventStore on a real server', () => {
  const open: PostgresEventStore[] = [];
  const openStore = async (options: ReturnType<typeof postgresOptions>) => {
    const store = await PostgresEventStore.open(options);
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });

  it('a follower reading by position sees every event of concurrent writers exactly once, in order', async () => {
    const options = postgresOptions();
    const writers = await Promise.all(Array.from({ length: 4 }, () => openStore(options)));
    const follower = await openStore(options);
    const perWriter = 150;
    const seen: string[] = [];
    const positions: number[] = [];
    let done = false;
    const follow = (async () => {
      let after = 0;
      for (;;) {
        const finished = done; // read once more after the writers are done, then stop
        const page = await follower.readAll({ after, limit: 50 });
        for (const event of page) {
          seen.push(event.eventId);
          positions.push(event.position);
        }
        after = page.at(-1)?.position ?? after;
        if (finished && page.length === 0) return;
        if (page.length === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const written = await Promise.all(
      writers.map(async (writer, w) => {
        const ids: string[] = [];
        for (let i = 0; i < perWriter; i++) {
          // Each writer appends to its own streams and to one shared stream, so transactions overlap.
          const events = newEvents(attribute('n', i));
          const streamId = i % 3 === 0 ? 'shared' : `w${w}-${i % 5}`;
          await writer.appendToStream(streamId, events).catch(async () => writer.appendToStream(streamId, events));
          ids.push(...events.map((e) => e.eventId));
        }
        return ids;
      }),
    );
    done = true;
    await follow;
    expect(seen).toHaveLength(4 * perWriter);
    expect(new Set(seen)).toEqual(new Set(written.flat()));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(await verifyStore(follower)).toMatchObject({ ok: true, eventsChecked: 4 * perWriter });
  });

  it('wakes a follower in another connection through LISTEN/NOTIFY, not its own commits twice', async () => {
    const options = postgresOptions();
    const writer = await openStore(options);
    const follower = await openStore(options);
    let ownWakeups = 0;
    writer.onAppend(() => ownWakeups++);
    const woken = new Promise<void>((resolve) => follower.onAppend(resolve));
    await follower.ready();
    await writer.ready();
    await writer.appendToStream('a', newEvents(created('A')));
    await woken;
    expect((await follower.readAll()).map((e) => e.streamId)).toEqual(['a']);
    expect(ownWakeups).toBe(1);
  });

  it('two processes appending to one stream never corrupt it', async () => {
    const options = postgresOptions();
    const store = await openStore(options);
    await store.appendToStream('hall', newEvents(created('Hall')));
    const run = (name: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/postgresWriterChild.ts', options.connectionString, options.schema as string, name, '60'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child ${name} exited ${code}: ${err}`))));
      });
    expect(await Promise.all([run('one'), run('two')])).toEqual(['60', '60']);
    const events = await store.readStream('hall');
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
    expect(events.filter((e) => (e.data as { key?: string }).key === 'one')).toHaveLength(60);
    expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 121 });
  });

  it('classifies real server errors by SQLSTATE and constraint name, not message text', async () => {
    const options = postgresOptions();
    const store = await openStore(options);
    const [event] = newEvents(created('A'));
    await store.appendToStream('a', [event!]);
    const raw = new pg.Client({ connectionString: options.connectionString });
    await raw.connect();
    const rows = await store.readAllRows();
    const insert = (eventId: string, version: number) =>
      raw
        .query(`INSERT INTO "${options.schema}".events (event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash) VALUES ($1, 'a', $2, 't', 1, '{}', '{}', 'x', 'h', 'c')`, [eventId, version])
        .catch((e: unknown) => e);
    const duplicate = classifyPgError(await insert(rows[0]!.event_id, 9), { streamId: 'b', eventId: rows[0]!.event_id });
    const lostRace = classifyPgError(await insert('fresh-id', 1), { streamId: 'a' });
    await raw.end();
    expect(isDuplicateEventError(duplicate)).toBe(true);
    expect(isConcurrencyError(lostRace)).toBe(true);
    expect(await store.stats()).toMatchObject({ eventCount: 1 });
  });

  it('keeps the stream kind with its head, and creates its schema on first use', async () => {
    const options = postgresOptions();
    const store = new PostgresEventStore(options);
    open.push(store);
    await store.appendMany([{ streamId: 'hall', kind: 'room', events: newEvents(created('Hall')) }]);
    await store.appendMany([{ streamId: 'hall', kind: 'other', events: newEvents(attribute('k', 1)) }]);
    expect(await store.streamHead('hall')).toEqual({ version: 2, kind: 'room' });
    expect(await store.streamHead('nothing')).toBeUndefined();
  });

  it('refuses bad options before connecting to anything', async () => {
    for (const bad of [{ schema: 'Robert"); DROP' }, { poolSize: 0 }, { connectionString: 'mysql://x' }]) {
      let error: unknown;
      try {
        new PostgresEventStore({ ...postgresOptions(), ...bad });
      } catch (e) {
        error = e;
      }
      expect(isConfigError(error)).toBe(true);
    }
  });

  it('reports an unreachable server as STORE_UNAVAILABLE', async () => {
    await expect(PostgresEventStore.open({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
