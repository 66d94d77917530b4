import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConcurrencyError, isDuplicateEventError } from '../../src/errors.ts';
import { InMemoryEventStore } from '../../src/eventStore/memory/InMemoryEventStore.ts';
import { verifyStore } from '../../src/eventStore/integrity.ts';
import type { EventCodec, EventStore } from '../../src/eventStore/types.ts';
import { attribute, created, newEvents } from '../support/events.ts';

/** A store under test: the port plus the test-only reset every adapter keeps off its public interface. */
export type TestStore = EventStore & { reset(): Promise<void> };

export interface ContractFactory {
  (options?: { codec?: EventCodec }): Promise<{ store: TestStore; reopen?: () => Promise<TestStore>; cleanup?: () => Promise<void> }>;
}

/**
 * The capabilities an adapter claims; each claimed one runs its own suite, visibly in the adapter's
 * test file. A claimed capability the factory cannot back fails its tests (nothing returns early).
 */
export interface Capabilities {
  /** Data survives close and reopen (the factory returns `reopen`). */
  readonly durable: boolean;
  /** It implements readStreamForReplay, the envelope-free reader hydration uses. */
  readonly replayReader: boolean;
}

/**
 * The behaviour every EventStore adapter must have, then the capability suites it opts into. The
 * factory opens a fresh, empty store (and, for durable stores, a second handle onto the same data).
 */
export function eventStoreContract(name: string, factory: ContractFactory, capabilities: Capabilities): void {
  coreContract(name, factory);
  if (capabilities.durable) durableContract(name, factory);
  if (capabilities.replayReader) replayReaderContract(name, factory);
}

function coreContract(name: string, factory: ContractFactory): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: TestStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    it('appends events at consecutive 1-based versions and reads them back in order', async () => {
      const result = await store.appendToStream('a', newEvents(created('A'), attribute('hp', 1)), { expectedVersion: 'no_stream' });
      expect(result.nextExpectedVersion).toBe(2);
      expect(result.events.map((e) => e.version)).toEqual([1, 2]);
      const read = await store.readStream('a');
      expect(read).toEqual(result.events);
      expect(read[0]).toMatchObject({ streamId: 'a', type: 'GameObjectCreated', data: { name: 'A' }, schemaVersion: 2 });
      expect(read[1]?.metadata).toEqual({ correlationId: 'corr-1', causationId: null, actorId: 'tester' });
    });

    it('gives every event a global position, increasing in append order across streams', async () => {
      await store.appendToStream('a', newEvents(created('A')));
      await store.appendToStream('b', newEvents(created('B'), attribute('x', 1)));
      await store.appendToStream('a', newEvents(attribute('y', 2)));
      const all = await store.readAll();
      expect(all.map((e) => `${e.streamId}${e.version}`)).toEqual(['a1', 'b1', 'b2', 'a2']);
      const positions = all.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(positions).size).toBe(4);
    });

    it('reads all from a position with a limit, for paging', async () => {
      for (let i = 0; i < 7; i++) await store.appendToStream(`s${i}`, newEvents(created(`S${i}`)));
      const first = await store.readAll({ limit: 3 });
      const rest = await store.readAll({ after: first.at(-1)?.position ?? 0, limit: 100 });
      expect(first).toHaveLength(3);
      expect([...first, ...rest].map((e) => e.streamId)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
      expect(await store.readAll({ after: rest.at(-1)?.position ?? 0 })).toEqual([]);
    });

    it('reads a stream between versions', async () => {
      await store.appendToStream('a', newEvents(created('A'), attribute('k', 1), attribute('k', 2), attribute('k', 3)));
      const middle = await store.readStream('a', { fromVersion: 2, toVersion: 3 });
      expect(middle.map((e) => e.version)).toEqual([2, 3]);
      expect(await store.readStream('a', { fromVersion: 5 })).toEqual([]);
      expect(await store.readStream('missing')).toEqual([]);
    });

    it('rejects a wrong expected version with ConcurrencyError and writes nothing', async () => {
      await store.appendToStream('a', newEvents(created('A')));
      for (const expectedVersion of [0, 2, 'no_stream'] as const) {
        const error = await store.appendToStream('a', newEvents(attribute('k', 1)), { expectedVersion }).catch((e: unknown) => e);
        expect(isConcurrencyError(error)).toBe(true);
      }
      const missing = await store.appendToStream('b', newEvents(created('B')), { expectedVersion: 'stream_exists' }).catch((e: unknown) => e);
      expect(isConcurrencyError(missing)).toBe(true);
      expect(await store.readStream('a')).toHaveLength(1);
      expect(await store.streamVersion('b')).toBe(0);
      expect(await store.stats()).toEqual({ eventCount: 1, aggregateCount: 1, snapshotCount: 0 });
    });

    it('accepts matching expected versions of every form', async () => {
      await store.appendToStream('a', newEvents(created('A')), { expectedVersion: 'no_stream' });
      await store.appendToStream('a', newEvents(attribute('k', 1)), { expectedVersion: 1 });
      await store.appendToStream('a', newEvents(attribute('k', 2)), { expectedVersion: 'stream_exists' });
      const last = await store.appendToStream('a', newEvents(attribute('k', 3)), { expectedVersion: 'any' });
      expect(last.nextExpectedVersion).toBe(4);
      expect(await store.streamVersion('a')).toBe(4);
    });

    it('lets exactly one of many concurrent appends at the same expected version win', async () => {
      await store.appendToStream('a', newEvents(created('A')));
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.appendToStream('a', newEvents(attribute('k', i)), { expectedVersion: 1 })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.every((r) => isConcurrencyError(r.reason))).toBe(true);
      expect((await store.readStream('a')).map((e) => e.version)).toEqual([1, 2]);
    });

    it('appends to several streams atomically: all parts or none', async () => {
      await store.appendToStream('room', newEvents(created('Room')));
      const results = await store.appendMany([
        { streamId: 'room', events: newEvents(attribute('k', 1)), options: { expectedVersion: 1 } },
        { streamId: 'player', events: newEvents(created('P'), attribute('k', 2)), options: { expectedVersion: 'no_stream' } },
        { streamId: 'room', events: newEvents(attribute('k', 3)), options: { expectedVersion: 2 } },
      ]);
      expect(results.map((r) => [r.streamId, r.nextExpectedVersion])).toEqual([
        ['room', 2],
        ['player', 2],
        ['room', 3],
      ]);
      const before = await store.stats();
      const error = await store
        .appendMany([
          { streamId: 'item', events: newEvents(created('I')), options: { expectedVersion: 'no_stream' } },
          { streamId: 'room', events: newEvents(attribute('k', 4)), options: { expectedVersion: 1 } },
        ])
        .catch((e: unknown) => e);
      expect(isConcurrencyError(error)).toBe(true);
      expect(await store.stats()).toEqual(before);
      expect(await store.streamVersion('item')).toBe(0);
      // The store goes on serving, and its chains still verify.
      await store.appendToStream('item', newEvents(created('I')));
      expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 6 });
    });

    it('keeps the latest snapshot and ignores an older one', async () => {
      expect(await store.loadSnapshot('a')).toBeUndefined();
      const snapshot = { streamId: 'a', version: 5, kind: 'room' as const, machineVersion: 1, state: { context: { n: 5 } }, createdAt: '2026-01-01T00:00:00.000Z' };
      await store.saveSnapshot(snapshot);
      await store.saveSnapshot({ ...snapshot, version: 3, state: { context: { n: 3 } } });
      expect(await store.loadSnapshot('a')).toEqual(snapshot);
      await store.saveSnapshot({ ...snapshot, version: 9, state: { context: { n: 9 } } });
      expect((await store.loadSnapshot('a'))?.version).toBe(9);
      expect((await store.stats()).snapshotCount).toBe(1);
    });

    it('counts events, aggregates and snapshots, and reset empties the store', async () => {
      await store.appendToStream('a', newEvents(created('A'), attribute('k', 1)));
      await store.appendToStream('b', newEvents(created('B')));
      await store.saveSnapshot({ streamId: 'a', version: 2, kind: 'game_object', machineVersion: 1, state: {}, createdAt: 'x' });
      expect(await store.stats()).toEqual({ eventCount: 3, aggregateCount: 2, snapshotCount: 1 });
      await store.reset();
      expect(await store.stats()).toEqual({ eventCount: 0, aggregateCount: 0, snapshotCount: 0 });
      expect(await store.readAll()).toEqual([]);
    });

    it('answers a re-sent append (the same event ids) with the original result and writes nothing', async () => {
      const events = newEvents(created('A'), attribute('k', 1));
      const first = await store.appendToStream('a', events, { expectedVersion: 'no_stream' });
      await store.appendToStream('b', newEvents(created('B')));
      // Sent again after a lost acknowledgement: same ids, same stream, even with the old expected version.
      const again = await store.appendToStream('a', events, { expectedVersion: 'no_stream' });
      expect(again).toEqual(first);
      const many = await store.appendMany([{ streamId: 'a', events }]);
      expect(many).toEqual([first]);
      expect(await store.stats()).toMatchObject({ eventCount: 3, aggregateCount: 2 });
    });

    it('refuses an event id already stored in another stream with DuplicateEventError, writing nothing', async () => {
      const [event] = newEvents(created('A'));
      await store.appendToStream('a', [event!]);
      const before = await store.stats();
      const elsewhere = await store.appendToStream('c', [event!]).catch((e: unknown) => e);
      expect(elsewhere).toMatchObject({ code: 'DUPLICATE_EVENT', eventId: event!.eventId, streamId: 'c', existingStreamId: 'a' });
      // Mixed with new events, or repeated inside one append: the same answer, all or nothing.
      const mixed = await store.appendToStream('c', [...newEvents(created('C')), event!]).catch((e: unknown) => e);
      expect(isDuplicateEventError(mixed)).toBe(true);
      const [twice] = newEvents(created('D'));
      const repeated = await store.appendMany([{ streamId: 'd', events: [twice!] }, { streamId: 'e', events: [twice!] }]).catch((e: unknown) => e);
      expect(isDuplicateEventError(repeated)).toBe(true);
      expect(await store.stats()).toEqual(before);
      expect(await store.streamVersion('c')).toBe(0);
      // The store goes on serving, and its chains still verify.
      await store.appendToStream('c', newEvents(created('C')));
      expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 2 });
    });

    it('validates events on append through its codec (default: any JSON value), writing nothing when one fails', async () => {
      const notJson = [{ ...newEvents(created('A'))[0]!, data: { n: 1n } as unknown as never }];
      await expect(store.appendToStream('a', notJson)).rejects.toMatchObject({ code: 'VALIDATION' });
      const strict = await factory({ codec: { validate: (e) => { if (e.type !== 'GameObjectCreated') throw new Error(`unknown type ${e.type}`); } } });
      try {
        const error = await strict.store.appendToStream('b', newEvents(created('B'), attribute('k', 1))).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/b event 2 .*unknown type GameObjectAttributeUpdated/) });
        expect(await strict.store.stats()).toMatchObject({ eventCount: 0 });
        expect((await strict.store.appendToStream('b', newEvents(created('B')))).nextExpectedVersion).toBe(1);
      } finally {
        await strict.store.close();
        await strict.cleanup?.();
      }
      expect(await store.stats()).toMatchObject({ eventCount: 0 });
    });

    it('appending nothing changes nothing', async () => {
      const result = await store.appendToStream('a', []);
      expect(result.nextExpectedVersion).toBe(0);
      expect(await store.stats()).toEqual({ eventCount: 0, aggregateCount: 0, snapshotCount: 0 });
    });

    it('refuses use after close', async () => {
      await store.close();
      await expect(store.readAll()).rejects.toMatchObject({ code: 'CLOSED' });
      await expect(store.appendToStream('a', newEvents(created('A')))).rejects.toMatchObject({ code: 'CLOSED' });
      ({ store } = await factory());
    });

    it('links every event into its stream chain and the store-wide chain, and verify passes', async () => {
      const one = await store.appendToStream('a', newEvents(created('A'), attribute('k', 1)));
      const two = await store.appendToStream('b', newEvents(created('B')));
      const [a1, a2] = one.events;
      expect(a1?.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set([a1?.hash, a2?.hash, a1?.chainHash, two.events[0]?.chainHash]).size).toBe(4);
      expect(await store.readAll()).toEqual([...one.events, ...two.events]);
      const report = await verifyStore(store);
      expect(report).toMatchObject({ ok: true, eventsChecked: 3, streamsChecked: 2 });
      expect(report.head.chainHash).toBe(two.events[0]?.chainHash);
    });

    it('copies raw rows into another store with ids, versions, order and hashes intact, idempotently', async () => {
      await store.appendToStream('a', newEvents(created('A'), attribute('k', 1)));
      await store.appendToStream('b', newEvents(created('B')));
      const source = new InMemoryEventStore();
      await source.appendToStream('c', newEvents(created('C')));
      await source.appendToStream('c', newEvents(attribute('n', 2)));
      await store.reset();
      const rows = await source.readAllRows();
      expect(await store.importRows(rows.slice(0, 1))).toBe(1);
      expect(await store.importRows(rows)).toBe(1); // resumed: the first is skipped
      const copied = await store.readAllRows();
      const strip = (r: { position: number }) => ({ ...r, position: 0 });
      expect(copied.map(strip)).toEqual(rows.map(strip));
      expect(await store.streamVersion('c')).toBe(2);
      expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 2 });
      // and appending continues both chains
      await store.appendToStream('c', newEvents(attribute('n', 3)), { expectedVersion: 2 });
      expect(await verifyStore(store)).toMatchObject({ ok: true, eventsChecked: 3 });
    });

    it('lists streams in id order, reports its head position, and tells listeners about commits', async () => {
      let wakeups = 0;
      const unsubscribe = store.onAppend(() => wakeups++);
      expect(await store.headPosition()).toBe(0);
      for (const id of ['b', 'a', 'c']) await store.appendToStream(id, newEvents(created(id)));
      await store.appendToStream('a', newEvents(attribute('k', 1)));
      expect(wakeups).toBe(4);
      unsubscribe();
      await store.appendToStream('d', newEvents(created('D')));
      expect(wakeups).toBe(4);
      expect(await store.headPosition()).toBe((await store.readAll()).at(-1)?.position);
      expect(await store.listStreams()).toEqual([
        { streamId: 'a', version: 2 },
        { streamId: 'b', version: 1 },
        { streamId: 'c', version: 1 },
        { streamId: 'd', version: 1 },
      ]);
      expect((await store.listStreams({ after: 'b', limit: 1 })).map((s) => s.streamId)).toEqual(['c']);
    });

    it('saves snapshots in bulk and reads them all back', async () => {
      const at = (streamId: string, version: number) => ({ streamId, version, kind: 'game_object' as const, machineVersion: 1, state: { v: version }, createdAt: 'now' });
      await store.saveSnapshots([at('x', 2), at('y', 3)]);
      await store.saveSnapshots([at('x', 1), at('y', 4)]);
      const all = (await store.readSnapshots()).sort((p, q) => (p.streamId < q.streamId ? -1 : 1));
      expect(all.map((s) => [s.streamId, s.version])).toEqual([
        ['x', 2],
        ['y', 4],
      ]);
    });

    it('keeps the kind a stream was created with in its head', async () => {
      expect(await store.streamHead('hall')).toBeUndefined();
      await store.appendMany([{ streamId: 'hall', kind: 'room', events: newEvents(created('Hall')) }]);
      await store.appendMany([{ streamId: 'hall', kind: 'player', events: newEvents(attribute('k', 1)) }]);
      await store.appendToStream('box', newEvents(created('Box')));
      expect(await store.streamHead('hall')).toEqual({ version: 2, kind: 'room' });
      expect(await store.streamHead('box')).toEqual({ version: 1, kind: null });
    });
  });
}

/** Capability suite: what was acknowledged is there after close and reopen. */
function durableContract(name: string, factory: ContractFactory): void {
  describe(`EventStore contract: ${name}: durable`, () => {
    it('keeps everything acknowledged, with stream kinds and snapshots, when reopened', async () => {
      const { store, reopen, cleanup } = await factory();
      if (!reopen) throw new Error(`${name} claims durability but its factory gives no reopen`);
      const acknowledged = await store.appendMany([{ streamId: 'a', kind: 'room', events: newEvents(created('A'), attribute('k', 1)) }]);
      await store.saveSnapshot({ streamId: 'a', version: 2, kind: 'room', machineVersion: 1, state: { n: 2 }, createdAt: 'now' });
      await store.close();
      const again = await reopen();
      try {
        expect(await again.readStream('a')).toEqual(acknowledged[0]?.events);
        expect(await again.streamHead('a')).toEqual({ version: 2, kind: 'room' });
        expect((await again.loadSnapshot('a'))?.state).toEqual({ n: 2 });
      } finally {
        await again.close();
        await cleanup?.();
      }
    });
  });
}

/** Capability suite: the replay reader returns what readStream returns, without envelopes. */
function replayReaderContract(name: string, factory: ContractFactory): void {
  describe(`EventStore contract: ${name}: replay reader`, () => {
    it('reads a stream tail for replay as readStream does, from any version', async () => {
      const { store, cleanup } = await factory();
      try {
        if (!store.readStreamForReplay) throw new Error(`${name} claims a replay reader but has no readStreamForReplay`);
        await store.appendToStream('a', newEvents(created('A'), attribute('k', 1), attribute('k', 2)));
        await store.appendToStream('b', newEvents(created('B')));
        for (const from of [1, 2, 4]) {
          const full = await store.readStream('a', { fromVersion: from });
          expect(await store.readStreamForReplay('a', from)).toEqual(full.map((e) => ({ type: e.type, data: e.data, version: e.version })));
        }
      } finally {
        await store.close();
        await cleanup?.();
      }
    });
  });
}
