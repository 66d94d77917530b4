import { dirname } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { loadConfig, type RuntimeConfig } from '../../src/config/loadConfig.ts';
import { startGame, type RunningGame } from '../../src/game/startGame.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { MudClient } from './mudClient.ts';
import { tempDirs } from './tempStore.ts';

/**
 * Real game servers on temporary world files (real SQLite, free ports), and clients over real sockets,
 * all closed after each test; the files are removed after the file's tests. Call once at the top of a
 * test file.
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
  const worldConfig = (path = temp.file(), projections = `${dirname(path)}/projections.db`): RuntimeConfig =>
    loadConfig('conf/server.yml', {
      AETHYR_SQLITE_PATH: path,
      AETHYR_PROJECTIONS_PATH: projections,
      AETHYR_SERVER_PORT: '0',
      AETHYR_METRICS_PORT: '0',
    });
  return {
    temp,
    /** A world on a fresh SQLite file, servers on free ports; `projections` names its own read-model file. */
    worldConfig,
    /** `config` (a fresh world when omitted) with some server limits overridden. */
    withServer(server: Partial<RuntimeConfig['server']>, config: RuntimeConfig = worldConfig()): RuntimeConfig {
      return { ...config, server: { ...config.server, ...server } };
    },
    async start(config: RuntimeConfig = worldConfig()): Promise<RunningGame> {
      const game = await startGame(config, silentLogger);
      games.push(game);
      return game;
    },
    /** Stops a game now (for a restart within a test). */
    async stop(game: RunningGame): Promise<void> {
      games.splice(games.indexOf(game), 1);
      await game.stop();
    },
    /** A scripted client of `game` (or of a bare port), from `localAddress` (127.0.0.2, ...: another machine) when given. */
    async client(game: RunningGame | number, localAddress?: string): Promise<MudClient> {
      const c = await MudClient.connect(typeof game === 'number' ? game : game.game.port, '127.0.0.1', localAddress);
      clients.push(c);
      return c;
    },
  };
}
