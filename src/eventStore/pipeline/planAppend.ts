import { DuplicateEventError } from '../../errors.ts';
import { assertExpectedVersion } from '../expectedVersion.ts';
import { GENESIS, linkRows } from '../integrity.ts';
import { serializeEvent, storedEvent, type EventRow } from '../serialization.ts';
import type { AppendPart, AppendResult, NewEvent } from '../types.ts';

/** What an adapter knows about a stream before an append: its version and the hash of its last event. */
export interface StreamHead {
  readonly version: number;
  readonly hash: string;
}

/** Where an already stored event id lives. */
export interface StoredId {
  readonly streamId: string;
  readonly version: number;
}

/** The state an append is planned against, read by the adapter inside its write transaction. */
export interface AppendContext {
  /** Heads of the streams the append touches (absent: the stream has no events). */
  readonly heads: ReadonlyMap<string, StreamHead>;
  /** Event ids of this append that the store already holds. */
  readonly existing: ReadonlyMap<string, StoredId>;
  /** The store-wide chain's last link (GENESIS when empty). */
  readonly chainHash: string;
}

/** One stream's rows to write, already linked into both chains. */
export interface PlannedPart {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly rows: readonly Omit<EventRow, 'position'>[];
  /** The stream's version and hash after the part. */
  readonly version: number;
  readonly streamHash: string;
  readonly created: boolean;
}

/**
 * The outcome of planning: rows to write, or, for an append whose every event id is already stored in
 * the same stream at the same place (a re-send after a lost acknowledgement), the ranges to read back
 * and answer with the original result.
 */
export type AppendPlan =
  | { readonly kind: 'write'; readonly parts: readonly PlannedPart[]; readonly chainHash: string }
  | { readonly kind: 'resent'; readonly ranges: readonly { streamId: string; fromVersion: number; toVersion: number }[] };

/**
 * Plans an append against the heads an adapter read: pure, the same for every store. Throws
 * ConcurrencyError for an expected version that does not hold and DuplicateEventError for an event id
 * already stored elsewhere (or repeated within the append); nothing is written in either case.
 */
export function planAppend(parts: readonly AppendPart[], context: AppendContext): AppendPlan {
  const resent = resentRanges(parts, context.existing);
  if (resent) return { kind: 'resent', ranges: resent };
  const seen = new Map<string, string>();
  for (const part of parts) {
    for (const event of part.events) {
      const other = context.existing.get(event.eventId)?.streamId ?? seen.get(event.eventId);
      if (other !== undefined) throw new DuplicateEventError(event.eventId, part.streamId, other);
      seen.set(event.eventId, part.streamId);
    }
  }
  const heads = new Map(context.heads);
  let chainHash = context.chainHash;
  const planned = parts.map((part): PlannedPart => {
    const head = heads.get(part.streamId);
    const current = head?.version ?? 0;
    assertExpectedVersion(part.streamId, current, part.options?.expectedVersion);
    const unlinked = part.events.map((event, i) => serializeEvent(event, part.streamId, current + i + 1));
    const linked = linkRows(unlinked, { streamHash: head?.hash ?? GENESIS, chainHash });
    chainHash = linked.chainHash;
    const version = current + part.events.length;
    heads.set(part.streamId, { version, hash: linked.streamHash });
    return { streamId: part.streamId, events: part.events, rows: linked.rows, version, streamHash: linked.streamHash, created: current === 0 && version > 0 };
  });
  return { kind: 'write', parts: planned, chainHash };
}

/** The ranges of a re-sent append, or undefined when it is not one (some id is new or elsewhere). */
function resentRanges(parts: readonly AppendPart[], existing: ReadonlyMap<string, StoredId>): { streamId: string; fromVersion: number; toVersion: number }[] | undefined {
  if (existing.size === 0 || parts.every((p) => p.events.length === 0)) return undefined;
  const ranges = [];
  for (const part of parts) {
    if (part.events.length === 0) continue;
    const first = existing.get((part.events[0] as NewEvent).eventId);
    if (!first || first.streamId !== part.streamId) return undefined;
    const matches = part.events.every((event, i) => {
      const at = existing.get(event.eventId);
      return at?.streamId === part.streamId && at.version === first.version + i;
    });
    if (!matches) return undefined;
    ranges.push({ streamId: part.streamId, fromVersion: first.version, toVersion: first.version + part.events.length - 1 });
  }
  return ranges;
}

/** The result envelopes of a written plan, given the global positions the store gave each part's rows. */
export function appendResults(plan: Extract<AppendPlan, { kind: 'write' }>, positions: readonly (readonly number[])[]): AppendResult[] {
  return plan.parts.map((part, p) => ({
    streamId: part.streamId,
    nextExpectedVersion: part.version,
    events: part.rows.map((row, i) => storedEvent(part.events[i] as NewEvent, part.streamId, row, (positions[p] as readonly number[])[i] as number)),
  }));
}

/** Every event id an append carries, for the adapter's look-up of ids already stored. */
export const eventIdsOf = (parts: readonly AppendPart[]): string[] => parts.flatMap((p) => p.events.map((e) => e.eventId));

/** Every stream an append touches. */
export const streamIdsOf = (parts: readonly AppendPart[]): string[] => [...new Set(parts.map((p) => p.streamId))];
