import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, world } from '../../src/index.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  temp.cleanup();
});
function start(path: string): Runtime {
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger } as never) as Runtime;
  open.push(runtime);
  return runtime;
}
const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

async function setUp(runtime: Runtime): Promise<void> {
  await runtime.execute({ type: 'CreateRoom', id: 'square', name: 'The square', description: '' });
  await runtime.execute({ type: 'OpenShop', id: 'forge', name: 'the forge', roomId: 'square', currency: 'gold', prices: { sword: { buy: 10, sell: 4 } }, stock: { sword: 1 } });
  await runtime.execute({ type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: HASH });
  await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'ann', key: 'gold', value: 12 });
}

describe('the shop, over a real SQLite file', () => {
  it('buying moves the price and a new item in one transaction; selling moves them back; both survive a restart', async () => {
    const path = temp.file();
    const runtime = start(path);
    await setUp(runtime);
    const bought = await world.buy(runtime, { shopId: 'forge', buyerId: 'ann', item: 'sword', itemId: 'sword-1' });
    // One write: the shop, the purse, the new object and the inventory, under one correlation id.
    expect(new Set(bought.flatMap((r) => r.events.map((e) => e.metadata.correlationId))).size).toBe(1);
    expect(await runtime.state('ann')).toMatchObject({ attributes: { gold: 2 }, inventory: ['sword-1'] });
    expect(await runtime.state('sword-1')).toMatchObject({ generic: 'sword', containerId: 'ann' });
    expect(await runtime.state('forge')).toMatchObject({ stock: { sword: 0 }, till: 10 });

    await world.sell(runtime, { shopId: 'forge', sellerId: 'ann', itemId: 'sword-1' });
    await runtime.close();
    open.splice(0);

    const again = start(path);
    expect(await again.state('ann')).toMatchObject({ attributes: { gold: 6 }, inventory: [] });
    expect(await again.state('sword-1')).toMatchObject({ deleted: true });
    expect(await again.state('forge')).toMatchObject({ stock: { sword: 1 }, till: 6 });
    expect((await again.history('forge')).map((e) => e.type as string)).toEqual(['ShopOpened', 'ShopSold', 'ShopBought']);
    expect(await again.stateAt('forge', { version: 2 })).toMatchObject({ stock: { sword: 0 }, till: 10 });
  });

  it('refuses, storing nothing, when the buyer cannot pay or the shop has none left', async () => {
    const runtime = start(temp.file());
    await setUp(runtime);
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'ann', key: 'gold', value: 9 });
    const before = await runtime.store.headPosition();
    await expect(world.buy(runtime, { shopId: 'forge', buyerId: 'ann', item: 'sword', itemId: 'sword-1' })).rejects.toMatchObject({ code: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' });
    expect(await runtime.store.headPosition()).toBe(before);

    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'ann', key: 'gold', value: 100 });
    await world.buy(runtime, { shopId: 'forge', buyerId: 'ann', item: 'sword', itemId: 'sword-1' });
    const after = await runtime.store.headPosition();
    await expect(world.buy(runtime, { shopId: 'forge', buyerId: 'ann', item: 'sword', itemId: 'sword-2' })).rejects.toMatchObject({ code: 'REJECTED', reason: 'OUT_OF_STOCK' });
    expect(await runtime.store.headPosition()).toBe(after);
    expect(await runtime.state('sword-2')).toBeUndefined();
    expect(await runtime.state('ann')).toMatchObject({ attributes: { gold: 90 }, inventory: ['sword-1'] });
  });
});
