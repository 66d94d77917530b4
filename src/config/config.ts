import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { DEFAULT_LIMITS, LIMIT_CEILINGS } from '../runtime/limits.ts';
import { RETRY_DEFAULTS } from '../eventStore/immudb/retryDefaults.ts';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const port = z.number().int().min(0).max(65535);

/** conf/server.yml, as documented there. Every field has a default, so an empty file is valid. */
export const configFileSchema = z.strictObject({
  store: z
    .strictObject({
      kind: z.enum(['sqlite', 'immudb', 'postgres']).default('sqlite'),
      sqlite: z
        .strictObject({
          path: z.string().min(1).default('data/world.db'),
          durability: z.enum(['full', 'normal', 'off']).default('full'),
          group_commit_window_ms: nonNegativeInt.default(0),
          busy_timeout_ms: nonNegativeInt.default(5000),
        })
        .prefault({}),
      postgres: z
        .strictObject({
          // No default: a server address and its credentials are never assumed silently.
          connection_string: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
          schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('aethyr'),
          pool_size: positiveInt.max(1000).default(10),
        })
        .prefault({}),
      immudb: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port: port.default(3322),
          user: z.string().min(1).default('immudb'),
          password: z.string().min(1).default('immudb'),
          database: z.string().regex(/^[a-z0-9]+$/, 'must be lowercase letters and digits').max(64).default('aethyr'),
          timeout_ms: positiveInt.default(10_000),
          // 'fallback' was removed: it served an empty SQLite world without ImmuDB's history.
          on_unavailable: z.literal('fail', { error: "must be 'fail' (the SQLite fallback was removed: it served a world without ImmuDB's history)" }).default('fail'),
          checkpoint_file: z.string().min(1).default('data/immudb-checkpoints.jsonl'),
          retry: z
            .strictObject({
              attempts: positiveInt.default(RETRY_DEFAULTS.attempts),
              base_delay_ms: nonNegativeInt.default(RETRY_DEFAULTS.baseDelayMs),
              max_delay_ms: nonNegativeInt.default(RETRY_DEFAULTS.maxDelayMs),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .superRefine((store, ctx) => {
      if (store.kind === 'postgres' && store.postgres.connection_string === undefined) {
        ctx.addIssue({ code: 'custom', path: ['postgres', 'connection_string'], message: 'is required when store.kind is postgres (or set AETHYR_POSTGRES_URL)' });
      }
    })
    .prefault({}),
  event_sourcing: z
    .strictObject({
      snapshot_threshold: positiveInt.default(100),
      idle_timeout_ms: positiveInt.default(300_000),
      max_live_actors: positiveInt.default(100_000),
      conflict_retries: nonNegativeInt.default(3),
    })
    .prefault({}),
  // What commands and events may hold (src/runtime/limits.ts); the ceilings are what was verified to load again.
  limits: z
    .strictObject({
      max_json_depth: positiveInt.max(LIMIT_CEILINGS.maxJsonDepth).default(DEFAULT_LIMITS.maxJsonDepth),
      max_event_bytes: positiveInt.max(LIMIT_CEILINGS.maxEventBytes).default(DEFAULT_LIMITS.maxEventBytes),
      max_command_bytes: positiveInt.max(LIMIT_CEILINGS.maxCommandBytes).default(DEFAULT_LIMITS.maxCommandBytes),
    })
    .prefault({}),
  // Background re-fold of live aggregates compared with live state (src/runtime/shadowReplay.ts).
  shadow_replay: z
    .strictObject({ enabled: z.boolean().default(true), batch: positiveInt.default(4), interval_ms: positiveInt.default(10_000) })
    .prefault({}),
  projections: z
    .strictObject({
      path: z.string().min(1).default('data/projections.db'),
      batch_size: positiveInt.default(500),
      poll_ms: positiveInt.default(250),
    })
    .prefault({}),
  pool: z.strictObject({ threads: positiveInt.optional() }).prefault({}),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(4000),
      max_connections: positiveInt.default(1000),
      max_line_bytes: positiveInt.default(512),
      command_burst: positiveInt.default(20),
      commands_per_second: positiveInt.default(10),
      login_failures_per_minute: positiveInt.default(5),
      login_slowdown_base_ms: nonNegativeInt.default(1000),
      login_slowdown_max_ms: nonNegativeInt.default(30_000),
      max_connections_per_address: positiveInt.default(20),
      login_slots: positiveInt.default(200),
      login_timeout_ms: positiveInt.default(60_000),
      idle_timeout_ms: positiveInt.default(3_600_000),
      max_output_bytes: z.number().int().min(4096).default(262_144),
      shutdown_grace_ms: nonNegativeInt.default(5000),
    })
    .superRefine((server, ctx) => {
      for (const option of ['login_slots', 'max_connections_per_address'] as const) {
        if (server[option] > server.max_connections) {
          ctx.addIssue({ code: 'custom', path: [option], message: `must be at most max_connections (${server.max_connections})` });
        }
      }
    })
    .prefault({}),
  metrics: z
    .strictObject({ host: z.string().min(1).default('127.0.0.1'), port: port.default(9464) })
    .prefault({}),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Environment variables that override the file, and the option each sets. */
export const envOverrides: Readonly<Record<string, { path: readonly string[]; type: 'string' | 'int' }>> = {
  AETHYR_STORE: { path: ['store', 'kind'], type: 'string' },
  AETHYR_SQLITE_PATH: { path: ['store', 'sqlite', 'path'], type: 'string' },
  AETHYR_POSTGRES_URL: { path: ['store', 'postgres', 'connection_string'], type: 'string' },
  AETHYR_DURABILITY: { path: ['store', 'sqlite', 'durability'], type: 'string' },
  AETHYR_SNAPSHOT_THRESHOLD: { path: ['event_sourcing', 'snapshot_threshold'], type: 'int' },
  AETHYR_PROJECTIONS_PATH: { path: ['projections', 'path'], type: 'string' },
  AETHYR_SERVER_PORT: { path: ['server', 'port'], type: 'int' },
  AETHYR_METRICS_PORT: { path: ['metrics', 'port'], type: 'int' },
  IMMUDB_HOST: { path: ['store', 'immudb', 'host'], type: 'string' },
  IMMUDB_PORT: { path: ['store', 'immudb', 'port'], type: 'int' },
  IMMUDB_USER: { path: ['store', 'immudb', 'user'], type: 'string' },
  IMMUDB_PASSWORD: { path: ['store', 'immudb', 'password'], type: 'string' },
  IMMUDB_DATABASE: { path: ['store', 'immudb', 'database'], type: 'string' },
};

/**
 * Parses and validates a config object (YAML already parsed), applying env overrides.
 * Throws ConfigError naming the option, e.g. `event_sourcing.snapshot_threshold must be ...`.
 */
export function parseConfig(raw: unknown, env: Readonly<Record<string, string | undefined>> = {}): ConfigFile {
  const doc: Record<string, unknown> = raw === null || raw === undefined ? {} : structuredClone(raw as Record<string, unknown>);
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('config must be a mapping of options');
  for (const [name, { path, type }] of Object.entries(envOverrides)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let parsed: string | number = value;
    if (type === 'int') {
      if (!/^-?\d+$/.test(value)) throw new ConfigError(`${name} (${path.join('.')}) must be an integer, got "${value}"`);
      parsed = Number(value);
    }
    setPath(doc, path, parsed);
  }
  const result = configFileSchema.safeParse(doc);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new ConfigError(`${where} ${issue?.code === 'unrecognized_keys' ? issue.message.toLowerCase() : `is invalid: ${issue?.message}`}`);
  }
  return result.data;
}

/** Reads a YAML config file (default conf/server.yml), then env overrides. A missing file means defaults. */
export function loadConfigFile(path = 'conf/server.yml', env: Readonly<Record<string, string | undefined>> = process.env): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseConfig({}, env);
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(raw, env);
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}
