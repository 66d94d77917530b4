import { describe, expect, it } from 'vitest';
import type { RuntimeConfig } from '../../src/config/loadConfig.ts';
import type { PlayerState } from '../../src/world/state.ts';
import { FIRST_BUILDER, Manager, playerId } from '../../src/game/Manager.ts';
import { openRuntime } from '../../src/openRuntime.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { gameHarness } from '../support/gameHarness.ts';

const h = gameHarness();
const NAMES = ['Ann', 'Bob', 'Cyd', 'Dee'];

/** Which of `names` are builders, read from the store itself (a fresh runtime on the world file). */
async function buildersInStore(config: RuntimeConfig, names: readonly string[]): Promise<string[]> {
  const runtime = await openRuntime(config, { logger: silentLogger });
  try {
    const players = await Promise.all(names.map((n) => runtime.state(playerId(n))));
    expect(players.every((p) => p?.kind === 'player')).toBe(true);
    return (players as PlayerState[]).filter((p) => p.admin).map((p) => p.name);
  } finally {
    await runtime.close();
  }
}

describe('the first character of a world becomes its builder, decided in the write model', () => {
  it('four characters created at once on a fresh world: exactly one builder', async () => {
    const config = h.worldConfig();
    const game = await h.start(config);
    const clients = await Promise.all(NAMES.map(() => h.client(game)));
    const welcomes = await Promise.all(clients.map((c, i) => c.login(NAMES[i] as string, `${NAMES[i]}-password`, true)));
    expect(welcomes.filter((w) => w.includes('you can build'))).toHaveLength(1);
    await h.stop(game);
    const builders = await buildersInStore(config, NAMES);
    expect(builders).toHaveLength(1);
    expect(welcomes[NAMES.indexOf(builders[0] as string)]).toContain('you can build');
  });

  it('two servers on one world, each read model trailing the other server: still exactly one builder', async () => {
    const path = h.temp.file();
    const slow = (c: RuntimeConfig): RuntimeConfig => ({ ...c, projections: { ...c.projections, pollMs: 3_600_000 } });
    const a = await h.start(slow(h.worldConfig(path, `${path}.a-projections.db`)));
    const b = await h.start(slow(h.worldConfig(path, `${path}.b-projections.db`)));
    const clients = await Promise.all(NAMES.map((_, i) => h.client(i % 2 === 0 ? a : b)));
    const welcomes = await Promise.all(clients.map((c, i) => c.login(NAMES[i] as string, `${NAMES[i]}-password`, true)));
    expect(welcomes.filter((w) => w.includes('you can build'))).toHaveLength(1);
    expect(await buildersInStore(h.worldConfig(path), NAMES)).toHaveLength(1);
  });

  it('a character made elsewhere first (another process on the same world) leaves no builder role to take', async () => {
    const path = h.temp.file();
    const game = await h.start({ ...h.worldConfig(path), projections: { ...h.worldConfig(path).projections, pollMs: 3_600_000 } });
    const other = await openRuntime(h.worldConfig(path), { logger: silentLogger });
    const zed = await new Manager(other).createCharacter({ name: 'Zed', password: 'zeds-password' });
    await other.close();
    expect(zed.builder).toBe(true);
    const c = await h.client(game);
    expect(await c.login('Ann', 'anns-password', true)).not.toContain('you can build');
    expect(await c.ask('help', '> ')).not.toContain('@dig');
    await h.stop(game);
    expect(await buildersInStore(h.worldConfig(path), ['Ann', 'Zed'])).toEqual(['Zed']);
  });

  it('a world made before the marker: its existing builder is recorded at start, so no one else is promoted', async () => {
    const config = h.worldConfig();
    const runtime = await openRuntime(config, { logger: silentLogger });
    await new Manager(runtime).createPlayer({ name: 'Old', password: 'olds-password', admin: true });
    expect(await runtime.state(FIRST_BUILDER)).toBeUndefined();
    await runtime.close();
    const game = await h.start(config);
    const c = await h.client(game);
    expect(await c.login('New', 'news-password', true)).not.toContain('you can build');
    await h.stop(game);
    expect(await buildersInStore(config, ['Old', 'New'])).toEqual(['Old']);
  });
});
