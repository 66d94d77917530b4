import { dirname } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { loadConfig, type RuntimeConfig } from '../../src/config/loadConfig.ts';
import { startGame, type RunningGame } from '../../src/game/startGame.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { MudClient } from './mudClient.ts';
import { tempDirs } from './tempStore.ts';

/**
 * Real game servers on temporary world files, and clients over real sockets, all closed after each
 * test. Call once at the top of a test file.
 */
export function gameHarness() {
  const temp = tempDirs();
  const clients: MudClient[] = [];
  const games: RunningGame[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const g of games.splice(0)) await g.stop();
  });
  afterAll(() => temp.cleanup());
  return {
    temp,
    /** A world on a fresh SQLite file, servers on free ports; `projections` names its own read-model file. */
    worldConfig(path = temp.file(), projections = `${dirname(path)}/projections.db`): RuntimeConfig {
      return loadConfig('conf/server.yml', {
        AETHYR_SQLITE_PATH: path,
        AETHYR_PROJECTIONS_PATH: projections,
        AETHYR_SERVER_PORT: '0',
        AETHYR_METRICS_PORT: '0',
      });
    },
    async start(config: RuntimeConfig): Promise<RunningGame> {
      const game = await startGame(config, silentLogger);
      games.push(game);
      return game;
    },
    /** Stops a game now (for a restart within a test). */
    async stop(game: RunningGame): Promise<void> {
      games.splice(games.indexOf(game), 1);
      await game.stop();
    },
    async client(game: RunningGame, localAddress?: string): Promise<MudClient> {
      const c = await MudClient.connect(game.game.port, '127.0.0.1', localAddress);
      clients.push(c);
      return c;
    },
  };
}
