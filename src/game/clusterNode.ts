import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { NatsBus } from '../cluster/busNats.ts';
import { SingletonLease } from '../cluster/singleton.ts';
import { censusHandler, readCensus, SingletonFollower } from '../cluster/singletonFollower.ts';
import type { PostgresStoreOptions } from '../config/stores.ts';
import { describe } from '../errors.ts';
import type { EventStore } from '../eventStore/types.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ClusterConfig } from './clusterConfig.ts';

/** The name of the lease under which the cluster-wide read side (census) runs. */
export const READ_SIDE = 'readside';

/** One game node's part of the cluster: the bus, the read-side singleton, and what @stats and /health say. */
export interface ClusterNode {
  readonly bus: NatsBus;
  readonly lease: SingletonLease;
  readonly follower: SingletonFollower;
  /** Lines for `@stats`. */
  describe(): Promise<readonly string[]>;
  health(): { readonly node: string; readonly world: string; readonly nodes: readonly { node: string; players: number }[]; readonly readSide: { holder: string | undefined; epoch: number | undefined; position: number } };
  close(): Promise<void>;
}

/**
 * Joins the world's cluster over `nc` (from connectNats; closed with the node, or on failure here): the
 * game bus on it, and the competition for the read-side singleton, whose holder follows the shared
 * store into the cluster's PostgreSQL read model (the census) and fences older holders by epoch.
 */
export async function joinCluster(nc: NatsConnection, config: ClusterConfig, store: EventStore, postgres: PostgresStoreOptions, logger: Logger, registry?: Registry): Promise<ClusterNode> {
  const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
  pool.on('error', (error) => logger.warn('cluster: idle PostgreSQL connection failed', { error: describe(error) }));
  const schema = postgres.schema ?? 'aethyr';
  const opened: { bus?: NatsBus; lease?: SingletonLease } = {};
  try {
    const bus = (opened.bus = await NatsBus.open(nc, { world: config.world, node: config.node, heartbeatMs: config.presenceHeartbeatMs, logger }));
    const follower = new SingletonFollower(store, pool, schema, censusHandler, { logger });
    await follower.setup();
    // Start and stop in the order the lease says so, one at a time.
    let chain = Promise.resolve();
    const inOrder = (work: () => Promise<void>) => {
      chain = chain.then(work).catch((error: unknown) => logger.error('cluster: read-side singleton failed to switch', { error: describe(error) }));
    };
    const lease = (opened.lease = await SingletonLease.start(
      nc,
      { world: config.world, node: config.node, name: READ_SIDE, ttlMs: config.singletonTtlMs, replicas: config.replicas },
      { onAcquired: (epoch) => inOrder(() => follower.start(epoch)), onLost: () => inOrder(() => follower.stop()) },
      logger,
    ));
    if (registry) registerClusterMetrics(registry, bus, lease, follower);
    return {
      bus,
      lease,
      follower,
      async describe() {
        const census = await readCensus(pool, schema).catch(() => undefined);
        const members = bus.nodes().map((n) => `${n.node} (${n.players} playing)`);
        const count = (type: string) => census?.byType.get(type) ?? 0;
        return [
          `cluster: world ${config.world}, this node ${config.node}, nodes ${members.join(', ')}`,
          `read-side singleton: held by ${lease.holder ?? 'nobody yet'}${lease.current() !== undefined ? ` (here, epoch ${lease.current()})` : ''}`,
          census
            ? `census at position ${census.position}: ${count('PlayerCreated')} players, ${count('RoomCreated')} rooms, ${[...census.byType.values()].reduce((a, b) => a + b, 0)} events`
            : 'census: not readable right now',
        ];
      },
      health: () => ({ node: config.node, world: config.world, nodes: bus.nodes(), readSide: { holder: lease.holder, epoch: lease.current(), position: follower.position } }),
      async close() {
        await lease.close();
        await chain;
        await follower.stop();
        await bus.close();
        await pool.end();
        await nc.drain().catch(() => undefined);
      },
    };
  } catch (error) {
    await opened.lease?.close().catch(() => undefined);
    await opened.bus?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await nc.close().catch(() => undefined);
    throw error;
  }
}

/** Per-node gauges, read at scrape time: the cluster as this node sees it. */
function registerClusterMetrics(registry: Registry, bus: NatsBus, lease: SingletonLease, follower: SingletonFollower): void {
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  gauge('aethyr_cluster_nodes', 'Game nodes this node hears on the bus (itself included)', () => bus.nodes().length);
  gauge('aethyr_cluster_players_online', 'Players online in the whole world, as this node sees them', () => bus.online().length);
  gauge('aethyr_cluster_node_players', 'Players connected to this node', () => bus.nodes()[0]?.players ?? 0);
  gauge('aethyr_cluster_readside_held', '1 while this node holds the read-side singleton', () => (lease.current() === undefined ? 0 : 1));
  gauge('aethyr_cluster_readside_acquisitions', 'Times this node took the read-side singleton', () => lease.stats.acquired);
  gauge('aethyr_cluster_readside_position', 'Store position the cluster read model reached on this node (0 when not the holder)', () => (lease.current() === undefined ? 0 : follower.position));
}

/** Connects to the first reachable server (then reconnects among all of them forever); one clear line if none answers. */
export async function connectNats(config: ClusterConfig): Promise<NatsConnection> {
  try {
    return await connect({
      servers: [...config.servers],
      name: `aethyr-${config.world}-${config.node}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...(config.credentialsFile !== undefined && { authenticator: credsAuthenticator(readFileSync(config.credentialsFile)) }),
    });
  } catch (error) {
    throw new Error(`cluster.nats.servers: no NATS server answers at ${config.servers.join(', ')} (${describe(error)})`, { cause: error });
  }
}
