import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { FencedError, isFencedError } from '../../src/errors.ts';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { postgresOptions } from '../support/postgres.ts';
import { attribute, created, newEvents } from '../support/events.ts';

/** The epoch fence of the PostgreSQL append (issue 13): a stale shard owner cannot write. */
describe('epoch fence in the PostgreSQL append', () => {
  const open: PostgresEventStore[] = [];
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });
  const openStore = async (options = postgresOptions()) => {
    const store = await PostgresEventStore.open(options);
    open.push(store);
    return { store, options };
  };

  it('refuses an append under an older epoch once a newer owner of the shard has written, and writes nothing', async () => {
    const { store, options } = await openStore();
    const key = 'w/7';
    await store.appendToStream('a', newEvents(created()), { expectedVersion: 'no_stream', fence: { key, epoch: 10 } });
    // The new owner (epoch 20) writes another stream of the same shard: the fence rises for the whole shard.
    await store.appendToStream('b', newEvents(created()), { expectedVersion: 'no_stream', fence: { key, epoch: 20 } });
    const stale = store.appendToStream('a', newEvents(attribute('n', 1)), { expectedVersion: 1, fence: { key, epoch: 10 } });
    await expect(stale).rejects.toBeInstanceOf(FencedError);
    const error = await stale.catch((e: unknown) => e);
    expect(isFencedError(error) && error.epoch === 10 && error.currentEpoch === 20).toBe(true);
    expect((await store.readStream('a')).map((e) => e.version)).toEqual([1]);
    // The current owner writes on; epochs never decrease along versions.
    await store.appendToStream('a', newEvents(attribute('n', 2)), { expectedVersion: 1, fence: { key, epoch: 20 } });
    const client = new pg.Client({ connectionString: options.connectionString });
    await client.connect();
    try {
      const head = await client.query(`SELECT version, last_epoch FROM "${options.schema}".streams WHERE stream_id = 'a'`);
      expect(head.rows[0]).toEqual({ version: '2', last_epoch: '20' });
      const fence = await client.query(`SELECT epoch FROM "${options.schema}".shard_fence WHERE fence_key = $1`, [key]);
      expect(fence.rows[0]).toEqual({ epoch: '20' });
    } finally {
      await client.end();
    }
  });

  it('a multi-stream append is refused whole when one part is fenced; other shards are unaffected', async () => {
    const { store } = await openStore();
    await store.appendToStream('x', newEvents(created()), { fence: { key: 'w/1', epoch: 5 } });
    await store.appendToStream('y', newEvents(created()), { fence: { key: 'w/2', epoch: 9 } });
    const many = store.appendMany([
      { streamId: 'x', events: newEvents(attribute('n', 1)), options: { expectedVersion: 1, fence: { key: 'w/1', epoch: 5 } } },
      { streamId: 'y', events: newEvents(attribute('n', 1)), options: { expectedVersion: 1, fence: { key: 'w/2', epoch: 8 } } },
    ]);
    await expect(many).rejects.toSatisfy(isFencedError);
    expect((await store.readStream('x')).length).toBe(1);
    expect((await store.readStream('y')).length).toBe(1);
  });

  it('concurrent appends from two owners: every append under the old epoch after the new one committed is refused', async () => {
    const { store } = await openStore();
    const key = 'w/3';
    await store.appendToStream('s', newEvents(created()), { fence: { key, epoch: 1 } });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        store.appendToStream('s', newEvents(attribute('n', i)), { expectedVersion: 'any', fence: { key, epoch: i % 2 === 0 ? 1 : 2 } }),
      ),
    );
    const events = await store.readStream('s');
    // Epochs never decrease along versions: once an epoch-2 write is stored, no epoch-1 write follows.
    const epochs = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ version: r.value.nextExpectedVersion, epoch: i % 2 === 0 ? 1 : 2 }] : []));
    epochs.sort((a, b) => a.version - b.version);
    const firstTwo = epochs.findIndex((e) => e.epoch === 2);
    expect(firstTwo).toBeGreaterThanOrEqual(0);
    expect(epochs.slice(firstTwo).every((e) => e.epoch === 2)).toBe(true);
    expect(results.filter((r) => r.status === 'rejected').every((r) => isFencedError((r as PromiseRejectedResult).reason))).toBe(true);
    expect(events.length).toBe(1 + epochs.length);
  });
});
