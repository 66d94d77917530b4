// A cluster member in its own process, for SIGSTOP/SIGCONT tests: `tsx natsMemberChild.ts <servers> <world> <node> <ttlMs> <shards>`.
// Prints one JSON line per event; answers "check <shard>" on stdin with whether it would serve the shard now.
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { ClusterMember } from '../../src/cluster/ClusterMember.ts';

const [servers = '', world = '', node = '', ttl = '1500', shards = '8'] = process.argv.slice(2);
const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
const nc = await connect({ servers: servers.split(','), name: node, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
const member = await ClusterMember.join(nc, {
  world,
  node,
  leaseTtlMs: Number(ttl),
  shards: Number(shards),
  hooks: {
    onAcquired: (lease) => say({ event: 'acquired', ...lease }),
    onReleased: (lease, reason) => say({ event: 'released', reason, ...lease }),
  },
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, shard] = line.split(' ');
  if (command !== 'check') return;
  try {
    say({ event: 'check', shard: Number(shard), serving: true, epoch: member.lease(Number(shard)).epoch });
  } catch (error) {
    say({ event: 'check', shard: Number(shard), serving: false, code: (error as { code?: string }).code });
  }
});
say({ event: 'ready' });
