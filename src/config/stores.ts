import { ConfigError } from '../errors.ts';
import { PostgresEventStore } from '../eventStore/postgres/PostgresEventStore.ts';
import { SqliteEventStore, type Durability } from '../eventStore/sqlite/SqliteEventStore.ts';
import type { EventCodec, EventStore } from '../eventStore/types.ts';
import type { UpcasterRegistry } from '../eventStore/upcasters.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ImmudbStoreConfig } from './loadConfig.ts';

/** The embedded store's settings. */
export interface SqliteStoreOptions {
  readonly kind: 'sqlite';
  readonly path: string;
  readonly durability?: Durability;
  readonly groupCommitWindowMs?: number;
  readonly busyTimeoutMs?: number;
  /** Open an existing store only: never create or migrate a file (verify, export and other reads). */
  readonly mustExist?: boolean;
}

/** The PostgreSQL store's settings: `createRuntime({ store: { kind: 'postgres', connectionString } })`. */
export interface PostgresStoreOptions {
  readonly kind: 'postgres';
  readonly connectionString: string;
  readonly schema?: string;
  readonly poolSize?: number;
}

/** Store settings a runtime can open synchronously (ImmuDB needs a connection first: see openStoreOf). */
export type StoreOptions = SqliteStoreOptions | PostgresStoreOptions;

/**
 * What a store reads and validates events with, given by the hosted kinds' registry (CONTRACT.md):
 * `codec` validates every append, `upcasters` bring old schema versions up on read. Without them a
 * store accepts any JSON value and reads what is stored.
 */
export interface StoreCodecs {
  readonly codec?: EventCodec;
  readonly upcasters?: UpcasterRegistry;
}

/**
 * Builds the store for its settings: the one place the runtime's store options become an adapter.
 * Options are validated before anything is created (the adapters throw ConfigError first).
 */
export function createStore(options: StoreOptions, metrics: Metrics, codecs: StoreCodecs = {}): EventStore {
  switch (options.kind) {
    case 'sqlite':
      return new SqliteEventStore({
        path: options.path,
        metrics,
        ...codecs,
        ...(options.durability && { durability: options.durability }),
        ...(options.groupCommitWindowMs !== undefined && { groupCommitWindowMs: options.groupCommitWindowMs }),
        ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
        ...(options.mustExist && { mustExist: true }),
      });
    case 'postgres':
      return new PostgresEventStore({
        connectionString: options.connectionString,
        metrics,
        ...codecs,
        ...(options.schema !== undefined && { schema: options.schema }),
        ...(options.poolSize !== undefined && { poolSize: options.poolSize }),
      });
    default:
      throw new ConfigError(`store.kind must be sqlite, postgres or immudb, got ${JSON.stringify((options as { kind?: unknown }).kind)}`);
  }
}

/**
 * Opens a configured store of any kind, connected and ready. ImmuDB's client (gRPC) is loaded only
 * here, only when it is configured, so importing the runtime does not load it.
 */
export async function openStoreOf(options: StoreOptions | ImmudbStoreConfig, metrics: Metrics, codecs: StoreCodecs = {}): Promise<EventStore> {
  if (options.kind === 'immudb') {
    const { ImmudbEventStore } = await import('../eventStore/immudb/ImmudbEventStore.ts');
    return ImmudbEventStore.open({ ...options, metrics, ...codecs });
  }
  if (options.kind === 'postgres') {
    const store = createStore(options, metrics, codecs) as PostgresEventStore;
    await store.streamVersion(''); // first use: connect and migrate now, so a bad address fails at start
    return store;
  }
  return createStore(options, metrics, codecs);
}
