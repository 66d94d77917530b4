import pg from 'pg';
import { describe, RuntimeError } from '../errors.ts';
import type { EventStore, StoredEvent } from '../eventStore/types.ts';
import { EventFollower, type FollowerOptions } from '../projections/eventFollower.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';

/**
 * Work that runs once per cluster over the store's events: a projection into shared PostgreSQL tables
 * (written in the batch's transaction: exactly once), or a reactor with side effects (at least once:
 * the checkpoint commits after the batch's side effects).
 */
export interface SingletonHandler {
  /** Unique and stable: names the checkpoint row. */
  readonly name: string;
  /** Creates its tables (idempotent); called once per start. */
  setup?(client: pg.ClientBase, schema: string): Promise<void>;
  /** Handles a batch, in the transaction that then moves the checkpoint. */
  handle(events: readonly StoredEvent[], client: pg.ClientBase, schema: string): Promise<void>;
}

/** A holder with an older epoch than the checkpoint's: another node took over (code NOT_OWNER: nothing was written). */
export class SingletonFencedError extends RuntimeError {
  constructor(
    readonly singleton: string,
    readonly epoch: number,
    readonly current: number,
  ) {
    super('NOT_OWNER', `singleton ${singleton}: epoch ${epoch} is older than the checkpoint's ${current}; another node holds it`);
  }
}

export interface SingletonFollowerOptions extends FollowerOptions {
  readonly logger?: Logger;
  /** Called when a batch was refused because a newer holder fenced this one. */
  readonly onFenced?: (error: SingletonFencedError) => void;
}

const q = (name: string): string => `"${name}"`;

/**
 * Follows the store for one SingletonHandler while this node holds the singleton lease, from a
 * checkpoint kept in PostgreSQL next to the handler's tables, so whichever node takes over resumes
 * where the last holder committed. The lease epoch fences the checkpoint: `start(epoch)` raises the
 * row's epoch (so an older holder's next batch is refused: it rolls back and stops), and every batch
 * checks it under FOR UPDATE in its own transaction. New events arrive by the store's LISTEN/NOTIFY
 * (PostgresEventStore.onAppend), so the shared read model trails commits by milliseconds.
 */
export class SingletonFollower {
  readonly #store: EventStore;
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #handler: SingletonHandler;
  readonly #options: SingletonFollowerOptions;
  readonly #logger: Logger;
  #follower: EventFollower | undefined;
  #epoch = 0;
  #ready: Promise<void> | undefined;

  constructor(store: EventStore, pool: pg.Pool, schema: string, handler: SingletonHandler, options: SingletonFollowerOptions = {}) {
    this.#store = store;
    this.#pool = pool;
    this.#schema = schema;
    this.#handler = handler;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  get running(): boolean {
    return this.#follower !== undefined && !this.#follower.paused;
  }

  get position(): number {
    return this.#follower?.position ?? 0;
  }

  /**
   * Creates the checkpoint table and the handler's tables (any node may; idempotent). Under a transaction
   * advisory lock: two nodes starting together would otherwise race in CREATE ... IF NOT EXISTS (PostgreSQL
   * then fails one of them with a duplicate key in its catalog).
   */
  setup(): Promise<void> {
    this.#ready ??= this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`aethyr-cluster-setup:${this.#schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(this.#schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${q(this.#schema)}.cluster_checkpoints (name text PRIMARY KEY, position bigint NOT NULL, epoch bigint NOT NULL)`);
      await this.#handler.setup?.(client, this.#schema);
    }).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** Starts following as the holder of `epoch`: fences older holders, then catches up from the checkpoint. */
  async start(epoch: number): Promise<void> {
    await this.stop();
    await this.setup();
    const from = await this.#withClient(async (client) => {
      const table = `${q(this.#schema)}.cluster_checkpoints`;
      await client.query(`INSERT INTO ${table} (name, position, epoch) VALUES ($1, 0, 0) ON CONFLICT (name) DO NOTHING`, [this.#handler.name]);
      const row = await client.query<{ position: string; epoch: string }>(`UPDATE ${table} SET epoch = GREATEST(epoch, $2) WHERE name = $1 RETURNING position, epoch`, [this.#handler.name, epoch]);
      const current = Number(row.rows[0]!.epoch);
      if (current > epoch) throw new SingletonFencedError(this.#handler.name, epoch, current);
      return Number(row.rows[0]!.position);
    });
    this.#epoch = epoch;
    this.#follower = new EventFollower(this.#store, from, (events) => this.#batch(events), this.#options, {
      onTransient: (error, delayMs) => this.#logger.warn('singleton follower will retry', { singleton: this.#handler.name, error: describe(error), delayMs }),
      onFailure: (error, position) => this.#logger.error('singleton follower stopped', { singleton: this.#handler.name, afterPosition: position, error: describe(error) }),
    });
    this.#follower.start();
  }

  /** Resolves when every event committed so far is handled (or the follower stopped). */
  catchUp(): Promise<void> {
    return this.#follower?.catchUp() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    const follower = this.#follower;
    this.#follower = undefined;
    await follower?.stop();
  }

  async #batch(events: StoredEvent[]): Promise<number | undefined> {
    const epoch = this.#epoch;
    try {
      return await this.#transaction(async (client) => {
        const row = await client.query<{ position: string; epoch: string }>(`SELECT position, epoch FROM ${q(this.#schema)}.cluster_checkpoints WHERE name = $1 FOR UPDATE`, [this.#handler.name]);
        const current = row.rows[0];
        if (!current || Number(current.epoch) > epoch) throw new SingletonFencedError(this.#handler.name, epoch, Number(current?.epoch ?? 0));
        const after = Number(current.position);
        const fresh = events.filter((e) => e.position > after);
        const reached = Math.max(after, events.at(-1)!.position);
        if (fresh.length > 0) await this.#handler.handle(fresh, client, this.#schema);
        await client.query(`UPDATE ${q(this.#schema)}.cluster_checkpoints SET position = $2 WHERE name = $1`, [this.#handler.name, reached]);
        return reached;
      });
    } catch (error) {
      if (!(error instanceof SingletonFencedError)) throw error;
      this.#logger.warn('singleton follower fenced: another node holds it', { singleton: this.#handler.name, epoch, current: error.current });
      this.#options.onFenced?.(error);
      return undefined; // pauses the follower; the lease's onLost stops it for good
    }
  }

  /** `work` in one transaction: committed when it resolves, rolled back when it throws. */
  #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async #withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }
}

/**
 * The world's census, a read model kept once per cluster: events and aggregates by type, in PostgreSQL
 * (`cluster_census`), for `@stats` on every node. Exactly once: its rows change in the transaction that
 * moves the checkpoint.
 */
export const censusHandler: SingletonHandler = {
  name: 'census',
  async setup(client, schema) {
    await client.query(`CREATE TABLE IF NOT EXISTS ${q(schema)}.cluster_census (type text PRIMARY KEY, events bigint NOT NULL)`);
  },
  async handle(events, client, schema) {
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
    const types = [...counts.keys()];
    await client.query(
      `INSERT INTO ${q(schema)}.cluster_census (type, events) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (type) DO UPDATE SET events = cluster_census.events + EXCLUDED.events`,
      [types, types.map((t) => counts.get(t)!)],
    );
  },
};

/** The census as last committed: events per type, and the position it reached. */
export async function readCensus(pool: pg.Pool, schema: string): Promise<{ readonly position: number; readonly byType: ReadonlyMap<string, number> }> {
  const [rows, checkpoint] = await Promise.all([
    pool.query<{ type: string; events: string }>(`SELECT type, events FROM ${q(schema)}.cluster_census`),
    pool.query<{ position: string }>(`SELECT position FROM ${q(schema)}.cluster_checkpoints WHERE name = $1`, [censusHandler.name]),
  ]);
  return { position: Number(checkpoint.rows[0]?.position ?? 0), byType: new Map(rows.rows.map((r) => [r.type, Number(r.events)])) };
}
