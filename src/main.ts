import { loadConfig } from './config/loadConfig.ts';
import { isRuntimeError } from './errors.ts';
import { startGame } from './game/startGame.ts';

/** The main job: the MUD server on the configured store (embedded SQLite by default). */
async function main(): Promise<void> {
  const config = loadConfig(process.argv[2] ?? 'conf/server.yml');
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
  console.error(isRuntimeError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
});
