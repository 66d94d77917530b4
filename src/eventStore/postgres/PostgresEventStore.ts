import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ClosedError, ConfigError, describe, StoreUnavailableError } from '../../errors.ts';
import { createMetrics, type Metrics } from '../../metrics/metrics.ts';
import { AppendListeners, type AppendListener } from '../appendListeners.ts';
import { GroupCommit } from '../pipeline/groupCommit.ts';
import { measuredRead } from '../pipeline/measuredRead.ts';
import { deserializeEvent, toReplayEvent, type EventRow } from '../serialization.ts';
import type { AppendOptions, AppendPart, AppendResult, EventStore, NewEvent, ReadAllOptions, ReadStreamOptions, ReplayEvent, Snapshot, StoredEvent, StoreStats } from '../types.ts';
import type { EventCodec } from '../types.ts';
import { anyJson, appendValidated } from '../pipeline/validateAppend.ts';
import { singlePart } from '../pipeline/singlePart.ts';
import { defaultUpcasters, type UpcasterRegistry } from '../upcasters.ts';
import { appendBatch } from './appendBatch.ts';
import { importRows } from './importRows.ts';
import { headPosition, readAllRows, readReplayRows, readStreamRows } from './readEvents.ts';
import { ident, migrate } from './schema.ts';
import { loadSnapshot, readSnapshots, saveSnapshots } from './snapshots.ts';
import { listStreams, stats, streamHead } from './streams.ts';

export interface PostgresEventStoreOptions {
  /** e.g. postgres://user@127.0.0.1:5432/aethyr (or AETHYR_POSTGRES_URL through the config layer). */
  readonly connectionString: string;
  /** The schema the store's tables live in, created on first use (default "aethyr"). */
  readonly schema?: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  /** Wake listeners on commits by other processes through LISTEN/NOTIFY (default true). */
  readonly listen?: boolean;
  /** How often to poll for other processes' commits when LISTEN is unavailable, ms (default 1000). */
  readonly pollIntervalMs?: number;
  readonly upcasters?: UpcasterRegistry;
  /** Validates events on append (default: any JSON value). */
  readonly codec?: EventCodec;
  readonly metrics?: Metrics;
}

/** Defaults, defined once. */
export const POSTGRES_DEFAULTS = { schema: 'aethyr', poolSize: 10, listen: true, pollIntervalMs: 1000 } as const;

/** Checks options before anything is created or connected; throws ConfigError naming the option. */
export function validatePostgresOptions(options: PostgresEventStoreOptions): Required<Omit<PostgresEventStoreOptions, 'upcasters' | 'metrics' | 'codec'>> {
  if (typeof options.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(options.connectionString)) {
    throw new ConfigError('store.postgres.connection_string must be a postgres:// URL');
  }
  const schema = options.schema ?? POSTGRES_DEFAULTS.schema;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new ConfigError(`store.postgres.schema must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
  const poolSize = options.poolSize ?? POSTGRES_DEFAULTS.poolSize;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw new ConfigError('store.postgres.pool_size must be an integer from 1 to 1000');
  const pollIntervalMs = options.pollIntervalMs ?? POSTGRES_DEFAULTS.pollIntervalMs;
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 10) throw new ConfigError('store.postgres.poll_interval_ms must be an integer of at least 10');
  return { connectionString: options.connectionString, schema, poolSize, listen: options.listen ?? POSTGRES_DEFAULTS.listen, pollIntervalMs };
}

/**
 * The shared store of several processes: PostgreSQL through `pg`. Appends are group-committed through
 * the shared pipeline (planAppend, GroupCommit); this class only reads heads and writes rows in its own
 * SQL (one operation per file beside it). Every write transaction holds the schema's advisory lock to
 * its commit, so the store-wide chain is linked at write time and positions become visible in order
 * (a follower reading by position never skips a late commit). Commits are announced with NOTIFY.
 */
export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #upcasters: UpcasterRegistry;
  readonly #codec: EventCodec;
  readonly #metrics: Metrics;
  readonly #listeners = new AppendListeners();
  readonly #groupCommit: GroupCommit;
  readonly #instance = randomUUID();
  readonly #channel: string;
  readonly #options: ReturnType<typeof validatePostgresOptions>;
  #listenClient: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;
  #migration: Promise<void> | undefined;

  /**
   * Validates the options (ConfigError, before anything is created) and makes the pool; connects and
   * creates or migrates the schema on first use. `PostgresEventStore.open` does that first use at once.
   */
  constructor(options: PostgresEventStoreOptions) {
    const valid = validatePostgresOptions(options);
    this.#options = valid;
    this.#schema = valid.schema;
    this.#channel = `aethyr_${valid.schema}`;
    this.#upcasters = options.upcasters ?? defaultUpcasters();
    this.#codec = options.codec ?? anyJson;
    this.#metrics = options.metrics ?? createMetrics();
    this.#pool = new pg.Pool({ connectionString: valid.connectionString, max: valid.poolSize });
    // An idle connection dropped by the server must not crash the process: the next query reconnects.
    this.#pool.on('error', () => undefined);
    this.#groupCommit = new GroupCommit((batch) => this.#withClient((client) => appendBatch(client, this.#schema, batch, this.#notice(), this.#upcasters)), this.#metrics, this.#listeners);
  }

  /** Validates the options, connects, and creates or migrates the schema; fails with the reason. */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    try {
      await store.#migrated();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** The schema migration, run once on first use; a failed attempt is tried again by the next use. */
  #migrated(): Promise<void> {
    this.#migration ??= (async () => {
      const client = await this.#pool.connect();
      try {
        await migrate(client, this.#schema);
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.#migration = undefined;
      throw isConnectionFailure(error) ? new StoreUnavailableError(`PostgreSQL unavailable: ${describe(error)}`, error) : error;
    });
    return this.#migration;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult> {
    return (await this.appendMany([singlePart(streamId, events, options)]))[0] as AppendResult;
  }

  appendMany(parts: readonly AppendPart[]): Promise<AppendResult[]> {
    return appendValidated(parts, this.#codec, () => this.#groupCommit.append(parts));
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.#read(async () =>
      (await readStreamRows(this.#pool, this.#schema, streamId, options.fromVersion ?? 1, options.toVersion ?? Number.MAX_SAFE_INTEGER)).map((row) => deserializeEvent(row, this.#upcasters)),
    );
  }

  async readStreamForReplay(streamId: string, fromVersion: number): Promise<ReplayEvent[]> {
    return this.#read(async () =>
      (await readReplayRows(this.#pool, this.#schema, streamId, fromVersion)).map(([version, type, schemaVersion, data]) =>
        toReplayEvent(this.#upcasters, streamId, Number(version), type, schemaVersion, data),
      ),
    );
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.#read(async () => (await this.readAllRows(options)).map((row) => deserializeEvent(row, this.#upcasters)));
  }

  async readAllRows(options: ReadAllOptions = {}): Promise<EventRow[]> {
    return this.#query(() => readAllRows(this.#pool, this.#schema, options.after ?? 0, options.limit ?? 1000));
  }

  async headPosition(): Promise<number> {
    return this.#query(() => headPosition(this.#pool, this.#schema));
  }

  async streamVersion(streamId: string): Promise<number> {
    return (await this.streamHead(streamId))?.version ?? 0;
  }

  /** The stream's version and the kind stored when it was created (null if never given); undefined when empty. */
  async streamHead(streamId: string): Promise<{ version: number; kind: string | null } | undefined> {
    return this.#query(() => streamHead(this.#pool, this.#schema, streamId));
  }

  async listStreams(options: { after?: string; limit?: number } = {}): Promise<{ streamId: string; version: number }[]> {
    return this.#query(() => listStreams(this.#pool, this.#schema, options.after ?? '', options.limit ?? 1000));
  }

  /**
   * Calls `listener` after each commit through this store object and, by LISTEN/NOTIFY, after commits
   * by other processes on the same schema (polled when LISTEN is unavailable). Returns an unsubscribe.
   */
  onAppend(listener: AppendListener): () => void {
    const remove = this.#listeners.add(listener);
    if (this.#options.listen && !this.#closed) this.#listening ??= this.#listen();
    return remove;
  }

  /** Resolves once other processes' commits wake this store's listeners (LISTEN is set up, or polling). */
  async ready(): Promise<void> {
    await this.#listening;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.connectionString });
    client.on('error', () => this.#startPolling());
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload !== this.#instance) this.#listeners.notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ident(this.#channel)}`);
      this.#listenClient = client;
    } catch {
      await client.end().catch(() => undefined);
      this.#startPolling();
    }
  }

  /** The fallback when LISTEN fails: look at the head position now and then, and wake on a change. */
  #startPolling(): void {
    if (this.#poll || this.#closed) return;
    let last = -1;
    this.#poll = setInterval(() => {
      headPosition(this.#pool, this.#schema).then(
        (head) => {
          if (last >= 0 && head !== last) this.#listeners.notify();
          last = head;
        },
        () => undefined, // unavailable now: the next tick tries again
      );
    }, this.#options.pollIntervalMs);
    this.#poll.unref();
  }

  #notice(): { channel: string; payload: string } {
    return { channel: this.#channel, payload: this.#instance };
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.saveSnapshots([snapshot]);
  }

  async saveSnapshots(snapshots: readonly Snapshot[]): Promise<void> {
    await this.#query(() => saveSnapshots(this.#pool, this.#schema, snapshots));
    this.#metrics.snapshotsStored.inc(snapshots.length);
  }

  async loadSnapshot(streamId: string): Promise<Snapshot | undefined> {
    const snapshot = await this.#query(() => loadSnapshot(this.#pool, this.#schema, streamId));
    if (snapshot) this.#metrics.snapshotsLoaded.inc();
    return snapshot;
  }

  async readSnapshots(): Promise<Snapshot[]> {
    return this.#query(() => readSnapshots(this.#pool, this.#schema));
  }

  async stats(): Promise<StoreStats> {
    return this.#query(() => stats(this.#pool, this.#schema));
  }

  async importRows(rows: readonly EventRow[]): Promise<number> {
    const written = await this.#withClient((client) => importRows(client, this.#schema, rows, this.#notice()));
    this.#metrics.eventsStored.inc(written);
    if (written > 0) this.#listeners.notify();
    return written;
  }

  /** Test-only: deletes every event and snapshot. */
  async reset(): Promise<void> {
    const s = ident(this.#schema);
    await this.#query(() => this.#pool.query(`TRUNCATE ${s}.events, ${s}.streams, ${s}.snapshots RESTART IDENTITY`));
  }

  /** Commits what is pending, then closes the pool and the LISTEN connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#groupCommit.close();
    this.#closed = true;
    await this.#migration?.catch(() => undefined);
    clearInterval(this.#poll);
    await this.#listening;
    await this.#listenClient?.end().catch(() => undefined);
    await this.#pool.end();
  }

  async #withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.#migrated();
    const client = await this.#query(() => this.#pool.connect());
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  /** Every query: refused after close; a failure to reach the server is StoreUnavailable. */
  async #query<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new ClosedError('event store');
    await this.#migrated();
    try {
      return await run();
    } catch (error) {
      if (isConnectionFailure(error)) throw new StoreUnavailableError(`PostgreSQL unavailable: ${describe(error)}`, error);
      throw error;
    }
  }

  async #read<T>(query: () => Promise<T[]>): Promise<T[]> {
    return measuredRead(this.#metrics, () => this.#query(query));
  }
}

/** Socket-level failures (no SQLSTATE) and the server's connection classes. */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (/^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)/.test(code) || /^(08|57P)/.test(code));
}
