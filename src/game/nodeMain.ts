import { existsSync } from 'node:fs';
import { loadConfig, type RuntimeConfig } from '../config/loadConfig.ts';
import { ConfigError, describe } from '../errors.ts';
import { loadClusterConfig } from './clusterConfig.ts';
import { startGame } from './startGame.ts';
import { explainStartupError } from './server/startupErrors.ts';

let config: RuntimeConfig | undefined;

/**
 * One game node of a cluster: `tsx src/game/nodeMain.ts [conf/server.yml] [conf/cluster.yml]`. The
 * store must be the shared PostgreSQL one (store.kind postgres or AETHYR_STORE=postgres, with
 * AETHYR_POSTGRES_URL); the cluster file (or AETHYR_NODE, AETHYR_NATS_URLS...) names the node and
 * the NATS servers. `npm run cluster` starts several of these on loopback for development.
 */
async function main(): Promise<void> {
  const [serverPath = 'conf/server.yml', clusterPath = 'conf/cluster.yml'] = process.argv.slice(2);
  if (!existsSync(serverPath) && process.argv[2] !== undefined) throw new ConfigError(`config file ${serverPath}: no such file`);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  config = loadConfig(serverPath);
  const cluster = loadClusterConfig(clusterPath, config);
  const running = await startGame(config, undefined, cluster);
  console.log(`Aethyr node ${cluster.node} of world ${cluster.world} is listening on telnet://${running.game.address}:${running.game.port}${running.seeded ? ' (world newly seeded)' : ''}`);
  console.log(`Metrics: http://${running.metrics.address}:${running.metrics.port}/metrics, health: /health. Ctrl-C stops gracefully.`);
  // Signal handlers belong to the program's entry: the first signal stops the node, later ones are ignored.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: node ${cluster.node} is saying goodbye to its players and leaving the cluster...`);
    running.stop().then(
      () => console.log('Stopped. Every acknowledged change is in the store.'),
      (error: unknown) => {
        console.error(`error while stopping: ${describe(error)}`);
        process.exitCode = 1;
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

main().catch((error: unknown) => {
  console.error(`Cannot start: ${explainStartupError(error, config)}`);
  process.exit(1);
});
