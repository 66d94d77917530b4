import { dirname } from 'node:path';
import { loadConfig, type RuntimeConfig } from '../../src/config/loadConfig.ts';
import { startGame, type RunningGame } from '../../src/game/startGame.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { MudClient } from './mudClient.ts';
import { tempDirs } from './tempStore.ts';

/**
 * Real games on real SQLite files in temporary folders, on free ports, with server limits overridden
 * per test; `cleanup` (for afterEach/afterAll) closes clients, stops games and removes the files.
 */
export function testGames() {
  const temp = tempDirs();
  const games: RunningGame[] = [];
  const clients: MudClient[] = [];
  return {
    config(server: Partial<RuntimeConfig['server']> = {}): RuntimeConfig {
      const path = temp.file();
      const config = loadConfig('conf/server.yml', {
        AETHYR_SQLITE_PATH: path,
        AETHYR_PROJECTIONS_PATH: `${dirname(path)}/projections.db`,
        AETHYR_SERVER_PORT: '0',
        AETHYR_METRICS_PORT: '0',
      });
      return { ...config, server: { ...config.server, ...server } };
    },
    async start(server: Partial<RuntimeConfig['server']> = {}): Promise<RunningGame> {
      const game = await startGame(this.config(server), silentLogger);
      games.push(game);
      return game;
    },
    /** A scripted client of `game` (or of a port), from `localAddress` when given. */
    async client(game: RunningGame | number, localAddress?: string): Promise<MudClient> {
      const c = await MudClient.connect(typeof game === 'number' ? game : game.game.port, '127.0.0.1', localAddress);
      clients.push(c);
      return c;
    },
    async cleanup(): Promise<void> {
      for (const c of clients.splice(0)) c.close();
      for (const g of games.splice(0)) await g.stop();
      temp.cleanup();
    },
  };
}
