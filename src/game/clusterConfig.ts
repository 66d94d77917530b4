import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { RuntimeConfig } from '../config/loadConfig.ts';

const token = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
const natsUrl = z.string().regex(/^(nats|tls|wss?):\/\/[^\s,]+$/, 'must be nats://host:port (or tls://, ws://, wss://)');

/** conf/cluster.yml: how a game node joins its world's cluster. Documented in that file. */
export const clusterFileSchema = z.strictObject({
  cluster: z.strictObject({
    world: token.default('aethyr'),
    node: token,
    nats: z.strictObject({
      servers: z.array(natsUrl).min(1),
      /** A NATS credentials file (JWT + nkey seed); never logged. */
      credentials_file: z.string().min(1).optional(),
    }),
    /** Replicas of the cluster's KV buckets: 3 on a 3-server NATS cluster, 1 on one server. */
    replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(3),
    /** The read-side singleton's lease: another node takes over at most this long after its holder stops. */
    singleton_ttl_ms: z.number().int().min(300).default(5000),
    /** Each node sends its player list this often; a node silent for 3 of these is gone, its players with it. */
    presence_heartbeat_ms: z.number().int().min(50).default(1000),
  }),
});

export interface ClusterConfig {
  readonly world: string;
  readonly node: string;
  readonly servers: readonly string[];
  readonly credentialsFile: string | undefined;
  readonly replicas: 1 | 3 | 5;
  readonly singletonTtlMs: number;
  readonly presenceHeartbeatMs: number;
}

/** Environment overrides of conf/cluster.yml. */
const ENV: Readonly<Record<string, { readonly path: readonly string[]; readonly type: 'string' | 'number' | 'list' }>> = {
  AETHYR_WORLD: { path: ['world'], type: 'string' },
  AETHYR_NODE: { path: ['node'], type: 'string' },
  AETHYR_NATS_URLS: { path: ['nats', 'servers'], type: 'list' },
  AETHYR_NATS_CREDENTIALS: { path: ['nats', 'credentials_file'], type: 'string' },
  AETHYR_NATS_REPLICAS: { path: ['replicas'], type: 'number' },
  AETHYR_SINGLETON_TTL_MS: { path: ['singleton_ttl_ms'], type: 'number' },
  AETHYR_PRESENCE_HEARTBEAT_MS: { path: ['presence_heartbeat_ms'], type: 'number' },
};

/**
 * Reads conf/cluster.yml (or `path`; a missing file is an empty one, so the environment alone can
 * configure a node), applies environment overrides, and validates: any problem is a ConfigError of
 * one line naming the option. A cluster needs the shared PostgreSQL store: `runtime` must use it.
 */
export function loadClusterConfig(path: string, runtime: RuntimeConfig, env: Readonly<Record<string, string | undefined>> = process.env): ClusterConfig {
  let raw: unknown = {};
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text !== undefined) {
    try {
      raw = parse(text) ?? {};
    } catch (error) {
      throw new ConfigError(`${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const file = (typeof raw === 'object' && raw !== null ? structuredClone(raw) : raw) as Record<string, unknown>;
  for (const [name, { path: keys, type }] of Object.entries(ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = ((file['cluster'] ??= {}) as Record<string, unknown>);
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    const parsed = type === 'number' ? Number(value) : type === 'list' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
    if (type === 'number' && !Number.isFinite(parsed)) throw new ConfigError(`${name} must be a number (got ${JSON.stringify(value)})`);
    node[keys.at(-1)!] = parsed;
  }
  const result = clusterFileSchema.safeParse(file);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'cluster';
    throw new ConfigError(`${path}: ${where}: ${issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message}`);
  }
  if (runtime.store.kind !== 'postgres') {
    throw new ConfigError(`a cluster needs the shared PostgreSQL store: set store.kind to postgres (or AETHYR_STORE=postgres; got ${runtime.store.kind})`);
  }
  const c = result.data.cluster;
  if (c.nats.credentials_file !== undefined) {
    try {
      readFileSync(c.nats.credentials_file);
    } catch (error) {
      throw new ConfigError(`cluster.nats.credentials_file ${c.nats.credentials_file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  return {
    world: c.world,
    node: c.node,
    servers: c.nats.servers,
    credentialsFile: c.nats.credentials_file,
    replicas: c.replicas,
    singletonTtlMs: c.singleton_ttl_ms,
    presenceHeartbeatMs: c.presence_heartbeat_ms,
  };
}
