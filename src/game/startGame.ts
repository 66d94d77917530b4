import type { AddressInfo } from 'node:net';
import type { RuntimeConfig } from '../config/loadConfig.ts';
import { startMetricsServer } from '../metrics/httpServer.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { collectProcessMetrics } from '../metrics/processMetrics.ts';
import { createProjections } from '../projections/projections.ts';
import { stderrLogger, type Logger } from '../runtime/logger.ts';
import { openRuntime } from '../openRuntime.ts';
import { ConfigError } from '../errors.ts';
import { GameServer } from './server/GameServer.ts';
import { Manager } from './Manager.ts';
import { seedWorld } from './seed.ts';
import { followNotices } from './notices.ts';
import type { ClusterConfig } from './clusterConfig.ts';
import { connectNats, joinCluster, type ClusterNode } from './clusterNode.ts';

export interface RunningGame {
  readonly game: AddressInfo;
  readonly metrics: AddressInfo;
  readonly storeKind: 'sqlite' | 'immudb' | 'postgres';
  readonly seeded: boolean;
  /** This node's part of the cluster, when started with one. */
  readonly cluster: ClusterNode | undefined;
  /** Graceful stop: no new connections, in-flight commands finish, then everything closes. */
  stop(): Promise<void>;
}

/**
 * Opens the world (store, runtime, projections), seeds it on first start, and starts the servers. With
 * `cluster` (and the shared PostgreSQL store), the node also joins its world's cluster: players hear
 * the other nodes' players through the NATS game bus, and the read-side singleton runs on one node.
 */
export async function startGame(config: RuntimeConfig, logger: Logger = stderrLogger, cluster?: ClusterConfig): Promise<RunningGame> {
  const metrics = createMetrics();
  collectProcessMetrics(metrics.registry);
  // Until shard routing gives every aggregate one owner node, a cluster node keeps no idle actor: another
  // node may change any aggregate, so each command and read hydrates from the shared store (snapshot + tail)
  // and a command that races another node's is re-decided by the store's expected-version check.
  if (cluster && config.store.kind !== 'postgres') throw new ConfigError(`a cluster needs the shared PostgreSQL store (store.kind is ${config.store.kind})`);
  // A node reaches NATS before it touches the world: one that cannot join the cluster writes nothing.
  const nc = cluster ? await connectNats(cluster) : undefined;
  const runtime = await openRuntime(cluster ? { ...config, idleTimeoutMs: 1 } : config, { metrics, logger }).catch(async (error: unknown) => {
    await nc?.close();
    throw error;
  });
  const projections = createProjections(runtime.store, { path: config.projections.path, batchSize: config.projections.batchSize, pollMs: config.projections.pollMs, metrics, logger });
  projections.start();
  const manager = new Manager(runtime, { actorId: 'server' });
  const seeded = await seedWorld(manager.as('seed'));
  // A world made before the first-builder marker: its existing builder (the read model is caught up to
  // the store's head here, before anyone can connect) is recorded as the first.
  await projections.catchUp();
  const [builder] = projections.readModel.admins();
  if (builder) await manager.as('seed').recordFirstBuilder(builder.id);
  let node: ClusterNode | undefined;
  if (cluster && nc && config.store.kind === 'postgres') {
    node = await joinCluster(nc, cluster, runtime.store, config.store, logger, metrics.registry).catch(async (error: unknown) => {
      await projections.close();
      await runtime.close();
      throw error;
    });
  }
  const server = new GameServer({ manager, metrics, projections, logger, ...config.server, ...(node && { bus: node.bus, cluster: () => node.describe() }) });
  followNotices(runtime, server); // room notices from other aggregates' events (a mobile arriving), through the bus on a cluster; ends with the runtime
  const game = await server.start();
  const http = await startMetricsServer({
    registry: metrics.registry,
    host: config.metricsServer.host,
    port: config.metricsServer.port,
    health: async () => {
      const stats = await runtime.stats();
      const readSide = projections.health();
      const shadowReplay = runtime.shadowReplay();
      const storeFailure = runtime.store.failure;
      // A store that stopped acknowledging, a read model stopped at a bad event, or live state that differs
      // from its replay, is a failure to report (503).
      const ok = !storeFailure && readSide.ok && (shadowReplay?.divergences ?? 0) === 0;
      return {
        ok,
        store: runtime.storeKind,
        ...(storeFailure && { storeFailure: storeFailure.message }),
        fallback: runtime.fallback,
        ...stats,
        sessions: server.sessions,
        queuedOutputBytes: server.queuedOutputBytes,
        projection: readSide.projector,
        failedReactors: readSide.failedReactors,
        ...(shadowReplay && { shadowReplay }),
        ...(node && { cluster: node.health() }),
      };
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    game,
    metrics: http.address,
    storeKind: runtime.storeKind,
    seeded,
    cluster: node,
    stop: () =>
      (stopping ??= (async () => {
        await server.stop();
        await node?.close();
        await new Promise((resolve) => http.server.close(resolve));
        await projections.close();
        await runtime.close();
      })()),
  };
}
