import type { ImmudbEventStoreOptions } from '../eventStore/immudb/ImmudbEventStore.ts';
import type { RuntimeOptions } from '../runtime/runtime.ts';
import type { PostgresStoreOptions, SqliteStoreOptions } from './stores.ts';
import { loadConfigFile, type ConfigFile } from './config.ts';

/** The ImmuDB store's settings as configured. */
export interface ImmudbStoreConfig extends Omit<ImmudbEventStoreOptions, 'metrics' | 'upcasters'> {
  readonly kind: 'immudb';
  /** When the server is unreachable at start: fail with the reason (the only choice; see README). */
  readonly onUnavailable: 'fail';
  /** Where the server-state checkpoints are kept, outside the server. */
  readonly checkpointFile: string;
}

/** Runtime options plus the servers' addresses, as read from conf/server.yml and the environment. */
export interface RuntimeConfig extends Omit<RuntimeOptions, 'store' | 'aggregates'> {
  /** The configured store. */
  readonly store: SqliteStoreOptions | PostgresStoreOptions | ImmudbStoreConfig;
  /** The embedded store: the default, and the fallback when ImmuDB is unreachable. */
  readonly sqlite: SqliteStoreOptions;
  /** The ImmuDB settings, also when SQLite is selected (for migrations between the two). */
  readonly immudb: ImmudbStoreConfig;
  /** The PostgreSQL settings when a connection string is configured (for migrations between stores). */
  readonly postgres: PostgresStoreOptions | undefined;
  readonly projections: { readonly path: string; readonly batchSize: number; readonly pollMs: number };
  /** Worker threads for parallel replay (default: the machine's parallelism). */
  readonly poolThreads: number | undefined;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly maxConnections: number;
    readonly maxLineBytes: number;
    readonly commandBurst: number;
    readonly commandsPerSecond: number;
    readonly loginFailures: number;
    readonly loginSlowdownBaseMs: number;
    readonly loginSlowdownMaxMs: number;
    readonly maxConnectionsPerAddress: number;
    readonly loginSlots: number;
    readonly loginTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly maxOutputBytes: number;
    readonly shutdownGraceMs: number;
  };
  readonly metricsServer: { readonly host: string; readonly port: number };
}

/** Turns the validated file into runtime options (camelCase, fully defaulted). */
export function toRuntimeConfig(file: ConfigFile): RuntimeConfig {
  const { sqlite: s, immudb: i, postgres: p } = file.store;
  const es = file.event_sourcing;
  const sqlite: SqliteStoreOptions = {
    kind: 'sqlite',
    path: s.path,
    durability: s.durability,
    groupCommitWindowMs: s.group_commit_window_ms,
    busyTimeoutMs: s.busy_timeout_ms,
  };
  const immudb: ImmudbStoreConfig = {
    kind: 'immudb',
    host: i.host,
    port: i.port,
    user: i.user,
    password: i.password,
    database: i.database,
    timeoutMs: i.timeout_ms,
    retry: { attempts: i.retry.attempts, baseDelayMs: i.retry.base_delay_ms, maxDelayMs: i.retry.max_delay_ms },
    onUnavailable: i.on_unavailable,
    checkpointFile: i.checkpoint_file,
  };
  const postgres: PostgresStoreOptions | undefined = p.connection_string === undefined ? undefined : { kind: 'postgres', connectionString: p.connection_string, schema: p.schema, poolSize: p.pool_size };
  return {
    store: file.store.kind === 'immudb' ? immudb : file.store.kind === 'postgres' ? (postgres as PostgresStoreOptions) : sqlite,
    sqlite,
    immudb,
    postgres,
    snapshotThreshold: es.snapshot_threshold,
    idleTimeoutMs: es.idle_timeout_ms,
    maxLiveActors: es.max_live_actors,
    conflictRetries: es.conflict_retries,
    shadowReplay: file.shadow_replay.enabled && { batch: file.shadow_replay.batch, intervalMs: file.shadow_replay.interval_ms },
    limits: { maxJsonDepth: file.limits.max_json_depth, maxEventBytes: file.limits.max_event_bytes, maxCommandBytes: file.limits.max_command_bytes },
    projections: { path: file.projections.path, batchSize: file.projections.batch_size, pollMs: file.projections.poll_ms },
    poolThreads: file.pool.threads,
    server: {
      host: file.server.host,
      port: file.server.port,
      maxConnections: file.server.max_connections,
      maxLineBytes: file.server.max_line_bytes,
      commandBurst: file.server.command_burst,
      commandsPerSecond: file.server.commands_per_second,
      loginFailures: file.server.login_failures_per_minute,
      loginSlowdownBaseMs: file.server.login_slowdown_base_ms,
      loginSlowdownMaxMs: file.server.login_slowdown_max_ms,
      maxConnectionsPerAddress: file.server.max_connections_per_address,
      loginSlots: file.server.login_slots,
      loginTimeoutMs: file.server.login_timeout_ms,
      idleTimeoutMs: file.server.idle_timeout_ms,
      maxOutputBytes: file.server.max_output_bytes,
      shutdownGraceMs: file.server.shutdown_grace_ms,
    },
    metricsServer: file.metrics,
  };
}

/**
 * Loads conf/server.yml (or `path`), validates it and applies environment overrides
 * (`env` defaults to process.env; no .env file is read). Throws ConfigError naming the bad option.
 */
export function loadConfig(path?: string, env?: Readonly<Record<string, string | undefined>>): RuntimeConfig {
  return toRuntimeConfig(loadConfigFile(path, env));
}
