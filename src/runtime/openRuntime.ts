import type { RuntimeConfig } from '../config/loadConfig.ts';
import { openStoreOf } from '../config/stores.ts';
import type { EventStore } from '../eventStore/types.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { stderrLogger, type Logger } from './logger.ts';
import { createRuntime, type Runtime } from './runtime.ts';

export interface OpenedStore {
  readonly store: EventStore;
  readonly kind: 'sqlite' | 'immudb' | 'postgres';
  /** Always false: the SQLite fallback was removed (it served a world without the server's history). */
  readonly fallback: false;
}

/**
 * Opens the configured store (the config layer builds it). A server that is unreachable fails the
 * start with StoreUnavailableError and its reason: there is no fallback to an empty local store.
 */
export async function openStore(config: RuntimeConfig, metrics: Metrics): Promise<OpenedStore> {
  const store = await openStoreOf(config.store, metrics);
  metrics.storeFallbackActive.set(0);
  return { store, kind: config.store.kind, fallback: false };
}

/** Opens the configured store (see openStore) and starts a runtime over it; close() closes both. */
export async function openRuntime(config: RuntimeConfig, options: { logger?: Logger; metrics?: Metrics } = {}): Promise<Runtime & { readonly storeKind: OpenedStore['kind']; readonly fallback: boolean }> {
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? stderrLogger;
  const opened = await openStore(config, metrics);
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
  const runtime = createRuntime({ ...runtimeOptions, store: opened.store, closeStore: true, metrics, logger });
  return Object.assign(runtime, { storeKind: opened.kind, fallback: opened.fallback });
}
