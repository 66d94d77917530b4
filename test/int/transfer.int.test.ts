import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Manager } from '../../src/game/Manager.ts';
import { createRuntime, isCommandRejectedError, silentLogger } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());
const COINS = 20;

async function world(path: string): Promise<void> {
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  const manager = new Manager(runtime);
  await manager.createObject({ id: 'chest-a', name: 'chest A', generic: 'chest' });
  await manager.createObject({ id: 'chest-b', name: 'chest B', generic: 'chest' });
  for (let i = 0; i < COINS; i++) await manager.createObject({ id: `coin-${i}`, name: 'coin', generic: 'coin', heldBy: i % 2 ? 'chest-a' : 'chest-b' });
  await runtime.close();
}

/** Every coin is in exactly one chest's inventory, and its container says the same chest. */
async function assertConsistent(path: string): Promise<{ a: number; b: number }> {
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  const [a, b] = [await runtime.state('chest-a'), await runtime.state('chest-b')];
  for (let i = 0; i < COINS; i++) {
    const coin = await runtime.state(`coin-${i}`);
    const inA = a?.inventory.includes(`coin-${i}`) ?? false;
    const inB = b?.inventory.includes(`coin-${i}`) ?? false;
    expect(inA !== inB, `coin-${i} must be in exactly one chest`).toBe(true);
    expect(coin?.containerId).toBe(inA ? 'chest-a' : 'chest-b');
  }
  expect((a?.inventory.length ?? 0) + (b?.inventory.length ?? 0)).toBe(COINS);
  await runtime.close();
  return { a: a?.inventory.length ?? 0, b: b?.inventory.length ?? 0 };
}

describe('item transfer', () => {
  it('is all-or-nothing: a refused transfer changes nothing', async () => {
    const path = temp.file();
    await world(path);
    const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
    const manager = new Manager(runtime);
    const before = await runtime.store.stats();
    // coin-1 is in chest-a; moving it "from" chest-b fails on the first step, and nothing is written.
    const error = await manager.transfer('coin-1', 'chest-b', 'chest-a').catch((e: unknown) => e);
    expect(isCommandRejectedError(error)).toBe(true);
    expect(await runtime.store.stats()).toEqual(before);
    await manager.transfer('coin-1', 'chest-a', 'chest-b');
    expect((await runtime.state('coin-1'))?.containerId).toBe('chest-b');
    await runtime.close();
    await assertConsistent(path);
  });

  it('survives the process being killed at any point: the world is never half-moved', async () => {
    const path = temp.file();
    await world(path);
    for (const delay of [150, 400, 900]) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/transferChild.ts', path, String(COINS)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let moves = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        moves = Math.max(moves, ...chunk.toString().split('\n').filter(Boolean).map(Number));
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
      await expect.poll(() => moves, { timeout: 20_000 }).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      await assertConsistent(path);
    }
  }, 90_000);
});
