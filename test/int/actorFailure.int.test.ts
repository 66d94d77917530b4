import { afterEach, expect, it } from 'vitest';
import { createRuntime, isActorFailedError, silentLogger, world } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';
import { counter } from '../support/testKinds.ts';

const temp = tempDirs();
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  temp.cleanup();
});

it('a command whose handler throws is refused with ACTOR_FAILED before anything is stored, and the actor keeps serving', async () => {
  const path = temp.file();
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, aggregates: [counter, ...world.worldAggregates] });
  close = () => runtime.close();
  await runtime.execute({ type: 'CreateCounter', id: 'c' });
  await runtime.execute({ type: 'Add', id: 'c', by: 1 });

  const error = await runtime.execute({ type: 'Explode', id: 'c' }).catch((e: unknown) => e);
  expect(isActorFailedError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'ACTOR_FAILED', aggregateId: 'c' });
  // Nothing of the refused command is stored: the handler ran once, before the append.
  expect((await runtime.history('c')).map((e) => e.type)).toEqual(['CounterCreated', 'Added']);
  expect(await runtime.metrics.metrics()).toContain('aethyr_actor_failures_total 1');

  const result = await runtime.execute({ type: 'Add', id: 'c', by: 1 });
  expect(result.version).toBe(3);
  expect(await runtime.state('c')).toEqual({ id: 'c', n: 2, entered: 1 });
});
