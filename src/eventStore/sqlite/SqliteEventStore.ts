import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AggregateKind } from '../../domain/state.ts';
import { ClosedError, describe, isRuntimeError, StoreUnavailableError } from '../../errors.ts';
import { createMetrics, type Metrics } from '../../metrics/metrics.ts';
import { AppendListeners, type AppendListener } from '../appendListeners.ts';
import { assertExpectedVersion } from '../expectedVersion.ts';
import { GENESIS, linkRows } from '../integrity.ts';
import { deserializeEvent, serializeEvent, storedEvent, toReplayEvent, type EventRow } from '../serialization.ts';
import type {
  AppendOptions,
  AppendPart,
  PendingAppend,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  ReplayEvent,
  Snapshot,
  StoredEvent,
  StoreStats,
} from '../types.ts';
import { defaultUpcasters, type UpcasterRegistry } from '../upcasters.ts';
import { migrate } from './schema.ts';

/**
 * How hard a commit is pushed to disk. `full` (default): fsync on every commit, survives power loss.
 * `normal`: survives a process crash, may lose the last commits on power loss. `off`: tests only.
 */
export type Durability = 'full' | 'normal' | 'off';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for a throwaway store. Parent folders are created. */
  readonly path: string;
  readonly durability?: Durability;
  /** Milliseconds to gather appends into one transaction; 0 batches what arrives in the same tick. */
  readonly groupCommitWindowMs?: number;
  /** Milliseconds to wait for another process's write lock before failing. */
  readonly busyTimeoutMs?: number;
  readonly upcasters?: UpcasterRegistry;
  readonly metrics?: Metrics;
}


interface SnapshotRow {
  stream_id: string;
  version: number;
  kind: AggregateKind;
  machine_version: number;
  state: string;
  created_at: string;
}

const EVENT_COLUMNS = 'position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash';

/** The running head of the store-wide chain during one write transaction. */
interface BatchHead {
  chainHash: string;
}

/**
 * The embedded event store: one SQLite file in WAL mode. Appends arriving together are group-committed
 * (one transaction, one fsync); each append keeps its own expected-version check and succeeds or fails
 * alone. Safe for several processes over one file: writes take SQLite's write lock, and the
 * (stream_id, version) key makes a lost race a ConcurrencyError, never a corrupt stream.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #upcasters: UpcasterRegistry;
  readonly #metrics: Metrics;
  readonly #windowMs: number;
  readonly #path: string;
  #pending: PendingAppend[] = [];
  readonly #listeners = new AppendListeners();
  #flushScheduled = false;
  #closed = false;
  readonly #writeBatch: Database.Transaction<(batch: PendingAppend[], isolate: boolean) => (AppendResult[] | Error)[]>;
  readonly #appendOne: (p: AppendPart, head: BatchHead) => AppendResult;
  readonly #appendPending: Database.Transaction<(p: PendingAppend, head: BatchHead) => AppendResult[]>;
  readonly #importRows: Database.Transaction<(rows: readonly EventRow[]) => number>;
  readonly #stmt;

  constructor(options: SqliteEventStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    this.#path = options.path;
    this.#upcasters = options.upcasters ?? defaultUpcasters();
    this.#metrics = options.metrics ?? createMetrics();
    this.#windowMs = options.groupCommitWindowMs ?? 0;
    const db = this.#db;
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${(options.durability ?? 'full').toUpperCase()}`);
    migrate(db);

    this.#stmt = {
      version: db.prepare<[string], { version: number; hash: string }>('SELECT version, hash FROM streams WHERE stream_id = ?'),
      // Only what a fold needs, as arrays: hydration reads this on every cold spawn.
      replayTail: db.prepare('SELECT version, type, schema_version, data FROM events WHERE stream_id = ? AND version >= ? ORDER BY version').raw(true),
      head: db.prepare<[], { position: number }>('SELECT position FROM events ORDER BY position DESC LIMIT 1'),
      chainHead: db.prepare<[], { chain_hash: string }>('SELECT chain_hash FROM events ORDER BY position DESC LIMIT 1'),
      hasEvent: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM events WHERE event_id = ?'),
      insert: db.prepare(
        `INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash)
         VALUES (@event_id, @stream_id, @version, @type, @schema_version, @data, @metadata, @occurred_at, @hash, @chain_hash)`,
      ),
      upsertStream: db.prepare(
        `INSERT INTO streams (stream_id, version, hash) VALUES (?, ?, ?)
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash`,
      ),
      readStream: db.prepare<[string, number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND version BETWEEN ? AND ? ORDER BY version`,
      ),
      readAll: db.prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      ),
      saveSnapshot: db.prepare(
        `INSERT INTO snapshots (stream_id, version, kind, machine_version, state, created_at)
         VALUES (@stream_id, @version, @kind, @machine_version, @state, @created_at)
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, kind = excluded.kind,
           machine_version = excluded.machine_version, state = excluded.state, created_at = excluded.created_at
         WHERE excluded.version >= snapshots.version`,
      ),
      loadSnapshot: db.prepare<[string], SnapshotRow>('SELECT * FROM snapshots WHERE stream_id = ?'),
      listStreams: db.prepare<[string, number], { stream_id: string; version: number }>(
        'SELECT stream_id, version FROM streams WHERE stream_id > ? ORDER BY stream_id LIMIT ?',
      ),
      allSnapshots: db.prepare<[], SnapshotRow>('SELECT * FROM snapshots ORDER BY stream_id'),
      stats: db.prepare<[], StoreStats>(
        `SELECT (SELECT count(*) FROM events) AS eventCount, (SELECT count(*) FROM streams) AS aggregateCount,
                (SELECT count(*) FROM snapshots) AS snapshotCount`,
      ),
    };

    this.#appendOne = (p: AppendPart, head: BatchHead): AppendResult => {
      const stream = this.#stmt.version.get(p.streamId);
      const current = stream?.version ?? 0;
      assertExpectedVersion(p.streamId, current, p.options?.expectedVersion);
      if (p.events.length === 0) return { streamId: p.streamId, nextExpectedVersion: current, events: [] };
      const unlinked = p.events.map((event, i) => serializeEvent(event, p.streamId, current + i + 1));
      const linked = linkRows(unlinked, { streamHash: stream?.hash ?? GENESIS, chainHash: head.chainHash });
      const stored: StoredEvent[] = linked.rows.map((row, i) => {
        const position = Number(this.#stmt.insert.run(row).lastInsertRowid);
        return storedEvent(p.events[i] as NewEvent, p.streamId, row, position);
      });
      const version = current + stored.length;
      this.#stmt.upsertStream.run(p.streamId, version, linked.streamHash);
      head.chainHash = linked.chainHash;
      return { streamId: p.streamId, nextExpectedVersion: version, events: stored };
    };
    // Nested inside #writeBatch this runs in a SAVEPOINT: a failed append (any of its parts) rolls back alone.
    this.#appendPending = db.transaction((p: PendingAppend, head: BatchHead) => p.parts.map((part) => this.#appendOne(part, head)));
    // Expected versions are checked before anything of an append is written, so a lost race costs no
    // rollback. The fast pass writes without savepoints; anything else failing aborts the transaction,
    // and the batch is written again with a savepoint per append, so only the culprit fails.
    this.#writeBatch = db.transaction((batch: PendingAppend[], isolate: boolean) => {
      const head: BatchHead = { chainHash: this.#stmt.chainHead.get()?.chain_hash ?? GENESIS };
      return batch.map((p) => {
        try {
          this.#check(p);
        } catch (error) {
          return asError(error);
        }
        if (!isolate) return p.parts.map((part) => this.#appendOne(part, head));
        const before = head.chainHash;
        try {
          return this.#appendPending(p, head);
        } catch (error) {
          head.chainHash = before; // the savepoint rolled back the rows; roll back the head too
          return asError(error);
        }
      });
    });
    this.#importRows = db.transaction((rows: readonly EventRow[]) => {
      let written = 0;
      for (const row of rows) {
        if (this.#stmt.hasEvent.get(row.event_id)) continue;
        const { position: _sourcePosition, ...copy } = row;
        this.#stmt.insert.run(copy);
        const stream = this.#stmt.version.get(row.stream_id);
        if (!stream || stream.version < row.version) this.#stmt.upsertStream.run(row.stream_id, row.version, row.hash);
        written++;
      }
      return written;
    });
  }

  /** Throws the ConcurrencyError an append would meet, before any of it is written. */
  #check(p: PendingAppend): void {
    const versions = new Map<string, number>();
    for (const part of p.parts) {
      const current = versions.get(part.streamId) ?? this.#stmt.version.get(part.streamId)?.version ?? 0;
      assertExpectedVersion(part.streamId, current, part.options?.expectedVersion);
      versions.set(part.streamId, current + part.events.length);
    }
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return (await this.appendMany([{ streamId, events, options }]))[0] as AppendResult;
  }

  appendMany(parts: readonly AppendPart[]): Promise<AppendResult[]> {
    if (this.#closed) return Promise.reject(new ClosedError('event store'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ parts, resolve, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      if (this.#windowMs > 0) setTimeout(() => this.#flush(), this.#windowMs);
      else setImmediate(() => this.#flush());
    });
  }

  /** Commits every pending append in one IMMEDIATE transaction (one fsync), then settles each promise. */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const end = this.#metrics.appendDuration.startTimer();
    let results: (AppendResult[] | Error)[];
    try {
      try {
        results = this.#writeBatch.immediate(batch, false);
      } catch (error) {
        if (isBusy(error)) throw error; // the write lock, not an append: isolating would not help
        results = this.#writeBatch.immediate(batch, true);
      }
    } catch (error) {
      end();
      this.#metrics.storeFailures.inc();
      const failure = new StoreUnavailableError(`append failed, nothing was written: ${describe(error)}`, error);
      for (const p of batch) p.reject(failure);
      return;
    }
    end();
    this.#metrics.appendBatchSize.observe(batch.length);
    let stored = 0;
    batch.forEach((p, i) => {
      const result = results[i] as AppendResult[] | Error;
      if (result instanceof Error) {
        const streams = p.parts.map((part) => part.streamId).join(', ');
        p.reject(isRuntimeError(result) ? result : new StoreUnavailableError(`append to ${streams} failed: ${result.message}`, result));
      } else {
        for (const r of result) stored += r.events.length;
        p.resolve(result);
      }
    });
    this.#metrics.eventsStored.inc(stored);
    if (stored > 0) this.#listeners.notify();
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    return this.#stmt.head.get()?.position ?? 0;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  async listStreams(options: { after?: string; limit?: number } = {}): Promise<{ streamId: string; version: number }[]> {
    this.#assertOpen();
    return this.#stmt.listStreams.all(options.after ?? '', options.limit ?? 1000).map((r) => ({ streamId: r.stream_id, version: r.version }));
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.#read(() =>
      this.#stmt.readStream
        .all(streamId, options.fromVersion ?? 1, options.toVersion ?? Number.MAX_SAFE_INTEGER)
        .map((row) => deserializeEvent(row, this.#upcasters)),
    );
  }

  async readStreamForReplay(streamId: string, fromVersion: number): Promise<ReplayEvent[]> {
    return this.#read(() =>
      (this.#stmt.replayTail.all(streamId, fromVersion) as unknown as [number, string, number, string][]).map(([version, type, schemaVersion, data]) =>
        toReplayEvent(this.#upcasters, streamId, version, type, schemaVersion, data),
      ),
    );
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.#read(() => this.#stmt.readAll.all(options.after ?? 0, options.limit ?? 1000).map((row) => deserializeEvent(row, this.#upcasters)));
  }

  async readAllRows(options: ReadAllOptions = {}): Promise<EventRow[]> {
    this.#assertOpen();
    return this.#stmt.readAll.all(options.after ?? 0, options.limit ?? 1000);
  }

  async importRows(rows: readonly EventRow[]): Promise<number> {
    this.#assertOpen();
    const written = this.#importRows.immediate(rows);
    this.#metrics.eventsStored.inc(written);
    if (written > 0) this.#listeners.notify();
    return written;
  }

  /** Every read of events: timed, counted, and failures (a row that does not decode) counted. */
  #read<T>(query: () => T[]): T[] {
    this.#assertOpen();
    const end = this.#metrics.readDuration.startTimer();
    try {
      const events = query();
      this.#metrics.eventsLoaded.inc(events.length);
      return events;
    } catch (error) {
      this.#metrics.loadFailures.inc();
      throw error;
    } finally {
      end();
    }
  }

  async streamVersion(streamId: string): Promise<number> {
    this.#assertOpen();
    return this.#stmt.version.get(streamId)?.version ?? 0;
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.saveSnapshots([snapshot]);
  }

  async saveSnapshots(snapshots: readonly Snapshot[]): Promise<void> {
    this.#assertOpen();
    this.#saveSnapshots(snapshots);
    this.#metrics.snapshotsStored.inc(snapshots.length);
  }

  readonly #saveSnapshots = (snapshots: readonly Snapshot[]): void =>
    this.#db.transaction(() => {
      for (const snapshot of snapshots) this.#saveOne(snapshot);
    })();

  #saveOne(snapshot: Snapshot): void {
    this.#stmt.saveSnapshot.run({
      stream_id: snapshot.streamId,
      version: snapshot.version,
      kind: snapshot.kind,
      machine_version: snapshot.machineVersion,
      state: JSON.stringify(snapshot.state),
      created_at: snapshot.createdAt,
    });
  }

  /** The file this store writes, or ':memory:'. */
  get path(): string {
    return this.#path;
  }

  async loadSnapshot(streamId: string): Promise<Snapshot | undefined> {
    this.#assertOpen();
    const row = this.#stmt.loadSnapshot.get(streamId);
    if (!row) return undefined;
    this.#metrics.snapshotsLoaded.inc();
    return toSnapshot(row);
  }

  async readSnapshots(): Promise<Snapshot[]> {
    this.#assertOpen();
    return this.#stmt.allSnapshots.all().map(toSnapshot);
  }

  async stats(): Promise<StoreStats> {
    this.#assertOpen();
    return { ...(this.#stmt.stats.get() as StoreStats) };
  }

  async reset(): Promise<void> {
    this.#assertOpen();
    this.#db.exec(`DELETE FROM events; DELETE FROM streams; DELETE FROM snapshots;
                   DELETE FROM sqlite_sequence WHERE name = 'events';`);
  }

  /** Commits what is pending, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#db.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('event store');
  }
}

function toSnapshot(row: SnapshotRow): Snapshot {
  return {
    streamId: row.stream_id,
    version: row.version,
    kind: row.kind,
    machineVersion: row.machine_version,
    state: JSON.parse(row.state) as unknown,
    createdAt: row.created_at,
  };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
const isBusy = (error: unknown): boolean => /SQLITE_BUSY|database is locked/i.test(`${String((error as { code?: unknown }).code)} ${String((error as Error).message)}`);
