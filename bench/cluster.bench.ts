import { createClusterRuntime, type ClusterRuntime } from '../src/cluster/clusterRuntime.ts';
import { AggregateRegistry } from '../src/definition/registry.ts';
import { storeCodecsOf } from '../src/definition/upcasters.ts';
import { PostgresEventStore } from '../src/eventStore/postgres/PostgresEventStore.ts';
import { worldAggregates } from '../src/world/kinds.ts';
import { NatsCluster } from '../test/support/natsCluster.ts';
import { PostgresTestServer } from '../test/support/postgresServer.ts';
import { percentile, round, timed, type Benchmark } from './lib/harness.ts';

/**
 * The clustered runtime (issue 13) on a real 3-server NATS cluster and PostgreSQL, nodes in this process:
 * commands/s through 1 and 2 nodes, and the latency of a command routed to a remote owner against one run
 * by the local owner, same run. All nodes share this process (one core): the figures show routing cost,
 * not scaling over processes.
 */
export const cluster: Benchmark = async ({ quick, log }) => {
  const commands = quick ? 2_000 : 10_000;
  const aggregates = 500;
  const shards = 32;
  const nats = await NatsCluster.start();
  const server = await new PostgresTestServer().start();
  const figures: Record<string, number> = {};
  try {
    for (const size of [1, 2]) {
      const nodes: ClusterRuntime[] = [];
      const stores: PostgresEventStore[] = [];
      const close: (() => Promise<void>)[] = [];
      try {
        for (let i = 0; i < size; i++) {
          const nc = await nats.connect({ name: `bench${size}-${i}` });
          const store = await PostgresEventStore.open({ connectionString: server.connectionString, schema: `cluster${size}`, ...storeCodecsOf(new AggregateRegistry(worldAggregates)) });
          stores.push(store);
          nodes.push(await createClusterRuntime({ nats: nc, store, cluster: { world: `bench${size}`, node: `n${i}`, shards }, runtime: { aggregates: worldAggregates } }));
          close.push(async () => nc.close());
        }
        while (nodes.reduce((n, r) => n + r.member.ownedShards().length, 0) < shards || nodes.some((r) => r.member.ownedShards().length === 0)) await new Promise((r) => setTimeout(r, 20));
        const first = nodes[0] as ClusterRuntime;
        for (let i = 0; i < aggregates; i++) await first.execute({ type: 'CreateGameObject', id: `obj-${i}`, name: 'thing', generic: 'item' });
        const run = await timed(() => Promise.all(Array.from({ length: commands }, (_, i) => (nodes[i % size] as ClusterRuntime).execute({ type: 'UpdateGameObjectAttribute', id: `obj-${i % aggregates}`, key: 'hp', value: i }))));
        figures[`commands/s, ${size} node${size > 1 ? 's' : ''}`] = Math.round(commands / run.seconds);
        log(`${size} node(s): ${figures[`commands/s, ${size} node${size > 1 ? 's' : ''}`]} commands/s`);
        if (size === 2) {
          const sample = quick ? 200 : 1_000;
          const latency = async (remote: boolean) => {
            const ids = Array.from({ length: aggregates }, (_, i) => `obj-${i}`).filter((id) => (first.member.holderOf(first.member.map.shardOf(id)) === first.member.node) !== remote);
            const ms: number[] = [];
            for (let i = 0; i < sample; i++) {
              const t = performance.now();
              await first.execute({ type: 'UpdateGameObjectAttribute', id: ids[i % ids.length] as string, key: 'hp', value: i });
              ms.push(performance.now() - t);
            }
            return ms;
          };
          const local = await latency(false);
          const remote = await latency(true);
          figures['local command p50 ms'] = round(percentile(local, 50));
          figures['remote command p50 ms'] = round(percentile(remote, 50));
          figures['local command p99 ms'] = round(percentile(local, 99));
          figures['remote command p99 ms'] = round(percentile(remote, 99));
        }
      } finally {
        for (const node of nodes) await node.close();
        for (const store of stores) await store.close();
        for (const c of close) await c();
      }
    }
  } finally {
    await server.dispose();
    await nats.dispose();
  }
  return {
    name: 'cluster',
    params: { commands, aggregates, shards, nodesInOneProcess: true },
    figures,
    baseline: { 'local command p50 ms': figures['local command p50 ms'] ?? Number.NaN, 'commands/s, 1 node': figures['commands/s, 1 node'] ?? Number.NaN },
    ratios: {
      'remote/local p50': round((figures['remote command p50 ms'] ?? 0) / (figures['local command p50 ms'] ?? 1)),
      '2 nodes/1 node': round((figures['commands/s, 2 nodes'] ?? 0) / (figures['commands/s, 1 node'] ?? 1)),
    },
    notes: ['all nodes run in this one process on a 2-core machine shared with other sessions: the node count shows routing cost, not scaling', 'time to first command on a moved shard after kill -9 needs node processes: not measured here'],
  };
};
