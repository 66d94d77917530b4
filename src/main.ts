import { loadConfig, type RuntimeConfig } from './config/loadConfig.ts';
import { startGame } from './game/startGame.ts';
import { checkImmudbCredentials, explainStartupError } from './game/server/startupErrors.ts';

let config: RuntimeConfig | undefined;

/** The main job: the MUD server on the configured store (embedded SQLite by default). */
async function main(): Promise<void> {
  config = loadConfig(process.argv[2] ?? 'conf/server.yml');
  const credentials = checkImmudbCredentials(config);
  if (credentials) console.warn(credentials);
  const running = await startGame(config);
  const where = running.storeKind === 'sqlite' ? `SQLite ${config.sqlite.path}` : `ImmuDB ${config.immudb.host}:${config.immudb.port}/${config.immudb.database}`;
  console.log(`Aethyr is listening on telnet://${running.game.address}:${running.game.port} (world: ${where}${running.seeded ? ', newly seeded' : ''})`);
  console.log(`Metrics: http://${running.metrics.address}:${running.metrics.port}/metrics, health: /health. Ctrl-C stops gracefully.`);
  // Signal handlers belong to the application entry, never to the library.
  const shutdown = (signal: string) => {
    console.log(`${signal}: finishing in-flight commands and closing the world...`);
    running.stop().then(
      () => console.log('Stopped. Every acknowledged change is in the store.'),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // One line naming the option, no stack trace; exit now, as a half-started world may hold handles open.
  console.error(`Cannot start: ${explainStartupError(error, config)}`);
  process.exit(1);
});
