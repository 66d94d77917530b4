import type { AggregateKind } from '../../domain/state.ts';
import { ClosedError, describe, isRuntimeError, StoreUnavailableError, ValidationError } from '../../errors.ts';
import { createMetrics, type Metrics } from '../../metrics/metrics.ts';
import { AppendListeners, type AppendListener } from '../appendListeners.ts';
import { GENESIS } from '../integrity.ts';
import { appendResults, eventIdsOf, planAppend, streamIdsOf, type AppendPlan, type StoredId, type StreamHead } from '../pipeline/planAppend.ts';
import { deserializeEvent, type EventRow } from '../serialization.ts';
import type {
  AppendOptions,
  AppendPart,
  PendingAppend,
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
import { anyJson, appendValidated } from '../pipeline/validateAppend.ts';
import { singlePart } from '../pipeline/singlePart.ts';
import { defaultUpcasters, type UpcasterRegistry } from '../upcasters.ts';
import { ImmudbCallError, ImmudbClient, type ImmudbConnectionOptions, type SqlParam, type SqlValue } from './ImmudbClient.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { createSchema, EVENT_COLUMNS } from './schema.ts';

export interface ImmudbEventStoreOptions extends ImmudbConnectionOptions {
  readonly retry?: RetryOptions;
  readonly upcasters?: UpcasterRegistry;
  /** Validates events on append (default: any JSON value). */
  readonly codec?: EventCodec;
  readonly metrics?: Metrics;
}

/**
 * Events per ImmuDB transaction. Each event row writes its primary key and two unique index
 * entries, plus a streams row; the server's default cap is 1,024 entries per transaction.
 */
export const MAX_EVENTS_PER_TRANSACTION = 150;
/** Rows asked for per query; the server caps one query's result. */
const PAGE = 1000;
/** How often a batch is re-planned after another writer won a race, before giving up. */
const CONFLICT_ROUNDS = 50;


const COLUMNS = EVENT_COLUMNS.join(', ');
const SNAPSHOT_COLUMNS = 'stream_id, version, kind, machine_version, state, created_at';

/**
 * The tamper-evident event store: ImmuDB over its SQL interface. Appends are group-committed: what
 * arrives while a transaction is in flight goes into the next one. Transient failures are retried with
 * backoff; an append retried after a lost reply is recognised by its event ids and not written twice.
 */
export class ImmudbEventStore implements EventStore {
  readonly #client: ImmudbClient;
  readonly #options: ImmudbEventStoreOptions;
  readonly #upcasters: UpcasterRegistry;
  readonly #codec: EventCodec;
  readonly #metrics: Metrics;
  #pending: PendingAppend[] = [];
  readonly #listeners = new AppendListeners();
  readonly maxEventsPerAppend = MAX_EVENTS_PER_TRANSACTION;
  #flushing: Promise<void> | undefined;
  #closed = false;

  private constructor(client: ImmudbClient, options: ImmudbEventStoreOptions) {
    this.#client = client;
    this.#options = options;
    this.#upcasters = options.upcasters ?? defaultUpcasters();
    this.#codec = options.codec ?? anyJson;
    this.#metrics = options.metrics ?? createMetrics();
  }

  /** Connects (creating the database and tables if missing), retrying while the server is unavailable. */
  static async open(options: ImmudbEventStoreOptions): Promise<ImmudbEventStore> {
    const metrics = options.metrics ?? createMetrics();
    const where = `connect to ImmuDB at ${options.host}:${options.port} (database ${options.database})`;
    const client = await withRetry(where, () => connectOrThrowTransient(options), options.retry, () => metrics.storeRetries.inc());
    try {
      await withRetry('create schema', () => createSchema(client), options.retry);
    } catch (error) {
      client.close();
      throw error;
    }
    return new ImmudbEventStore(client, { ...options, metrics });
  }

  /** The client, for server state checkpoints. */
  get client(): ImmudbClient {
    return this.#client;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return (await this.appendMany([singlePart(streamId, events, options)]))[0] as AppendResult;
  }

  appendMany(parts: readonly AppendPart[]): Promise<AppendResult[]> {
    if (this.#closed) return Promise.reject(new ClosedError('event store'));
    return appendValidated(parts, this.#codec, () => {
      const count = countEvents(parts);
      if (count > MAX_EVENTS_PER_TRANSACTION) {
        return Promise.reject(new ValidationError(`at most ${MAX_EVENTS_PER_TRANSACTION} events per append on ImmuDB, got ${count}`));
      }
      return new Promise<AppendResult[]>((resolve, reject) => {
        this.#pending.push({ parts, resolve, reject });
        this.#flushing ??= this.#drain();
      });
    });
  }

  async #drain(): Promise<void> {
    await Promise.resolve(); // let appends issued in the same tick join the first batch
    while (this.#pending.length > 0) {
      let count = 0;
      let take = 0;
      while (take < this.#pending.length && count + countEvents((this.#pending[take] as PendingAppend).parts) <= MAX_EVENTS_PER_TRANSACTION) {
        count += countEvents((this.#pending[take] as PendingAppend).parts);
        take++;
      }
      await this.#commit(this.#pending.splice(0, take));
    }
    this.#flushing = undefined;
  }

  async #commit(batch: PendingAppend[]): Promise<void> {
    let remaining = batch;
    const end = this.#metrics.appendDuration.startTimer();
    try {
      await withRetry(
        'append',
        async (attempt) => {
          for (let round = 1; remaining.length > 0; round++) {
            // Stored ids are looked up only when they can matter: after a conflict or a lost reply (the
            // unique event_id index turns a reused id into a conflict first). An IN lookup on every batch cost 2.5x.
            const plan = await this.#plan(remaining, attempt > 1 || round > 1);
            remaining = [...plan.accepted.map((a) => a.pending), ...plan.deferred];
            if (plan.accepted.length === 0) return; // deferred ones exist only beside accepted ones
            try {
              if (plan.sql) await this.#client.exec(plan.sql, plan.params);
            } catch (error) {
              // Another writer committed first (same stream version or same position), or these very
              // events are already stored (a retry after a lost reply): plan again on fresh heads; the
              // planner answers re-sent appends from the store.
              if (error instanceof ImmudbCallError && error.conflict && round < CONFLICT_ROUNDS) {
                this.#metrics.storeRetries.inc();
                continue;
              }
              throw error;
            }
            let stored = 0;
            for (const { pending, results } of plan.accepted) {
              stored += results.reduce((n, r) => n + r.events.length, 0);
              pending.resolve(results);
            }
            this.#metrics.eventsStored.inc(stored);
            if (stored > 0) this.#listeners.notify();
            this.#metrics.appendBatchSize.observe(plan.accepted.length);
            remaining = plan.deferred;
          }
        },
        this.#options.retry,
        () => this.#metrics.storeRetries.inc(),
      );
    } catch (error) {
      this.#metrics.storeFailures.inc();
      const failure = isRuntimeError(error) ? error : new StoreUnavailableError(`append failed, nothing was acknowledged: ${describe(error)}`, error);
      for (const pending of remaining) pending.reject(failure);
    } finally {
      end();
    }
  }

  /**
   * Plans each append with the shared planner against the heads and event ids now in the store, and
   * builds one transaction. Appends already stored (sent again after a lost reply) are answered from
   * the store; appends the planner refuses are rejected; neither goes into the transaction.
   */
  async #plan(batch: PendingAppend[], lookUpIds: boolean) {
    const heads = new Map<string, StreamHead>();
    for (const [id, version, hash] of await this.#queryIn('SELECT stream_id, version, hash FROM streams WHERE stream_id IN', batch.flatMap((p) => streamIdsOf(p.parts)))) {
      heads.set(id as string, { version: version as number, hash: hash as string });
    }
    const existing = new Map<string, StoredId>();
    const ids = lookUpIds ? batch.flatMap((p) => eventIdsOf(p.parts)) : [];
    for (const [id, stream, version] of await this.#queryIn('SELECT event_id, stream_id, version FROM events WHERE event_id IN', ids)) {
      existing.set(id as string, { streamId: stream as string, version: version as number });
    }
    const [last] = await this.#client.query('SELECT position, chain_hash FROM events ORDER BY position DESC LIMIT 1');
    let position = (last?.[0] as number | undefined) ?? 0;
    let chainHash = (last?.[1] as string | undefined) ?? GENESIS;

    const accepted: { pending: PendingAppend; results: AppendResult[] }[] = [];
    const rows: EventRow[] = [];
    const touched = new Map<string, StreamHead>();
    const kinds = new Map<string, string>();
    const inBatch = new Set<string>();
    const deferred: PendingAppend[] = [];
    for (const pending of batch) {
      let plan: AppendPlan;
      try {
        plan = planAppend(pending.parts, { heads, existing, chainHash });
      } catch (error) {
        // Refused without knowing the stored ids: it may be a re-send. Look its ids up (rare) and plan again.
        const found = lookUpIds ? [] : await this.#queryIn('SELECT event_id, stream_id, version FROM events WHERE event_id IN', eventIdsOf(pending.parts));
        for (const [id, stream, version] of found) existing.set(id as string, { streamId: stream as string, version: version as number });
        try {
          if (found.length === 0) throw error;
          plan = planAppend(pending.parts, { heads, existing, chainHash });
        } catch (refusal) {
          pending.reject(refusal);
          continue;
        }
      }
      if (plan.kind === 'resent' && eventIdsOf(pending.parts).some((id) => inBatch.has(id))) {
        deferred.push(pending); // the same append twice in one batch: answer it once the first is stored
        continue;
      }
      if (plan.kind === 'resent') {
        pending.resolve(await Promise.all(plan.ranges.map(async (r) => ({ streamId: r.streamId, nextExpectedVersion: r.toVersion, events: await this.readStream(r.streamId, r) }))));
        continue;
      }
      const positions = plan.parts.map((part) =>
        part.rows.map((row) => {
          rows.push({ ...row, position: ++position });
          return position;
        }),
      );
      for (const [i, part] of plan.parts.entries()) {
        const kind = pending.parts[i]?.kind;
        if (part.created && kind !== undefined) kinds.set(part.streamId, kind);
        if (part.rows.length === 0) continue;
        heads.set(part.streamId, { version: part.version, hash: part.streamHash });
        touched.set(part.streamId, { version: part.version, hash: part.streamHash });
      }
      for (const row of rows) {
        existing.set(row.event_id, { streamId: row.stream_id, version: row.version });
        inBatch.add(row.event_id);
      }
      chainHash = plan.chainHash;
      accepted.push({ pending, results: appendResults(plan, positions) });
    }
    return { accepted, deferred, ...this.#insertSql(rows, touched, kinds) };
  }

  /** Rows of `sql (@v0, @v1, ...)` for many values, a page at a time (the server caps one query's size). */
  async #queryIn(sql: string, values: readonly string[]): Promise<SqlValue[][]> {
    const unique = [...new Set(values)];
    const rows: SqlValue[][] = [];
    for (let i = 0; i < unique.length; i += PAGE) {
      const chunk = unique.slice(i, i + PAGE);
      rows.push(...(await this.#client.query(`${sql} (${chunk.map((_, j) => `@v${j}`).join(', ')})`, Object.fromEntries(chunk.map((v, j) => [`v${j}`, v])))));
    }
    return rows;
  }

  /** One transaction inserting event rows and upserting their streams' heads. */
  #insertSql(rows: readonly EventRow[], streams: ReadonlyMap<string, { version: number; hash: string }>, kinds: ReadonlyMap<string, string> = new Map()) {
    if (rows.length === 0) return { sql: '', params: {} };
    const params: Record<string, SqlParam> = {};
    const values = rows.map((row, i) =>
      `(${EVENT_COLUMNS.map((column) => {
        params[`e${i}_${column}`] = row[column];
        return `@e${i}_${column}`;
      }).join(', ')})`,
    );
    const heads = [...streams].map(([id, head], i) => {
      Object.assign(params, { [`h${i}_id`]: id, [`h${i}_v`]: head.version, [`h${i}_h`]: head.hash });
      return `(@h${i}_id, @h${i}_v, @h${i}_h)`;
    });
    const kindRows = [...kinds].map(([id, kind], i) => {
      Object.assign(params, { [`k${i}_id`]: id, [`k${i}_k`]: kind });
      return `(@k${i}_id, @k${i}_k)`;
    });
    const sql = `BEGIN TRANSACTION;
      INSERT INTO events (${COLUMNS}) VALUES ${values.join(', ')};
      UPSERT INTO streams (stream_id, version, hash) VALUES ${heads.join(', ')};
      ${kindRows.length > 0 ? `UPSERT INTO stream_kinds (stream_id, kind) VALUES ${kindRows.join(', ')};` : ''}
      COMMIT;`;
    return { sql, params };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const to = options.toVersion ?? Number.MAX_SAFE_INTEGER;
    const rows: EventRow[] = [];
    for (let from = options.fromVersion ?? 1; from <= to; ) {
      const page = await this.#rows(
        `SELECT ${COLUMNS} FROM events WHERE stream_id = @s AND version >= @from AND version <= @to ORDER BY version LIMIT ${PAGE}`,
        { s: streamId, from, to },
      );
      rows.push(...page);
      if (page.length < PAGE) break;
      from = (page.at(-1) as EventRow).version + 1;
    }
    return this.#deserialize(rows);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.#deserialize(await this.readAllRows(options));
  }

  async readAllRows(options: ReadAllOptions = {}): Promise<EventRow[]> {
    const limit = options.limit ?? 1000;
    const rows: EventRow[] = [];
    for (let after = options.after ?? 0; rows.length < limit; ) {
      const want = Math.min(PAGE, limit - rows.length);
      const page = await this.#rows(`SELECT ${COLUMNS} FROM events WHERE position > @after ORDER BY position LIMIT ${want}`, { after });
      rows.push(...page);
      if (page.length < want) break;
      after = (page.at(-1) as EventRow).position;
    }
    return rows;
  }

  async #rows(sql: string, params: Record<string, SqlParam>): Promise<EventRow[]> {
    this.#assertOpen();
    const end = this.#metrics.readDuration.startTimer();
    try {
      const rows = await withRetry('read', () => this.#client.query(sql, params), this.#options.retry, () => this.#metrics.storeRetries.inc());
      return rows.map(toEventRow);
    } catch (error) {
      this.#metrics.loadFailures.inc();
      throw error;
    } finally {
      end();
    }
  }

  #deserialize(rows: readonly EventRow[]): StoredEvent[] {
    try {
      const events = rows.map((row) => deserializeEvent(row, this.#upcasters));
      this.#metrics.eventsLoaded.inc(events.length);
      return events;
    } catch (error) {
      this.#metrics.loadFailures.inc();
      throw error;
    }
  }

  async headPosition(): Promise<number> {
    const [row] = await this.#query('SELECT position FROM events ORDER BY position DESC LIMIT 1');
    return (row?.[0] as number | undefined) ?? 0;
  }

  onAppend(listener: AppendListener): () => void {
    return this.#listeners.add(listener);
  }

  async listStreams(options: { after?: string; limit?: number } = {}): Promise<{ streamId: string; version: number }[]> {
    const limit = options.limit ?? 1000;
    const streams: { streamId: string; version: number }[] = [];
    for (let after = options.after ?? ''; streams.length < limit; ) {
      const want = Math.min(PAGE, limit - streams.length);
      const page = await this.#query(`SELECT stream_id, version FROM streams WHERE stream_id > @after ORDER BY stream_id LIMIT ${want}`, { after });
      streams.push(...page.map(([streamId, version]) => ({ streamId: streamId as string, version: version as number })));
      if (page.length < want) break;
      after = (streams.at(-1) as { streamId: string }).streamId;
    }
    return streams;
  }

  /** The stream's version and the kind stored when it was created (null if never given); undefined when empty. */
  async streamHead(streamId: string): Promise<{ version: number; kind: string | null } | undefined> {
    const version = await this.streamVersion(streamId);
    if (version === 0) return undefined;
    const [row] = await this.#query('SELECT kind FROM stream_kinds WHERE stream_id = @s', { s: streamId });
    return { version, kind: (row?.[0] as string | undefined) ?? null };
  }

  async streamVersion(streamId: string): Promise<number> {
    const [row] = await this.#query('SELECT version FROM streams WHERE stream_id = @s', { s: streamId });
    return (row?.[0] as number | undefined) ?? 0;
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const [existing] = await this.#query('SELECT version FROM snapshots WHERE stream_id = @s', { s: snapshot.streamId });
    if (existing && (existing[0] as number) > snapshot.version) return;
    await this.#exec(
      'UPSERT INTO snapshots (stream_id, version, kind, machine_version, state, created_at) VALUES (@s, @v, @k, @m, @state, @at)',
      { s: snapshot.streamId, v: snapshot.version, k: snapshot.kind, m: snapshot.machineVersion, state: JSON.stringify(snapshot.state), at: snapshot.createdAt },
    );
    this.#metrics.snapshotsStored.inc();
  }

  async saveSnapshots(snapshots: readonly Snapshot[]): Promise<void> {
    for (const snapshot of snapshots) await this.saveSnapshot(snapshot);
  }

  async loadSnapshot(streamId: string): Promise<Snapshot | undefined> {
    const [row] = await this.#query(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE stream_id = @s`, { s: streamId });
    if (!row) return undefined;
    this.#metrics.snapshotsLoaded.inc();
    return toSnapshot(row);
  }

  async readSnapshots(): Promise<Snapshot[]> {
    const snapshots: Snapshot[] = [];
    for (let after = ''; ; ) {
      const page = await this.#query(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE stream_id > @after ORDER BY stream_id LIMIT ${PAGE}`, { after });
      snapshots.push(...page.map(toSnapshot));
      if (page.length < PAGE) return snapshots;
      after = (snapshots.at(-1) as Snapshot).streamId;
    }
  }

  async stats(): Promise<StoreStats> {
    const count = async (table: string) => ((await this.#query(`SELECT COUNT(*) FROM ${table}`))[0]?.[0] as number | undefined) ?? 0;
    return { eventCount: await count('events'), aggregateCount: await count('streams'), snapshotCount: await count('snapshots') };
  }

  async importRows(rows: readonly EventRow[]): Promise<number> {
    this.#assertOpen();
    let written = 0;
    for (let i = 0; i < rows.length; i += MAX_EVENTS_PER_TRANSACTION) {
      const chunk = rows.slice(i, i + MAX_EVENTS_PER_TRANSACTION);
      written += await withRetry('import', () => this.#importChunk(chunk), this.#options.retry, () => this.#metrics.storeRetries.inc());
    }
    this.#metrics.eventsStored.inc(written);
    if (written > 0) this.#listeners.notify();
    return written;
  }

  async #importChunk(chunk: readonly EventRow[]): Promise<number> {
    const ids = chunk.map((r) => r.event_id);
    const known = new Set(
      (await this.#client.query(`SELECT event_id FROM events WHERE event_id IN (${ids.map((_, j) => `@i${j}`).join(', ')})`, Object.fromEntries(ids.map((id, j) => [`i${j}`, id])))).map((r) => r[0]),
    );
    const fresh = chunk.filter((r) => !known.has(r.event_id));
    if (fresh.length === 0) return 0;
    const [last] = await this.#client.query('SELECT position FROM events ORDER BY position DESC LIMIT 1');
    let position = (last?.[0] as number | undefined) ?? 0;
    const renumbered = fresh.map((row) => ({ ...row, position: ++position }));
    const heads = new Map<string, { version: number; hash: string }>();
    for (const row of renumbered) heads.set(row.stream_id, { version: row.version, hash: row.hash });
    const { sql, params } = this.#insertSql(renumbered, heads);
    await this.#client.exec(sql, params);
    return fresh.length;
  }

  /** Test-only: deletes every row (ImmuDB keeps them in its history, as it must). */
  async reset(): Promise<void> {
    for (const [table, key] of [['events', 'position'], ['streams', 'stream_id'], ['snapshots', 'stream_id']] as const) {
      for (;;) {
        const keys = (await this.#query(`SELECT ${key} FROM ${table} LIMIT 300`)).map((r) => r[0] as SqlParam);
        if (keys.length === 0) break;
        await this.#exec(`DELETE FROM ${table} WHERE ${key} IN (${keys.map((_, i) => `@k${i}`).join(', ')})`, Object.fromEntries(keys.map((k, i) => [`k${i}`, k])));
      }
    }
  }

  /** Commits what is pending, then closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#flushing;
    this.#closed = true;
    this.#client.close();
  }

  #query(sql: string, params: Record<string, SqlParam> = {}): Promise<SqlValue[][]> {
    this.#assertOpen();
    return withRetry('query', () => this.#client.query(sql, params), this.#options.retry, () => this.#metrics.storeRetries.inc());
  }

  #exec(sql: string, params: Record<string, SqlParam> = {}): Promise<void> {
    this.#assertOpen();
    return withRetry('exec', () => this.#client.exec(sql, params), this.#options.retry, () => this.#metrics.storeRetries.inc());
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('event store');
  }
}

/** Login failures that look like "server not up yet" are retried; wrong credentials are not. */
async function connectOrThrowTransient(options: ImmudbConnectionOptions): Promise<ImmudbClient> {
  try {
    return await ImmudbClient.connect(options);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof ImmudbCallError && cause.transient) throw cause;
    throw error;
  }
}

function toEventRow(values: SqlValue[]): EventRow {
  const [position, event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, hash, chain_hash] = values;
  return {
    position: position as number,
    event_id: event_id as string,
    stream_id: stream_id as string,
    version: version as number,
    type: type as string,
    schema_version: schema_version as number,
    data: data as string,
    metadata: metadata as string,
    occurred_at: occurred_at as string,
    hash: hash as string,
    chain_hash: chain_hash as string,
  };
}

function toSnapshot(row: SqlValue[]): Snapshot {
  return {
    streamId: row[0] as string,
    version: row[1] as number,
    kind: row[2] as AggregateKind,
    machineVersion: row[3] as number,
    state: JSON.parse(row[4] as string) as unknown,
    createdAt: row[5] as string,
  };
}

const countEvents = (parts: readonly AppendPart[]): number => parts.reduce((n, p) => n + p.events.length, 0);
