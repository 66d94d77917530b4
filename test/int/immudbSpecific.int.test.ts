import { afterAll, describe, expect, it } from 'vitest';
import { isConcurrencyError, isStoreUnavailableError } from '../../src/errors.ts';
import { ImmudbClient } from '../../src/eventStore/immudb/ImmudbClient.ts';
import { ImmudbEventStore } from '../../src/eventStore/immudb/ImmudbEventStore.ts';
import { verifyStore } from '../../src/eventStore/integrity.ts';
import { createRuntime, silentLogger } from '../../src/index.ts';
import { attribute, created, newEvents } from '../support/events.ts';
import { immudbOptions } from '../support/immudb.ts';
import { IMMUDB_PASSWORD, IMMUDB_USER, ImmudbTestServer } from '../support/immudbServer.ts';

describe('ImmuDB specifics', () => {
  it('two stores on one database: exactly one wins each version', async () => {
    const options = immudbOptions();
    const [one, two] = [await ImmudbEventStore.open(options), await ImmudbEventStore.open(options)];
    await one.appendToStream('hall', newEvents(created('Hall')));
    for (let version = 1; version <= 8; version++) {
      const results = await Promise.allSettled([
        one.appendToStream('hall', newEvents(attribute('from', 'one')), { expectedVersion: version }),
        two.appendToStream('hall', newEvents(attribute('from', 'two')), { expectedVersion: version }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(isConcurrencyError(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason)).toBe(true);
    }
    // Concurrent writers on different streams interleave without gaps in the global order.
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).appendToStream(`s${i}`, newEvents(created(`S${i}`)))));
    const all = await one.readAll({ limit: 100 });
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    expect(await verifyStore(one)).toMatchObject({ ok: true, eventsChecked: 29 });
    await one.close();
    await two.close();
  });

  it('an append sent again with the same event ids (a retry after a lost reply) is answered, not duplicated', async () => {
    const store = await ImmudbEventStore.open(immudbOptions());
    await store.appendToStream('hall', newEvents(created('Hall')));
    const events = newEvents(attribute('k', 1), attribute('k', 2));
    const first = await store.appendToStream('hall', events, { expectedVersion: 1 });
    const again = await store.appendToStream('hall', events, { expectedVersion: 1 });
    expect(again).toEqual(first);
    expect((await store.readStream('hall')).map((e) => e.version)).toEqual([1, 2, 3]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 3 });
    await store.close();
  });

  it('a runtime on ImmuDB takes a burst to one aggregate larger than one transaction may carry', async () => {
    const store = await ImmudbEventStore.open(immudbOptions());
    const runtime = createRuntime({ store, logger: silentLogger });
    await runtime.execute({ type: 'CreateGameObject', id: 'chest', name: 'Chest', generic: 'chest' });
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'chest', key: 'n', value: i })),
    );
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 400 }, (_, i) => i + 2));
    expect((await runtime.state('chest'))?.attributes).toEqual({ n: 399 });
    await runtime.close();
    await store.close();
  }, 60_000);

  it('pages through a large stream (> 5,000 events) and a large readAll', async () => {
    const store = await ImmudbEventStore.open(immudbOptions());
    await store.appendToStream('big', newEvents(created('Big')));
    const total = 5200;
    const appends = [];
    for (let v = 2; v <= total; v++) appends.push(store.appendToStream('big', newEvents(attribute('n', v)), { expectedVersion: 'any' }));
    await Promise.all(appends);
    const stream = await store.readStream('big');
    expect(stream).toHaveLength(total);
    expect(stream.map((e) => e.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await store.readAll({ after: 100, limit: 3000 })).toHaveLength(3000);
    expect((await store.stats()).eventCount).toBe(total);
    await store.close();
  }, 120_000);

  it('wrong credentials fail with a clear StoreUnavailable error that does not echo the password', async () => {
    const error = await ImmudbEventStore.open(immudbOptions({ password: 'not-the-password' })).catch((e: unknown) => e);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect((error as Error).message).toMatch(/ImmuDB login as "immudb" .* failed \(check IMMUDB_USER \/ IMMUDB_PASSWORD\)/);
    expect((error as Error).message).not.toContain('not-the-password');
  });

  it('creates the database when it is missing', async () => {
    const options = immudbOptions();
    const store = await ImmudbEventStore.open(options);
    await store.close();
    const admin = await ImmudbClient.connect({ ...options, database: 'defaultdb' });
    const dbs = await admin.query('SELECT name FROM DATABASES()');
    admin.close();
    expect(dbs?.map((r) => r[0])).toContain(options.database);
    const again = await ImmudbEventStore.open(options); // and reopening finds it and its tables
    expect((await again.stats()).eventCount).toBe(0);
    await again.close();
  });

  it('our small client also does KV: set, get, and a missing key', async () => {
    const client = await ImmudbClient.connect(immudbOptions());
    const before = await client.currentState();
    const tx = await client.set('world:motd', 'Welcome back.');
    expect(tx).toBeGreaterThan(before.txId);
    expect((await client.get('world:motd'))?.toString()).toBe('Welcome back.');
    expect(await client.get('world:nothing')).toBeUndefined();
    expect((await client.currentState()).txId).toBe(tx);
    client.close();
  });

  it('an unreachable server is a StoreUnavailable error after bounded retries', async () => {
    const error = await ImmudbEventStore.open(immudbOptions({ port: 1, retry: { attempts: 2, baseDelayMs: 5 }, timeoutMs: 500 })).catch((e: unknown) => e);
    expect(isStoreUnavailableError(error)).toBe(true);
    expect((error as Error).message).toMatch(/after 2 attempts/);
  });
});

describe('ImmuDB server killed and restarted mid-run', () => {
  const server = new ImmudbTestServer();
  afterAll(() => server.dispose());

  it('keeps every acknowledged event, and the runtime recovers after retries', async () => {
    await server.start();
    const options = { ...immudbOptions({ port: server.port, retry: { attempts: 40, baseDelayMs: 50, maxDelayMs: 500 }, timeoutMs: 2000 }), user: IMMUDB_USER, password: IMMUDB_PASSWORD };
    const store = await ImmudbEventStore.open(options);
    const runtime = createRuntime({ store, logger: silentLogger });
    await runtime.execute({ type: 'CreateGameObject', id: 'chest', name: 'Chest', generic: 'chest' });
    const acknowledged: number[] = [];
    const failed: unknown[] = [];
    let killed: Promise<void> | undefined;
    let ackedBeforeKill = 0;
    const sends = Array.from({ length: 60 }, (_, i) =>
      runtime
        .execute({ type: 'UpdateGameObjectAttribute', id: 'chest', key: `k${i}`, value: i })
        .then((r) => {
          acknowledged.push(r.version);
          // Kill the server while the rest are queued or in flight, and bring it back shortly after.
          if (acknowledged.length === 10) {
            ackedBeforeKill = acknowledged.length;
            killed = server.kill().then(() => new Promise((t) => setTimeout(t, 300))).then(() => server.start()).then(() => undefined);
          }
        })
        .catch((e: unknown) => failed.push(e)),
    );
    await Promise.all(sends);
    await killed;
    expect(ackedBeforeKill).toBe(10);
    expect(failed.filter((e) => !isStoreUnavailableError(e))).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
    // After the restart the runtime serves again, and every acknowledged version is in the store.
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'chest', key: 'after', value: true });
    const versions = new Set((await store.readStream('chest')).map((e) => e.version));
    for (const v of acknowledged) expect(versions.has(v)).toBe(true);
    expect(await verifyStore(store)).toMatchObject({ ok: true });
    await runtime.close();
    await store.close();
  }, 120_000);
});

describe('ImmuDB server restarted under the default retry budget', () => {
  const server = new ImmudbTestServer();
  afterAll(() => server.dispose());

  it('every command sent while the server restarts succeeds', async () => {
    await server.start();
    const options = { ...immudbOptions({ port: server.port, retry: {} }), user: IMMUDB_USER, password: IMMUDB_PASSWORD };
    const store = await ImmudbEventStore.open(options);
    const runtime = createRuntime({ store, logger: silentLogger });
    await runtime.execute({ type: 'CreateGameObject', id: 'crate', name: 'Crate', generic: 'crate' });
    // A real restart: kill, start again on the same port and data (no sleep: the start itself is the outage).
    const down = performance.now();
    await server.kill();
    const restarted = server.start().then(() => performance.now() - down);
    const sent = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'crate', key: `k${i}`, value: i })),
    );
    const waited = performance.now() - sent;
    const outageMs = await restarted;
    console.log(`ImmuDB restart: down ${outageMs.toFixed(0)} ms; commands sent during it all answered after ${waited.toFixed(0)} ms`);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await store.readStream('crate')).map((e) => e.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    await runtime.close();
    await store.close();
  }, 120_000);
});
