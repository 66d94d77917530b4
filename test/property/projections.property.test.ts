import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from '../../src/world/commands.ts';
import { createRuntime, silentLogger } from '../../src/index.ts';
import { createProjections } from '../../src/projections/projections.ts';
import { allIds, sequenceArb } from '../support/arbitraries.ts';
import { fold } from '../support/decider.ts';
import { actualTables, expectedTables } from '../support/expectedTables.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

describe('projections (property)', () => {
  it('projected tables equal a straightforward fold of the same events, incrementally and rebuilt', async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArb(60), fc.integer({ min: 1, max: 7 }), async (inputs, batchSize) => {
        const runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file(), durability: 'normal' }, logger: silentLogger });
        const projections = createProjections(runtime.store, { path: temp.file('projections.db'), batchSize });
        projections.start(); // follows as commands commit
        for (const input of inputs) await runtime.execute(input as Command).catch(() => undefined);
        await projections.catchUp();

        const states = new Map();
        for (const id of allIds) {
          const history = await runtime.history(id);
          const state = fold(id, history);
          if (state) states.set(id, { state, version: history.length });
        }
        const expected = expectedTables(states);
        expect(actualTables(projections.db)).toEqual(expected);
        expect(projections.status()).toMatchObject({ state: 'running', position: await runtime.store.headPosition() });

        await projections.rebuild();
        expect(actualTables(projections.db)).toEqual(expected); // rebuild equals incremental
        await projections.close();
        await runtime.close();
      }),
      { numRuns: 25 },
    );
  });
});
