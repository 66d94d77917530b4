import { existsSync } from 'node:fs';
import { loadConfig, type RuntimeConfig } from './config/loadConfig.ts';
import { ConfigError, describe } from './errors.ts';
import { startGame } from './game/startGame.ts';
import { checkImmudbCredentials, explainStartupError } from './game/server/startupErrors.ts';

let config: RuntimeConfig | undefined;

/** The main job: the MUD server on the configured store (embedded SQLite by default). */
async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath !== undefined && !existsSync(configPath)) throw new ConfigError(`config file ${configPath}: no such file`);
  // `npm start | tee log`: Ctrl-C stops tee too, and writing to the closed pipe must not kill the
  // server before its shutdown path has told the players and closed the world.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  config = loadConfig(configPath ?? 'conf/server.yml');
  const credentials = checkImmudbCredentials(config);
  if (credentials) console.warn(credentials);
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
  // One line naming the option, no stack trace; exit now, as a half-started world may hold handles open
  // (this is the program's entry: library code never exits the process).
  console.error(`Cannot start: ${explainStartupError(error, config)}`);
  process.exit(1);
});
