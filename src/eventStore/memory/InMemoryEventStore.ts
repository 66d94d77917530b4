import { ClosedError } from '../../errors.ts';
import { AppendListeners, type AppendListener } from '../appendListeners.ts';
import { GENESIS } from '../integrity.ts';
import { appendResults, eventIdsOf, planAppend, streamIdsOf, type StoredId, type StreamHead } from '../pipeline/planAppend.ts';
import { deserializeEvent, type EventRow } from '../serialization.ts';
import type {
  AppendOptions,
  AppendPart,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  Snapshot,
  StoredEvent,
  StoreStats,
} from '../types.ts';
import type { EventCodec } from '../types.ts';
import { anyJson, validateAppend } from '../pipeline/validateAppend.ts';
import { singlePart } from '../pipeline/singlePart.ts';
import { defaultUpcasters, type UpcasterRegistry } from '../upcasters.ts';

/**
 * A store in memory, for unit tests of machines and decide logic only. It keeps rows serialized the
 * way SQLite does, so reads go through the same upcast-and-validate path; nothing survives the process.
 */
export class InMemoryEventStore implements EventStore {
  readonly #rows: EventRow[] = [];
  readonly #streams = new Map<string, EventRow[]>();
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #byEventId = new Map<string, EventRow>();
  readonly #kinds = new Map<string, string>();
  readonly #listeners = new AppendListeners();
  readonly #upcasters: UpcasterRegistry;
  #closed = false;

  readonly #codec: EventCodec;

  constructor(options: { upcasters?: UpcasterRegistry; codec?: EventCodec } = {}) {
    this.#upcasters = options.upcasters ?? defaultUpcasters();
    this.#codec = options.codec ?? anyJson;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return (await this.appendMany([singlePart(streamId, events, options)]))[0] as AppendResult;
  }

  async appendMany(parts: readonly AppendPart[]): Promise<AppendResult[]> {
    this.#assertOpen();
    validateAppend(parts, this.#codec);
    // The shared planner checks every part and links the rows before anything is written: all or nothing.
    const heads = new Map<string, StreamHead>();
    for (const streamId of streamIdsOf(parts)) {
      const last = this.#streams.get(streamId)?.at(-1);
      if (last) heads.set(streamId, { version: last.version, hash: last.hash });
    }
    const existing = new Map<string, StoredId>();
    for (const eventId of eventIdsOf(parts)) {
      const row = this.#byEventId.get(eventId);
      if (row) existing.set(eventId, { streamId: row.stream_id, version: row.version });
    }
    const plan = planAppend(parts, { heads, existing, chainHash: this.#rows.at(-1)?.chain_hash ?? GENESIS });
    if (plan.kind === 'resent') {
      return Promise.all(plan.ranges.map(async (r) => ({ streamId: r.streamId, nextExpectedVersion: r.toVersion, events: await this.readStream(r.streamId, r) })));
    }
    const positions = plan.parts.map((part, i) => {
      if (part.created && parts[i]?.kind !== undefined) this.#kinds.set(part.streamId, parts[i]?.kind as string);
      return part.rows.map((row) => this.#push({ ...row, position: 0 }));
    });
    if (positions.some((p) => p.length > 0)) this.#listeners.notify();
    return appendResults(plan, positions);
  }

  /** The stream's version and the kind stored when it was created (null if never given); undefined when empty. */
  async streamHead(streamId: string): Promise<{ version: number; kind: string | null } | undefined> {
    this.#assertOpen();
    const version = this.#streams.get(streamId)?.length ?? 0;
    return version === 0 ? undefined : { version, kind: this.#kinds.get(streamId) ?? null };
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    return this.#rows.at(-1)?.position ?? 0;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  async listStreams(options: { after?: string; limit?: number } = {}): Promise<{ streamId: string; version: number }[]> {
    this.#assertOpen();
    const after = options.after ?? '';
    return [...this.#streams.entries()]
      .filter(([id]) => id > after)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, options.limit ?? 1000)
      .map(([streamId, rows]) => ({ streamId, version: rows.length }));
  }

  async importRows(rows: readonly EventRow[]): Promise<number> {
    this.#assertOpen();
    const fresh = rows.filter((row) => !this.#byEventId.has(row.event_id));
    for (const row of fresh) this.#push(row);
    return fresh.length;
  }

  async readAllRows(options: ReadAllOptions = {}): Promise<EventRow[]> {
    this.#assertOpen();
    const after = options.after ?? 0;
    return this.#rows.filter((r) => r.position > after).slice(0, options.limit ?? 1000);
  }

  /** Stores a row at the next position; returns the position. */
  #push(row: EventRow): number {
    const position = (this.#rows.at(-1)?.position ?? 0) + 1;
    const stored = { ...row, position };
    this.#rows.push(stored);
    const stream = this.#streams.get(row.stream_id) ?? [];
    stream.push(stored);
    this.#streams.set(row.stream_id, stream);
    this.#byEventId.set(row.event_id, stored);
    return position;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.#assertOpen();
    const from = options.fromVersion ?? 1;
    const to = options.toVersion ?? Number.MAX_SAFE_INTEGER;
    return (this.#streams.get(streamId) ?? [])
      .filter((r) => r.version >= from && r.version <= to)
      .map((r) => deserializeEvent(r, this.#upcasters));
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return (await this.readAllRows(options)).map((r) => deserializeEvent(r, this.#upcasters));
  }

  async streamVersion(streamId: string): Promise<number> {
    this.#assertOpen();
    return this.#streams.get(streamId)?.length ?? 0;
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.#assertOpen();
    const existing = this.#snapshots.get(snapshot.streamId);
    if (!existing || existing.version <= snapshot.version) {
      this.#snapshots.set(snapshot.streamId, structuredClone(snapshot));
    }
  }

  async saveSnapshots(snapshots: readonly Snapshot[]): Promise<void> {
    for (const snapshot of snapshots) await this.saveSnapshot(snapshot);
  }

  async loadSnapshot(streamId: string): Promise<Snapshot | undefined> {
    this.#assertOpen();
    const snapshot = this.#snapshots.get(streamId);
    return snapshot && structuredClone(snapshot);
  }

  async readSnapshots(): Promise<Snapshot[]> {
    this.#assertOpen();
    return [...this.#snapshots.values()].map((s) => structuredClone(s));
  }

  async stats(): Promise<StoreStats> {
    this.#assertOpen();
    return { eventCount: this.#rows.length, aggregateCount: this.#streams.size, snapshotCount: this.#snapshots.size };
  }

  async reset(): Promise<void> {
    this.#rows.length = 0;
    this.#streams.clear();
    this.#snapshots.clear();
    this.#byEventId.clear();
    this.#kinds.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('event store');
  }
}
