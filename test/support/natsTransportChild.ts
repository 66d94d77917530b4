// A second Node process serving the transport test's methods: `tsx natsTransportChild.ts <servers> <world> <node>`.
import { connect } from '@nats-io/transport-node';
import { Transport } from '../../src/cluster/transport.ts';
import { CommandRejectedError, ConcurrencyError, NotFoundError, NotOwnerError } from '../../src/errors.ts';
import { badReply, count, echo, fail, onShard } from './natsTransportMethods.ts';

const [servers = '', world = '', node = ''] = process.argv.slice(2);
const nc = await connect({ servers: servers.split(','), name: node });
const transport = new Transport(nc, { world, node });
const calls = new Map<string, number>();

transport.serve(echo, async ({ text }) => ({ text, from: node }));
transport.serve(count, async ({ key, delayMs }) => {
  calls.set(key, (calls.get(key) ?? 0) + 1);
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  return { calls: calls.get(key)! };
});
transport.serve(fail, async ({ kind }) => {
  if (kind === 'rejected') throw new CommandRejectedError('ALREADY_EXISTS', 'room:hall', 'CreateRoom', 'room:hall already exists');
  if (kind === 'notFound') throw new NotFoundError('player:ann');
  if (kind === 'concurrency') throw new ConcurrencyError('room:hall', '3', 4);
  throw new Error('disk on fire');
});
transport.serve(onShard, async ({ shard }) => {
  throw new NotOwnerError(shard, node);
});
transport.serve(badReply, async () => ({ n: 'not a number' }) as unknown as { n: number });

await nc.flush();
process.stdout.write('ready\n');
