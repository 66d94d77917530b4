import type { RuntimeOptions, SqliteStoreOptions } from '../runtime/runtime.ts';
import { loadConfigFile, type ConfigFile } from './config.ts';

/** Runtime options plus the servers' addresses, as read from conf/server.yml and the environment. */
export interface RuntimeConfig extends RuntimeOptions {
  readonly store: SqliteStoreOptions;
  readonly server: { readonly host: string; readonly port: number };
  readonly metricsServer: { readonly host: string; readonly port: number };
}

/** Turns the validated file into runtime options (camelCase, fully defaulted). */
export function toRuntimeConfig(file: ConfigFile): RuntimeConfig {
  const { sqlite } = file.store;
  const es = file.event_sourcing;
  return {
    store: {
      kind: 'sqlite',
      path: sqlite.path,
      durability: sqlite.durability,
      groupCommitWindowMs: sqlite.group_commit_window_ms,
      busyTimeoutMs: sqlite.busy_timeout_ms,
    },
    snapshotThreshold: es.snapshot_threshold,
    idleTimeoutMs: es.idle_timeout_ms,
    maxLiveActors: es.max_live_actors,
    conflictRetries: es.conflict_retries,
    server: file.server,
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
