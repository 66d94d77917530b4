import { existsSync } from 'node:fs';
import { loadConfig } from './config/loadConfig.ts';
import { describe, isRuntimeError } from './errors.ts';
import { startGame } from './game/startGame.ts';

/** The main job: the MUD server on the configured store (embedded SQLite by default). */
async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath !== undefined && !existsSync(configPath)) throw new Error(`config file ${configPath}: no such file`);
  // `npm start | tee log`: Ctrl-C stops tee too, and writing to the closed pipe must not kill the
  // server before its shutdown path has told the players and closed the world.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const config = loadConfig(configPath ?? 'conf/server.yml');
  const running = await startGame(config);
  const where = running.storeKind === 'sqlite' ? `SQLite ${config.sqlite.path}` : `ImmuDB ${config.immudb.host}:${config.immudb.port}/${config.immudb.database}`;
  console.log(`Aethyr is listening on telnet://${running.game.address}:${running.game.port} (world: ${where}${running.seeded ? ', newly seeded' : ''})`);
  console.log(`Metrics: http://${running.metrics.address}:${running.metrics.port}/metrics, health: /health. Ctrl-C stops gracefully.`);
  // Signal handlers belong to the application entry, never to the library. A Ctrl-C reaches the
  // server more than once (from the terminal, and forwarded by npm): the first one stops the world,
  // the others must not kill it half-way through.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight commands and closing the world...`);
    running.stop().then(
      () => console.log('Stopped. Every acknowledged change is in the store.'),
      (error: unknown) => {
        console.error(`error while stopping: ${describe(error)}`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}

main().catch((error: unknown) => {
  console.error(`error: ${isRuntimeError(error) ? `${error.code}: ${error.message}` : describe(error)}`);
  process.exitCode = 1;
});
