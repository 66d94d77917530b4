import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { DEFAULT_SHARD_COUNT } from './shardMap.ts';

const token = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
const ms = z.number().int().positive();

/**
 * Options of one cluster member. Every delay is derived from the lease TTL unless given, and checked
 * against it: a renew must be attempted several times inside one TTL, and the local deadline (when this
 * node stops serving a shard it could not renew) must come before the server can expire the lease.
 */
export const clusterOptionsSchema = z
  .object({
    world: token,
    node: token,
    /** Shards per world; fixed for the life of the world. */
    shards: z.number().int().min(1).max(65_536).default(DEFAULT_SHARD_COUNT),
    /**
     * Lease and membership TTL. Longer than a JetStream leader election (4-9 s measured), so killing the NATS
     * server that leads the KV stream does not cost every lease; a dead node is detected much faster by
     * "no responders" on its ping subject, so this only bounds the slow path (a paused or cut-off node).
     */
    leaseTtlMs: ms.min(300).default(10_000),
    /** Renew (and heartbeat) period; default a fifth of the TTL. */
    renewEveryMs: ms.optional(),
    /** The local deadline is renew-sent-time + TTL - margin; default a tenth of the TTL (covers clock-rate drift and GC pauses). */
    safetyMarginMs: ms.optional(),
    /** Timeout of one KV operation; default a tenth of the TTL, at least 200 ms. */
    kvTimeoutMs: ms.optional(),
    /** At most this many shards drained and handed off by this node at once. */
    maxConcurrentHandoffs: ms.default(4),
    /** How often other members are pinged for fast death detection. */
    pingEveryMs: ms.default(250),
    pingTimeoutMs: ms.default(250),
    /** Watch watchdog period (compares the watched revision with the stream's last sequence). */
    watchdogMs: ms.default(1000),
    /** Full re-list period, a backstop for a watch that missed something. */
    relistMs: ms.default(10_000),
    /** How long `join` keeps trying to open the bucket (JetStream may be electing a leader). */
    joinTimeoutMs: ms.default(30_000),
    /** Replicas of the KV bucket: 3 on a 3-server cluster, 1 on a single dev server. */
    replicas: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(3),
  })
  .strict();

export type ClusterOptionsInput = z.input<typeof clusterOptionsSchema>;

export type ClusterOptions = { readonly [K in keyof z.output<typeof clusterOptionsSchema>]-?: NonNullable<z.output<typeof clusterOptionsSchema>[K]> };

/** Validates and fills the options once; errors name the option path (`cluster.leaseTtlMs ...`). */
export function resolveClusterOptions(input: ClusterOptionsInput): ClusterOptions {
  const parsed = clusterOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['cluster', ...issue.path.map(String)].join('.');
    throw new ConfigError(`${path}: ${issue.message}`);
  }
  const o = parsed.data;
  const filled: ClusterOptions = {
    ...o,
    renewEveryMs: o.renewEveryMs ?? Math.floor(o.leaseTtlMs / 5),
    safetyMarginMs: o.safetyMarginMs ?? Math.floor(o.leaseTtlMs / 10),
    kvTimeoutMs: o.kvTimeoutMs ?? Math.max(200, Math.floor(o.leaseTtlMs / 10)),
  };
  if (filled.renewEveryMs * 2 > filled.leaseTtlMs - filled.safetyMarginMs) {
    throw new ConfigError(`cluster.renewEveryMs (${filled.renewEveryMs}) must allow two renew attempts before the local deadline (leaseTtlMs - safetyMarginMs = ${filled.leaseTtlMs - filled.safetyMarginMs})`);
  }
  if (filled.safetyMarginMs * 2 > filled.leaseTtlMs) {
    throw new ConfigError(`cluster.safetyMarginMs (${filled.safetyMarginMs}) must be at most half of cluster.leaseTtlMs (${filled.leaseTtlMs})`);
  }
  return filled;
}
