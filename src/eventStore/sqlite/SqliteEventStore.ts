import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AggregateKind } from '../../domain/state.ts';
import { ClosedError, ConfigError, StoreFailedError } from '../../errors.ts';
import { createMetrics, type Metrics } from '../../metrics/metrics.ts';
import { AppendListeners, type AppendListener } from '../appendListeners.ts';
import { GroupCommit } from '../pipeline/groupCommit.ts';
import { appendResults, eventIdsOf, planAppend, streamIdsOf, type AppendPlan, type StoredId, type StreamHead } from '../pipeline/planAppend.ts';
import { measuredRead } from '../pipeline/measuredRead.ts';
import { GENESIS } from '../integrity.ts';
import { deserializeEvent, toReplayEvent, type EventRow } from '../serialization.ts';
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
import type { EventCodec } from '../types.ts';
import { anyJson, appendValidated } from '../pipeline/validateAppend.ts';
import { singlePart } from '../pipeline/singlePart.ts';
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
  /** Validates events on append (default: any JSON value). */
  readonly codec?: EventCodec;
  readonly metrics?: Metrics;
  /**
   * Open an existing store only (verify, export, reads): a missing path, an empty or truncated file, or a
   * SQLite file that holds no store is a ConfigError, and nothing is created or migrated.
   */
  readonly mustExist?: boolean;
}

/** Opens the file of an existing store, refusing (ConfigError) anything that is not one; creates nothing. */
function openExisting(path: string): Database.Database {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ConfigError(`no store at ${path}: no such file`);
  }
  if (size === 0) throw new ConfigError(`${path} is empty (0 bytes): not a store (truncated?)`);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', 'streams')`).all();
    if (tables.length < 2) throw new Error('it holds no events table');
    db.prepare('SELECT count(*) FROM events').get(); // reads the pages: a file cut short fails here
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${path} is not a readable store (${(error as Error).message}): damaged or truncated?`);
  }
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
/** Which file a path names now (device and inode), or undefined when there is none. */
function fileAt(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Watches that the database file and its write-ahead log are still the ones the connection has open. If
 * either is removed or replaced (deleted WAL, a file copied over the database), SQLite goes on writing to
 * the orphaned inode and every later commit would be lost at the next crash: the store must stop
 * acknowledging instead. Two stat calls per group-commit batch.
 */
class FileIdentity {
  readonly #db: string | undefined;
  #wal: string | undefined;
  constructor(readonly path: string) {
    this.#db = fileAt(path);
    this.#wal = fileAt(`${path}-wal`);
  }

  /** Why the files are no longer the store's, or undefined while they are. */
  problem(): string | undefined {
    if (this.#db === undefined) return undefined; // ':memory:'
    const db = fileAt(this.path);
    if (db !== this.#db) return db === undefined ? `${this.path} was removed` : `${this.path} was replaced by another file`;
    const wal = fileAt(`${this.path}-wal`);
    if (this.#wal === undefined) {
      this.#wal = wal; // the log is created by the first write after open
      return undefined;
    }
    if (wal !== this.#wal) return wal === undefined ? `${this.path}-wal (the write-ahead log) was removed` : `${this.path}-wal (the write-ahead log) was replaced`;
    return undefined;
  }
}

export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #upcasters: UpcasterRegistry;
  readonly #codec: EventCodec;
  readonly #metrics: Metrics;
  readonly #groupCommit: GroupCommit;
  readonly #path: string;
  #files!: FileIdentity;
  #failed: StoreFailedError | undefined;
  readonly #listeners = new AppendListeners();
  #closed = false;
  readonly #writeBatch: Database.Transaction<(batch: readonly PendingAppend[], isolate: boolean) => (AppendResult[] | Error)[]>;
  readonly #appendOne: (p: PendingAppend, head: BatchHead, plan: AppendPlan) => AppendResult[];
  readonly #appendPending: Database.Transaction<(p: PendingAppend, head: BatchHead) => AppendResult[]>;
  readonly #importRows: Database.Transaction<(rows: readonly EventRow[]) => number>;
  readonly #stmt;

  constructor(options: SqliteEventStoreOptions) {
    if (options.mustExist && options.path !== ':memory:') {
      this.#db = openExisting(options.path);
    } else {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      this.#db = new Database(options.path);
    }
    this.#path = options.path;
    this.#upcasters = options.upcasters ?? defaultUpcasters();
    this.#codec = options.codec ?? anyJson;
    this.#metrics = options.metrics ?? createMetrics();
    const db = this.#db;
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${(options.durability ?? 'full').toUpperCase()}`);
    migrate(db);
    this.#files = new FileIdentity(options.path);

    this.#stmt = {
      version: db.prepare<[string], { version: number; hash: string }>('SELECT version, hash FROM streams WHERE stream_id = ?'),
      // Only what a fold needs, as arrays: hydration reads this on every cold spawn.
      replayTail: db.prepare('SELECT version, type, schema_version, data FROM events WHERE stream_id = ? AND version >= ? ORDER BY version').raw(true),
      head: db.prepare<[], { position: number }>('SELECT position FROM events ORDER BY position DESC LIMIT 1'),
      chainHead: db.prepare<[], { chain_hash: string }>('SELECT chain_hash FROM events ORDER BY position DESC LIMIT 1'),
      hasEvent: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM events WHERE event_id = ?'),
      findEvent: db.prepare<[string], { stream_id: string; version: number }>('SELECT stream_id, version FROM events WHERE event_id = ?'),
      streamHead: db.prepare<[string], { version: number; kind: string | null }>('SELECT version, kind FROM streams WHERE stream_id = ?'),
      insert: db.prepare(
        `INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash)
         VALUES (@event_id, @stream_id, @version, @type, @schema_version, @data, @metadata, @occurred_at, @hash, @chain_hash)`,
      ),
      upsertStream: db.prepare(
        `INSERT INTO streams (stream_id, version, hash, kind) VALUES (?, ?, ?, ?)
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

    // Plans first (checks, duplicates, hash links: nothing written when it throws), then writes.
    this.#appendOne = (p: PendingAppend, head: BatchHead, plan: AppendPlan): AppendResult[] => {
      if (plan.kind === 'resent') {
        return plan.ranges.map((r) => ({
          streamId: r.streamId,
          nextExpectedVersion: r.toVersion,
          events: this.#stmt.readStream.all(r.streamId, r.fromVersion, r.toVersion).map((row) => deserializeEvent(row, this.#upcasters)),
        }));
      }
      const positions = plan.parts.map((part, i) => {
        const inserted = part.rows.map((row) => Number(this.#stmt.insert.run(row).lastInsertRowid));
        if (part.rows.length > 0) this.#stmt.upsertStream.run(part.streamId, part.version, part.streamHash, p.parts[i]?.kind ?? null);
        return inserted;
      });
      head.chainHash = plan.chainHash;
      return appendResults(plan, positions);
    };
    // Nested inside #writeBatch this runs in a SAVEPOINT: a failed append (any of its parts) rolls back alone.
    this.#appendPending = db.transaction((p: PendingAppend, head: BatchHead) => this.#appendOne(p, head, this.#plan(p, head)));
    // Plans are made before anything of an append is written, so a lost race or a duplicate costs no
    // rollback. The fast pass writes without savepoints; anything else failing aborts the transaction,
    // and the batch is written again with a savepoint per append, so only the culprit fails.
    this.#writeBatch = db.transaction((batch: readonly PendingAppend[], isolate: boolean) => {
      const head: BatchHead = { chainHash: this.#stmt.chainHead.get()?.chain_hash ?? GENESIS };
      return batch.map((p) => {
        if (!isolate) {
          let plan: AppendPlan;
          try {
            plan = this.#plan(p, head);
          } catch (error) {
            return asError(error);
          }
          return this.#appendOne(p, head, plan);
        }
        const before = head.chainHash;
        try {
          return this.#appendPending(p, head);
        } catch (error) {
          head.chainHash = before; // the savepoint rolled back the rows; roll back the head too
          return asError(error);
        }
      });
    });
    this.#groupCommit = new GroupCommit(async (batch) => this.#writePending(batch), this.#metrics, this.#listeners, options.groupCommitWindowMs ?? 0);
    this.#importRows = db.transaction((rows: readonly EventRow[]) => {
      let written = 0;
      for (const row of rows) {
        if (this.#stmt.hasEvent.get(row.event_id)) continue;
        const { position: _sourcePosition, ...copy } = row;
        this.#stmt.insert.run(copy);
        const stream = this.#stmt.version.get(row.stream_id);
        if (!stream || stream.version < row.version) this.#stmt.upsertStream.run(row.stream_id, row.version, row.hash, null);
        written++;
      }
      return written;
    });
  }

  /** The shared planner, fed with this file's heads and stored ids. */
  #plan(p: PendingAppend, head: BatchHead): AppendPlan {
    const heads = new Map<string, StreamHead>();
    for (const streamId of streamIdsOf(p.parts)) {
      const row = this.#stmt.version.get(streamId);
      if (row) heads.set(streamId, row);
    }
    const existing = new Map<string, StoredId>();
    for (const eventId of eventIdsOf(p.parts)) {
      const row = this.#stmt.findEvent.get(eventId);
      if (row) existing.set(eventId, { streamId: row.stream_id, version: row.version });
    }
    return planAppend(p.parts, { heads, existing, chainHash: head.chainHash });
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return (await this.appendMany([singlePart(streamId, events, options)]))[0] as AppendResult;
  }

  appendMany(parts: readonly AppendPart[]): Promise<AppendResult[]> {
    return appendValidated(parts, this.#codec, () => this.#groupCommit.append(parts));
  }

  /** Commits a batch in one IMMEDIATE transaction (one fsync); one outcome per append. */
  #writePending(batch: readonly PendingAppend[]): (AppendResult[] | Error)[] {
    this.#checkFiles(); // before: write nothing into files that are no longer the store's
    let outcomes: (AppendResult[] | Error)[];
    try {
      outcomes = this.#writeBatch.immediate(batch, false);
    } catch (error) {
      if (isBusy(error)) throw error; // the write lock, not an append: isolating would not help
      outcomes = this.#writeBatch.immediate(batch, true);
    }
    this.#checkFiles(); // after, before anything is acknowledged: a file removed during the commit
    return outcomes;
  }

  /** Fail-stop: once the files changed under the store, this and every later append fails (STORE_FAILED). */
  #checkFiles(): void {
    if (this.#failed) throw this.#failed;
    const problem = this.#files.problem();
    if (problem === undefined) return;
    this.#failed = new StoreFailedError(
      `${problem} while the store was open: nothing more is acknowledged (writes would be lost at the next crash); stop the process, restore the files and restart`,
    );
    this.#metrics.storeFailures.inc();
    throw this.#failed;
  }

  /** Set once the store stopped acknowledging (see StoreFailedError); health checks report it. */
  get failure(): StoreFailedError | undefined {
    return this.#failed;
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

  /** Every read of events: refused after close, then timed and counted. */
  #read<T>(query: () => T[]): Promise<T[]> {
    this.#assertOpen();
    return measuredRead(this.#metrics, query);
  }

  /** The stream's version and the kind stored when it was created (null if never given); undefined when empty. */
  async streamHead(streamId: string): Promise<{ version: number; kind: string | null } | undefined> {
    this.#assertOpen();
    const row = this.#stmt.streamHead.get(streamId);
    return row && { version: row.version, kind: row.kind };
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

  /** A worker thread's way to this store's data: the file (none for ':memory:'). */
  get replaySource(): { adapter: 'sqlite'; path: string } | undefined {
    return this.#path === ':memory:' ? undefined : { adapter: 'sqlite', path: this.#path };
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
    await this.#groupCommit.close();
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
/** The write lock held by another connection, by SQLite's result code (SQLITE_BUSY and its extended codes). */
const isBusy = (error: unknown): boolean => /^SQLITE_BUSY/.test(String((error as { code?: unknown })?.code));
