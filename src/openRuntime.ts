import type { RuntimeConfig } from './config/loadConfig.ts';
import { openStoreOf } from './config/stores.ts';
import type { EventStore } from './eventStore/types.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { createRuntime, type CommandsOfAggregates, type Runtime, type StateOf, type WorldOptions } from './createRuntime.ts';
import type { AnyCommand } from './definition/registry.ts';
import { stderrLogger, type Logger } from './runtime/logger.ts';
import type { AnyAggregateDefinition } from './definition/define.ts';
import { AggregateRegistry } from './definition/registry.ts';
import { storeCodecsOf } from './definition/upcasters.ts';
import { worldAggregates } from './world/kinds.ts';

export interface OpenedStore {
  readonly store: EventStore;
  readonly kind: 'sqlite' | 'immudb' | 'postgres';
  /** Always false: the SQLite fallback was removed (it served a world without the server's history). */
  readonly fallback: false;
}

/**
 * Opens the configured store (the config layer builds it) for the hosted kinds: it validates appends
 * with their registry's codec and reads through their upcasters (CONTRACT.md). A server that is
 * unreachable fails the start with StoreUnavailableError and its reason: there is no fallback to an
 * empty local store.
 */
export async function openStore(config: RuntimeConfig, metrics: Metrics, aggregates: readonly AnyAggregateDefinition[] = worldAggregates): Promise<OpenedStore> {
  const store = await openStoreOf(config.store, metrics, storeCodecsOf(new AggregateRegistry(aggregates)));
  metrics.storeFallbackActive.set(0);
  return { store, kind: config.store.kind, fallback: false };
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
  const opened = await openStore(config, metrics, options.aggregates);
  const {
    store: _configured,
    sqlite: _sqlite,
    immudb: _immudb,
    postgres: _postgres,
    projections: _projections,
    poolThreads: _poolThreads,
    server: _server,
    metricsServer: _metricsServer,
    ...runtimeOptions
  } = config;
  const runtime = createRuntime({ ...runtimeOptions, ...(options.aggregates && { aggregates: options.aggregates }), store: opened.store, closeStore: true, metrics, logger });
  return Object.assign(runtime, { storeKind: opened.kind, fallback: opened.fallback });
}
