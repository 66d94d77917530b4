import { currentSchemaVersions } from '../../src/domain/events.ts';
import type { EventStore, NewEvent } from '../../src/eventStore/types.ts';
import { round, timed, type BenchResult } from './harness.ts';

/** The raw baseline's figures: seconds to insert `total` rows in batches, and to read them back paged. */
export interface RawFigures {
  readonly appendSeconds: number;
  readonly readSeconds: number;
  readonly rowsRead: number;
}

/**
 * Appends `total` one-event appends at once (group-committed by the store, as many actors send them)
 * over 1,000 streams, replays everything with paged readAll, and reports both against the raw figures.
 */
export async function storeVsRaw(name: string, store: EventStore, total: number, raw: RawFigures, params: Record<string, unknown>, log: (line: string) => void, notes: string[]): Promise<BenchResult> {
  const event = (k: number): NewEvent => ({
    type: 'GameObjectAttributeUpdated',
    data: { key: 'hp', value: k },
    eventId: `e-${k}`,
    schemaVersion: currentSchemaVersions.GameObjectAttributeUpdated,
    occurredAt: '2026-01-01T00:00:00.000Z',
    metadata: { correlationId: 'c', causationId: null, actorId: null },
  });
  const append = await timed(() => Promise.all(Array.from({ length: total }, (_, k) => store.appendToStream(`obj-${k % 1000}`, [event(k)]))));
  const replay = await timed(async () => {
    let n = 0;
    for (let after = 0; ; ) {
      const events = await store.readAll({ after, limit: 1000 });
      n += events.length;
      if (events.length < 1000) return n;
      after = events.at(-1)?.position ?? 0;
    }
  });
  log(`raw: append ${Math.round(total / raw.appendSeconds)}/s, read ${Math.round(raw.rowsRead / raw.readSeconds)}/s`);
  log(`ours: append ${Math.round(total / append.seconds)}/s, replay ${Math.round(replay.result / replay.seconds)}/s`);
  return {
    name,
    params: { events: total, ...params },
    figures: { 'append events/s': Math.round(total / append.seconds), 'replay events/s': Math.round(replay.result / replay.seconds) },
    baseline: { 'raw batched insert rows/s': Math.round(total / raw.appendSeconds), 'raw paged read rows/s': Math.round(raw.rowsRead / raw.readSeconds) },
    ratios: { append: round(raw.appendSeconds / append.seconds), replay: round(raw.readSeconds / replay.seconds) },
    notes,
  };
}
