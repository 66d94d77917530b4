import type { ImmudbStoreConfig, RuntimeConfig } from './config/loadConfig.ts';
import { describe, isStoreUnavailableError } from './errors.ts';
import { ImmudbEventStore } from './eventStore/immudb/ImmudbEventStore.ts';
import { SqliteEventStore } from './eventStore/sqlite/SqliteEventStore.ts';
import type { EventStore } from './eventStore/types.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { createRuntime, type CommandsOfAggregates, type Runtime, type StateOf, type WorldOptions } from './createRuntime.ts';
import type { AnyCommand } from './definition/registry.ts';
import { stderrLogger, type Logger } from './runtime/logger.ts';
import type { AnyAggregateDefinition } from './definition/define.ts';
import { AggregateRegistry } from './definition/registry.ts';
import { registryUpcasters } from './definition/upcasters.ts';
import { worldAggregates } from './world/kinds.ts';

export interface OpenedStore {
  readonly store: EventStore;
  /** 'immudb' or 'sqlite': what actually serves (differs from the config when falling back). */
  readonly kind: 'sqlite' | 'immudb';
  readonly fallback: boolean;
}

/**
 * Opens the configured store. If ImmuDB is configured but unreachable: with `on_unavailable: fail`
 * (the default) the StoreUnavailableError is thrown with its reason; with `fallback`, the embedded
 * SQLite store serves instead, said loudly in the log and in `aethyr_store_fallback_active`.
 */
export async function openStore(
  config: RuntimeConfig,
  metrics: Metrics,
  logger: Logger = stderrLogger,
  aggregates: readonly AnyAggregateDefinition[] = worldAggregates,
): Promise<OpenedStore> {
  // The store reads events through the hosted kinds' upcasters and validation (CONTRACT.md: the codec).
  const upcasters = registryUpcasters(new AggregateRegistry(aggregates));
  if (config.store.kind === 'sqlite') return { store: sqliteStore(config, metrics, upcasters), kind: 'sqlite', fallback: false };
  const immudb: ImmudbStoreConfig = config.store;
  try {
    const store = await ImmudbEventStore.open({ ...immudb, metrics, upcasters });
    metrics.storeFallbackActive.set(0);
    return { store, kind: 'immudb', fallback: false };
  } catch (error) {
    if (immudb.onUnavailable !== 'fallback' || !isStoreUnavailableError(error)) throw error;
    logger.error('IMMUDB UNREACHABLE: RUNNING ON THE SQLITE FALLBACK STORE. Events written now are not in ImmuDB; migrate them once it is back.', {
      immudb: `${immudb.host}:${immudb.port}/${immudb.database}`,
      fallback: config.sqlite.path,
      reason: describe(error),
    });
    metrics.storeFallbackActive.set(1);
    return { store: sqliteStore(config, metrics, upcasters), kind: 'sqlite', fallback: true };
  }
}

function sqliteStore(config: RuntimeConfig, metrics: Metrics, upcasters: ReturnType<typeof registryUpcasters>): SqliteEventStore {
  const { path, durability, groupCommitWindowMs, busyTimeoutMs } = config.sqlite;
  return new SqliteEventStore({
    path,
    metrics,
    upcasters,
    ...(durability && { durability }),
    ...(groupCommitWindowMs !== undefined && { groupCommitWindowMs }),
    ...(busyTimeoutMs !== undefined && { busyTimeoutMs }),
  });
}

/**
 * Opens the configured store (see openStore) and starts a runtime over it; close() closes both. The
 * composition root: it names adapters and, without `aggregates`, hosts the built-in world.
 */
type Opened<R> = R & { readonly storeKind: OpenedStore['kind']; readonly fallback: boolean };
interface OpenOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}
export async function openRuntime<const D extends readonly AnyAggregateDefinition[]>(
  config: RuntimeConfig,
  options: OpenOptions & { readonly aggregates: D },
): Promise<Opened<Runtime<StateOf<D[number]>, CommandsOfAggregates<D> & AnyCommand>>>;
export async function openRuntime(config: RuntimeConfig, options?: OpenOptions & WorldOptions): Promise<Opened<Runtime>>;
export async function openRuntime(config: RuntimeConfig, options: OpenOptions & WorldOptions = {}): Promise<Opened<Runtime>> {
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? stderrLogger;
  const opened = await openStore(config, metrics, logger, options.aggregates);
  const {
    store: _configured,
    sqlite: _sqlite,
    immudb: _immudb,
    projections: _projections,
    poolThreads: _poolThreads,
    server: _server,
    metricsServer: _metricsServer,
    ...runtimeOptions
  } = config;
  const runtime = createRuntime({ ...runtimeOptions, ...(options.aggregates && { aggregates: options.aggregates }), store: opened.store, closeStore: true, metrics, logger });
  return Object.assign(runtime, { storeKind: opened.kind, fallback: opened.fallback });
}
