import type { AggregateRegistry } from '../definition/registry.ts';
import { ValidationError } from '../errors.ts';
import type { EventStore, StoredEvent } from '../eventStore/types.ts';

/** One aggregate as of a cut of the whole world. */
export interface WorldEntry {
  readonly id: string;
  readonly kind: string;
  /** The aggregate's version at the cut. */
  readonly version: number;
  readonly state: unknown;
}

export type WorldCut = { readonly position: number } | { readonly time: string | Date };

const PAGE = 1000;

/** Events of one atomic write share their envelope's time and correlation id (see runTransaction). */
const sameWrite = (a: StoredEvent, b: StoredEvent) => a.occurredAt === b.occurredAt && a.metadata.correlationId === b.metadata.correlationId;

/**
 * Every aggregate's state as of one global position: a consistent cut. A position inside an atomic
 * write (a transaction over several aggregates) is moved back to before that write, so an item moved
 * in one transaction is never in two places or in none. `{ time }` cuts after the last write at or
 * before that time. Streams one aggregate at a time (memory stays bounded in large worlds); events
 * after the cut are ignored, so writes going on meanwhile do not change the answer.
 */
export async function* worldAt(registry: AggregateRegistry, store: EventStore, at: WorldCut): AsyncGenerator<WorldEntry> {
  const cut = 'position' in at ? await boundaryAtOrBefore(store, checkedPosition(at.position)) : await positionAtTime(store, at.time);
  for (let after = ''; ; ) {
    const streams = await store.listStreams({ after, limit: PAGE });
    const last = streams.at(-1);
    if (!last) return;
    for (const { streamId } of streams) {
      const events = (await store.readStream(streamId)).filter((e) => e.position <= cut);
      const first = events[0];
      if (!first) continue;
      const kind = registry.kindOfStream(first, (await store.streamHead(streamId))?.kind);
      yield { id: streamId, kind: kind.name, version: events.at(-1)?.version ?? 0, state: kind.fold(kind.initial(streamId), events).context };
    }
    after = last.streamId;
  }
}

function checkedPosition(position: number): number {
  if (!Number.isInteger(position) || position < 0) throw new ValidationError(`worldAt: position must be a non-negative integer, got ${position}`);
  return position;
}

/** The last position at or before `position` that ends an atomic write. */
async function boundaryAtOrBefore(store: EventStore, position: number): Promise<number> {
  if (position === 0) return 0;
  const [next] = await store.readAll({ after: position, limit: 1 });
  let page = await store.readAll({ after: Math.max(0, position - PAGE), limit: PAGE });
  let index = page.findIndex((e) => e.position === position);
  const at = page[index];
  if (!at || !next || !sameWrite(at, next)) return at ? position : (page.filter((e) => e.position <= position).at(-1)?.position ?? 0);
  // Inside a write that continues after the cut: walk back to where it started.
  for (;;) {
    while (index > 0 && sameWrite(page[index - 1] as StoredEvent, at)) index--;
    const start = page[index] as StoredEvent;
    if (index > 0 || start.position <= 1) return start.position - 1;
    page = await store.readAll({ after: Math.max(0, start.position - 1 - PAGE), limit: PAGE });
    page.push(start);
    index = page.length - 1;
  }
}

/** The position of the last write whose events all occurred at or before `time`. */
async function positionAtTime(store: EventStore, time: string | Date): Promise<number> {
  const until = new Date(time).getTime();
  if (Number.isNaN(until)) throw new ValidationError(`worldAt: invalid time ${String(time)}`);
  let position = 0;
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: PAGE });
    for (const event of page) {
      if (Date.parse(event.occurredAt) > until) return boundaryAtOrBefore(store, position);
      position = event.position;
    }
    const last = page.at(-1);
    if (!last) return position;
    after = last.position;
  }
}
