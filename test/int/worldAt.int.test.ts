import { afterEach, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime, type WorldEntry } from '../../src/index.ts';
import { SimulatedClock } from '../../src/testing/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  temp.cleanup();
});
const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

async function collect(entries: AsyncIterable<WorldEntry>): Promise<Map<string, WorldEntry>> {
  const all = new Map<string, WorldEntry>();
  for await (const entry of entries) all.set(entry.id, entry);
  return all;
}
const holdersOf = (world: Map<string, WorldEntry>, item: string) =>
  [...world.values()].filter((e) => ((e.state as { inventory?: string[] }).inventory ?? []).includes(item)).map((e) => e.id);

it('worldAt never tears a transfer: at every position the gem is held once (or not yet), and times cut between writes', async () => {
  const clock = new SimulatedClock();
  runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file() }, logger: silentLogger, clock });
  await runtime.execute({ type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: HASH });
  await runtime.execute({ type: 'CreatePlayer', id: 'bob', name: 'Bob', passwordHash: HASH });
  await runtime.execute({ type: 'CreateGameObject', id: 'gem', name: 'Gem', generic: 'gem', containerId: 'ann' });
  clock.advance(1000);
  const given = await runtime.execute({ type: 'AddItemToInventory', id: 'ann', itemId: 'gem' });
  clock.advance(1000);
  const beforeTransfer = new Date(clock.now() - 1).toISOString();
  const transfer = await runtime.transaction(
    [
      { type: 'RemoveItemFromInventory', id: 'ann', itemId: 'gem' },
      { type: 'UpdateGameObjectContainer', id: 'gem', containerId: 'bob' },
      { type: 'AddItemToInventory', id: 'bob', itemId: 'gem' },
    ],
    { correlationId: 'transfer-1' },
  );
  clock.advance(1000);
  await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'bob', key: 'hp', value: 3 });

  const addedAt = given.events[0]?.position as number;
  const transferPositions = transfer.flatMap((r) => r.events.map((e) => e.position));
  expect(transferPositions.length).toBe(3);
  const last = (await runtime.store.readAll({ limit: 1000 })).at(-1)?.position as number;
  for (let position = 0; position <= last + 2; position++) {
    const world = await collect(runtime.worldAt({ position }));
    const holders = holdersOf(world, 'gem');
    if (position < addedAt) expect(holders).toEqual([]);
    else if (position < Math.max(...transferPositions)) expect(holders).toEqual(['ann']);
    else expect(holders).toEqual(['bob']);
    // The container moves in the same write: it agrees with the holder at every cut.
    const container = (world.get('gem')?.state as { containerId?: string | null } | undefined)?.containerId;
    if (position >= addedAt) expect(container).toBe(holders[0]);
  }

  const before = await collect(runtime.worldAt({ time: beforeTransfer }));
  expect(holdersOf(before, 'gem')).toEqual(['ann']);
  expect(before.get('bob')).toMatchObject({ kind: 'player', version: 2 });
  const now = await collect(runtime.worldAt({ time: new Date(clock.now()) }));
  expect(holdersOf(now, 'gem')).toEqual(['bob']);
  expect((now.get('bob')?.state as { attributes: object }).attributes).toEqual({ hp: 3 });
  await expect(collect(runtime.worldAt({ position: -1 }))).rejects.toMatchObject({ code: 'VALIDATION' });
});
