import type { DomainEvent } from '../domain/events.ts';
import type { AggregateKind } from '../domain/state.ts';
import type { AppendListener } from './appendListeners.ts';
import type { EventRow } from './serialization.ts';

/** Who and what caused an event; supplied by the caller of a command. */
export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actorId: string | null;
}

/** An event ready to append: a domain event plus the envelope fields the writer chooses. */
export type NewEvent = DomainEvent & {
  readonly eventId: string;
  readonly schemaVersion: number;
  readonly occurredAt: string;
  readonly metadata: EventMetadata;
};

/** An event as stored: its envelope plus the stream, 1-based version and global position the store gave it. */
export type StoredEvent = NewEvent & {
  readonly streamId: string;
  readonly version: number;
  readonly position: number;
  /** Link in the stream's hash chain (see integrity.ts). */
  readonly hash: string;
  /** Link in the store-wide hash chain, in global order. */
  readonly chainHash: string;
};

/** An event as replay needs it: the domain event and its version in the stream. */
export type ReplayEvent = DomainEvent & { readonly version: number };

/** Expected version of a stream: an exact version (0 = empty), or one of the named conditions. */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

export interface AppendOptions {
  readonly expectedVersion?: ExpectedVersion;
  /** The kind of aggregate the stream holds, kept with its head when this append creates it (as AppendPart.kind). */
  readonly kind?: string | undefined;
  /**
   * Cluster fencing (PostgreSQL only; other stores ignore it): the writer's shard lease, `key` naming the
   * shard (e.g. `world/17`) and `epoch` its lease epoch. The store refuses (FencedError) an epoch older than
   * the key's fence or than the stream's last, in the same transaction as the expected-version check, and
   * raises the fence to this epoch when the append commits.
   */
  readonly fence?: { readonly key: string; readonly epoch: number } | undefined;
}

export interface AppendResult {
  readonly streamId: string;
  /** The stream's version after the append (the version of its last event). */
  readonly nextExpectedVersion: number;
  readonly events: readonly StoredEvent[];
}

export interface ReadStreamOptions {
  /** First version to read, inclusive (default 1). */
  readonly fromVersion?: number;
  /** Last version to read, inclusive (default: the end). */
  readonly toVersion?: number;
}

export interface ReadAllOptions {
  /** Read events with a global position strictly greater than this (default 0: from the start). */
  readonly after?: number;
  /** At most this many events (default 1000). */
  readonly limit?: number;
}

/**
 * Validates events on append (the registry supplies one; the default accepts any JSON value). Throws to
 * refuse: the append fails with a ValidationError and nothing is written.
 */
export interface EventCodec {
  validate(event: { readonly type: string; readonly schemaVersion: number; readonly data: unknown }): void;
}

/** One stream's share of an append. */
export interface AppendPart {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly options?: AppendOptions | undefined;
  /** The kind of aggregate the stream holds, kept with the stream's head when the append creates it. */
  readonly kind?: string | undefined;
}

/** An append (one or more parts, all or nothing) waiting for its group commit, inside a store adapter. */
export interface PendingAppend {
  readonly parts: readonly AppendPart[];
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** A saved machine snapshot of one aggregate at a version. */
export interface Snapshot {
  readonly streamId: string;
  readonly version: number;
  readonly kind: AggregateKind;
  /** The machine version that made it; a snapshot from another version is ignored. */
  readonly machineVersion: number;
  /** The XState persisted snapshot (plain JSON). */
  readonly state: unknown;
  readonly createdAt: string;
}

export interface StoreStats {
  readonly eventCount: number;
  readonly aggregateCount: number;
  readonly snapshotCount: number;
}

/**
 * The event log role: appends with optimistic concurrency, reads, and commit notifications. Appends
 * are atomic per call: either every event is stored at consecutive versions or none is.
 */
export interface EventLog {
  /** Capability: the most events one append (all parts together) may carry; unlimited when absent. */
  readonly maxEventsPerAppend?: number;
  appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Appends to several streams atomically: every part's expected version holds and all are stored
   * in one transaction, or nothing is. For changes that span aggregates (an item changing hands).
   */
  appendMany(parts: readonly AppendPart[]): Promise<AppendResult[]>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /**
   * Capability, the replay reader: a stream's events from a version on, upcast and validated, but
   * without their envelopes. Stores that lack it are read with readStream.
   */
  readStreamForReplay?(streamId: string, fromVersion: number): Promise<ReplayEvent[]>;
  /**
   * Capability: where a worker thread can open its own reader onto this store's data (serializable).
   * Only SQLite files have one now; the worker pool replays in parallel only from stores that do.
   */
  readonly replaySource?: { readonly adapter: 'sqlite'; readonly path: string } | undefined;
  /** The global position of the last event, 0 when the store is empty. */
  headPosition(): Promise<number>;
  /** The stream's current version, 0 when it has no events. */
  streamVersion(streamId: string): Promise<number>;
  /** The stream's version and the kind its creating append carried (null if none); undefined when it has no events. */
  streamHead(streamId: string): Promise<{ version: number; kind: string | null } | undefined>;
  /** Streams in id order, after `after` (exclusive), at most `limit` (default 1000). */
  listStreams(options?: { after?: string; limit?: number }): Promise<{ streamId: string; version: number }[]>;
  /** Calls `listener` after each commit made through this store object; returns an unsubscribe function. */
  onAppend(listener: AppendListener): () => void;
}

/** The snapshot role: one latest snapshot per stream. */
export interface SnapshotStore {
  /** Saves a snapshot unless a newer one is already stored. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** Saves many snapshots at once (one transaction where the store has them). */
  saveSnapshots(snapshots: readonly Snapshot[]): Promise<void>;
  loadSnapshot(streamId: string): Promise<Snapshot | undefined>;
  /** Every saved snapshot (for migration and backups). */
  readSnapshots(): Promise<Snapshot[]>;
}

/** The admin role: raw rows for verify, export, import and migration, and counts. */
export interface StoreAdmin {
  stats(): Promise<StoreStats>;
  /**
   * Writes rows copied from another store (migration, backup import) with their ids, versions,
   * metadata and hashes intact, in the given order. Rows whose event id is already stored are skipped,
   * so an interrupted copy can simply run again. Returns how many were written.
   */
  importRows(rows: readonly EventRow[]): Promise<number>;
  /** Raw rows in global order, exactly as stored (no upcasting): for verify, export and migration. */
  readAllRows(options?: ReadAllOptions): Promise<EventRow[]>;
}

/**
 * What every adapter implements and the runtime takes: the three roles and close(). Code that needs
 * only one role takes that role. Test-only operations (reset) are not part of it.
 */
export interface EventStore extends EventLog, SnapshotStore, StoreAdmin {
  /**
   * Capability: set once the store stopped acknowledging for good (fail-stop, code STORE_FAILED: e.g. its
   * files were removed or replaced under it); every later append fails with it. Health checks report it.
   */
  readonly failure?: Error | undefined;
  close(): Promise<void>;
}
