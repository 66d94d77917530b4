import { describe, expect, it } from 'vitest';
import { openImmudbStore, immudbOptions } from '../support/immudb.ts';
import { eventStoreContract } from '../contracts/eventStore.contract.ts';
import { ImmudbEventStore } from '../../src/eventStore/immudb/ImmudbEventStore.ts';

eventStoreContract('ImmuDB', async (extra) => {
  const options = immudbOptions(extra);
  return { store: await ImmudbEventStore.open(options), reopen: () => ImmudbEventStore.open(options) };
}, { durable: true, replayReader: false });

describe('ImmudbEventStore', () => {
  it('opens', async () => {
    const store = await openImmudbStore();
    expect(await store.stats()).toEqual({ eventCount: 0, aggregateCount: 0, snapshotCount: 0 });
    await store.close();
  });
});
