// One game node of the cluster harness, in its own process: node entry for test/int/clusterFailover.
// argv: <nats urls, comma separated> <postgres url> <schema> <world> <shards> <node>
import { connect } from '@nats-io/transport-node';
import { createClusterRuntime } from '../../src/cluster/clusterRuntime.ts';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import { storeCodecsOf } from '../../src/definition/upcasters.ts';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { worldAggregates } from '../../src/world/kinds.ts';

const [servers = '', connectionString = '', schema = '', world = '', shards = '16', node = ''] = process.argv.slice(2);
const nc = await connect({ servers: servers.split(','), name: node, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
const store = await PostgresEventStore.open({ connectionString, schema, poolSize: 4, ...storeCodecsOf(new AggregateRegistry(worldAggregates)) });
const runtime = await createClusterRuntime({ nats: nc, store, cluster: { world, node, shards: Number(shards), leaseTtlMs: 2000 }, runtime: { aggregates: worldAggregates } });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  runtime.close().then(() => store.close()).then(() => nc.close()).finally(() => process.exit(0));
});
