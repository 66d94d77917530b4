// `npm run cluster -- --nodes 3`: a local NATS JetStream cluster for development, on loopback, until Ctrl-C.
// For now it starts NATS only; PostgreSQL and the game nodes join it once the runtime can route over the cluster.
import { parseArgs } from 'node:util';
import { NatsCluster } from './natsCluster.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '3' } } });
const size = Number(values.nodes);
if (!Number.isInteger(size) || size < 1 || size > 5) {
  process.stderr.write(`--nodes must be 1 to 5 (got ${values.nodes})\n`);
  process.exitCode = 2;
} else {
  const cluster = await NatsCluster.start({ size });
  process.stdout.write(
    [
      `NATS cluster of ${size} on 127.0.0.1 (data in ${cluster.dir}, removed on exit):`,
      ...cluster.nodes.map((n) => `  ${n.name}  client ${n.url}  monitor http://127.0.0.1:${n.monitorPort}`),
      `  AETHYR_NATS_URLS=${cluster.servers.join(',')}`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    cluster.dispose().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stopping the cluster failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
