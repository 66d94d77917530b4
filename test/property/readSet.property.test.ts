import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import type { Command } from '../../src/world/commands.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

const holders = ['chest', 'sack', 'box'];
const items = ['gem', 'coin', 'ring'];
const holder = fc.constantFrom(...holders);
const item = fc.constantFrom(...items);

/** What game code might send about items, right or wrong: full moves, half moves, bare adds. */
const operation: fc.Arbitrary<{ readonly on: 'a' | 'b'; readonly commands: Command[] }> = fc.record({
  on: fc.constantFrom('a' as const, 'b' as const),
  commands: fc.oneof(
    fc.tuple(item, holder, holder).map(([itemId, from, to]): Command[] => [
      { type: 'RemoveItemFromInventory', id: from, itemId },
      { type: 'UpdateGameObjectContainer', id: itemId, containerId: to },
      { type: 'AddItemToInventory', id: to, itemId },
    ]),
    fc.tuple(item, holder).map(([itemId, to]): Command[] => [{ type: 'AddItemToInventory', id: to, itemId }]),
    fc.tuple(item, holder).map(([itemId, to]): Command[] => [{ type: 'UpdateGameObjectContainer', id: itemId, containerId: to }]),
    fc.tuple(item, holder).map(([itemId, from]): Command[] => [{ type: 'RemoveItemFromInventory', id: from, itemId }]),
  ),
});

it('two runtimes sending random item moves at once over one SQLite file never leave an item listed by two holders, or by one it is not in', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(operation, { minLength: 4, maxLength: 30 }), async (operations) => {
      const path = temp.file();
      const start = () => createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, shadowReplay: false, conflictRetries: 10 });
      const [a, b] = [start(), start()];
      const runtimes: Runtime[] = [a, b];
      try {
        for (const id of holders) await a.execute({ type: 'CreateGameObject', id, name: id, generic: 'container' });
        for (const [i, id] of items.entries()) {
          await a.transaction([
            { type: 'CreateGameObject', id, name: id, generic: 'trinket', containerId: holders[i] as string },
            { type: 'AddItemToInventory', id: holders[i] as string, itemId: id },
          ]);
        }
        // Both runtimes hold live copies, which go stale as the other writes: first one operation at a
        // time (each runtime deciding against what it last saw), then all at once.
        for (const id of [...holders, ...items]) await b.state(id);
        for (const op of operations) await (op.on === 'a' ? a : b).transaction(op.commands).catch(() => undefined);
        await Promise.allSettled(operations.map((op) => (op.on === 'a' ? a : b).transaction(op.commands)));
        const fresh = start();
        runtimes.push(fresh);
        for (const id of items) {
          const listedBy: string[] = [];
          for (const h of holders) if (((await fresh.state(h))?.inventory ?? []).includes(id)) listedBy.push(h);
          expect(listedBy.length).toBeLessThanOrEqual(1);
          if (listedBy.length === 1) expect((await fresh.state(id))?.containerId).toBe(listedBy[0]);
        }
      } finally {
        for (const runtime of runtimes) await runtime.close();
      }
    }),
    { numRuns: 40 },
  );
}, 120_000);
